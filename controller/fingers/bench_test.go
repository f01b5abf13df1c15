package fingers_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"menwei/controller/fingers"
	"menwei/firmware-mocks/fpmodule"
)

const (
	benchModules   = 10
	benchTemplates = 1000
	benchBaud      = 57600 // the modules' factory rate: 10 bits a byte, 8N1
)

// benchRig runs a Manager over benchModules emulated modules of 1,000
// slots on ptys, at the default poll interval, with benchTemplates
// templates for all of them in the store, and every module filled.
func benchRig(b *testing.B, tweak func(*fingers.Config)) (*rig, []string) {
	b.Helper()
	var names []string
	for i := range benchModules {
		names = append(names, "gate-"+string(rune('a'+i)))
	}
	r := newRigWith(b, fpmodule.Config{Slots: benchTemplates}, func(c *fingers.Config) {
		for i := range c.Modules {
			c.Modules[i].Slots = benchTemplates
			c.Modules[i].PollInterval = 0 // 250 ms
			c.Modules[i].Timeout = time.Second
		}
		if tweak != nil {
			tweak(c)
		}
	}, names...)
	for slot := range benchTemplates {
		if err := r.store.PutTemplate(fingers.Template{Slot: slot, Identity: "r", Model: "r307",
			Data: fpmodule.Finger(slot)}); err != nil {
			b.Fatal(err)
		}
	}
	reconcileAll(b, r, names)
	return r, names
}

// reconcileAll reconciles every module at once and returns how long each
// took.
func reconcileAll(b *testing.B, r *rig, names []string) []time.Duration {
	took := make([]time.Duration, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			start := time.Now()
			if _, _, err := r.m.Reconcile(b.Context(), name); err != nil {
				b.Error(err)
			}
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	return took
}

// traffic is the bytes written and read on every module's wire.
func traffic(r *rig) (written, read int64) {
	for _, w := range r.wires {
		written += w.written.Load()
		read += w.read.Load()
	}
	return written, read
}

// report adds the metrics common to the benchmarks: traffic per module and
// what it would take on a 57600-baud line, and per-module times.
func report(b *testing.B, written, read int64, perModule []time.Duration) {
	n := float64(b.N)
	b.ReportMetric(float64(written)/n, "B-written/op")
	b.ReportMetric(float64(read)/n, "B-read/op")
	b.ReportMetric(float64(written+read)/n/benchModules*10/benchBaud, "s@57600/module")
	var sum time.Duration
	for _, d := range perModule {
		sum += d
	}
	b.ReportMetric(float64(sum.Milliseconds())/float64(len(perModule)), "ms/module")
	b.ReportMetric(float64(slices.Max(perModule).Milliseconds()), "ms/module-max")
}

// BenchmarkPushToEmpty: 1,000 templates to each of 10 wiped modules, all
// reconciled at once from empty (Index, then DownChar + data packets +
// Store for each template). ns/op is the time until the last is full.
func BenchmarkPushToEmpty(b *testing.B) {
	r, names := benchRig(b, nil)
	var perModule []time.Duration
	w0, r0 := traffic(r)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		for _, emu := range r.emus {
			emu.Wipe()
		}
		b.StartTimer()
		perModule = append(perModule, reconcileAll(b, r, names)...)
	}
	b.StopTimer()
	w1, r1 := traffic(r)
	for _, name := range names {
		if n := len(r.slots(name)); n != benchTemplates {
			b.Fatalf("%s holds %d templates", name, n)
		}
	}
	report(b, w1-w0, r1-r0, perModule)
}

// BenchmarkVerifyAfterReconnect: 10 modules holding 1,000 templates each
// go silent and come back; after the reconcile that follows the handshake
// each template is loaded and uploaded, one between two polls, to compare
// it with the store's. ns/op runs from the modules answering again until
// the last template is verified (it includes the back-off, at most
// 200 ms); ms/module from each handshake to the end of its reconcile, when
// the module identifies fingers again.
func BenchmarkVerifyAfterReconnect(b *testing.B) {
	var (
		mu       sync.Mutex
		onlineAt = map[string]time.Time{}
	)
	r, names := benchRig(b, func(c *fingers.Config) {
		prev := c.OnState
		c.OnState = func(m string, on bool, err error) {
			if on {
				mu.Lock()
				onlineAt[m] = time.Now()
				mu.Unlock()
			}
			prev(m, on, err)
		}
	})
	var (
		perModule     []time.Duration
		written, read int64
	)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		for _, emu := range r.emus {
			emu.Silent(true)
		}
		waitAll(b, r, func(st fingers.ModuleStatus) bool { return !st.Online })
		w0, r0 := traffic(r)
		back := time.Now()
		b.StartTimer()
		for _, emu := range r.emus {
			emu.Silent(false)
		}
		waitAll(b, r, func(st fingers.ModuleStatus) bool {
			return st.Online && st.LastReconcile.After(back) && st.Unverified == 0
		})
		b.StopTimer()
		w1, r1 := traffic(r)
		written, read = written+w1-w0, read+r1-r0
		mu.Lock()
		for _, st := range r.m.Status() {
			perModule = append(perModule, st.LastReconcile.Sub(onlineAt[st.Name]))
		}
		mu.Unlock()
	}
	for _, name := range names {
		if n := len(r.slots(name)); n != benchTemplates {
			b.Fatalf("%s holds %d templates", name, n)
		}
	}
	report(b, written, read, perModule)
}

// waitAll waits until every module's status satisfies ok.
func waitAll(b *testing.B, r *rig, ok func(fingers.ModuleStatus) bool) {
	b.Helper()
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(time.Millisecond) {
		if !time.Now().Before(deadline) {
			b.Fatal("modules did not get there in 5 minutes")
		}
		all := true
		for _, st := range r.m.Status() {
			all = all && ok(st)
		}
		if all {
			return
		}
	}
}
