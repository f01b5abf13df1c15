package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"menwei/api"
	"menwei/controller"
	"menwei/controller/config"
	"menwei/devices/osdp"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/osdppd"
)

// BenchmarkCardToOUT measures, at the emulated reader, the time from writing
// a RAW card reply to receiving the OUT command that releases the lock:
// both pseudo-terminal crossings, menweid's frame handling and secure
// channel, the decision, the synced event append (real disk), and the bus
// loop's scheduling. One op is one card.
func BenchmarkCardToOUT(b *testing.B) {
	key, _ := hex.DecodeString(testKey)
	pd, err := osdppd.New(osdppd.Config{Addr: 101, SCBK: key})
	require.NoError(b, err)
	master, slave := serialporttest.PtyPair(b)

	outs := make(chan time.Duration, 16)
	go func() { // the reader's firmware, timing RAW → OUT
		r := osdp.NewReader(master)
		var rawAt time.Time
		for {
			f, err := r.Next()
			if err != nil {
				return
			}
			if f.Code == osdp.CmdOUT && !rawAt.IsZero() {
				outs <- time.Since(rawAt)
				rawAt = time.Time{}
			}
			rep := pd.Handle(f)
			if rep == nil {
				continue
			}
			if rf, _, err := osdp.Decode(rep); err == nil && rf.Code == osdp.ReplyRAW {
				rawAt = time.Now()
			}
			if _, err := master.Write(rep); err != nil {
				return
			}
		}
	}()

	dir := b.TempDir()
	yaml := fmt.Sprintf(`
data_dir: %s
http: { listen: "127.0.0.1:0" }
buses:
  - name: gate
    device: %s
    baud: 115200
    poll_interval: 20ms
    pds:
      - { name: gate-reader, address: 101, scbk: %s }
doors:
  - name: main-gate
    readers: [{ pd: gate-reader }]
    lock: { pd: gate-reader, output: 0 }
`, dir, slave, testKey)
	cfg, err := config.Parse([]byte(yaml), dir)
	require.NoError(b, err)
	s, err := openStore(cfg.Store.Dir)
	require.NoError(b, err)
	seedN(b, s, 10_000)
	require.NoError(b, s.Close())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() { done <- Run(ctx, cfg, discard(), Options{Ready: func(a string) { ready <- a }}) }()
	<-ready
	defer func() { cancel(); <-done }()
	// Wait for the secure channel and the lock's idle OUT.
	require.Eventually(b, pd.SCActive, 20*time.Second, 10*time.Millisecond)
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	_, err = pd.WaitCommand(wctx, osdp.CmdOUT)
	wcancel()
	require.NoError(b, err)

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		pd.PresentWiegand26(1, uint16(i%10_000))
		select {
		case d := <-outs:
			lat = append(lat, d)
		case <-time.After(10 * time.Second):
			b.Fatal("no OUT after a card")
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1e3 }
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(p(1), "max-ms")
}

// BenchmarkDaemonRSS starts the real menweid binary on a store with 10,000
// residents, lets 200 cards through an emulated reader, and reports the
// daemon's resident memory (VmRSS and its peak, VmHWM).
func BenchmarkDaemonRSS(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "menweid")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(b, build.Run())

	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(b, err)
	master, slave := serialporttest.PtyPair(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go osdppd.Serve(ctx, master, pd)

	dir := b.TempDir()
	cfgPath := filepath.Join(dir, "menwei.yaml")
	require.NoError(b, os.WriteFile(cfgPath, []byte(fmt.Sprintf(`
data_dir: %s
http: { listen: "127.0.0.1:0" }
buses:
  - name: gate
    device: %s
    pds: [{ name: gate-reader, address: 101 }]
doors:
  - name: main-gate
    readers: [{ pd: gate-reader }]
    lock: { pd: gate-reader, output: 0 }
`, dir, slave)), 0o600))
	s, err := openStore(filepath.Join(dir, "store"))
	require.NoError(b, err)
	seedN(b, s, 10_000)
	require.NoError(b, s.Close())

	for b.Loop() {
		cmd := exec.Command(bin, "-config", cfgPath, "-log-level", "warn")
		cmd.Stderr = os.Stderr
		require.NoError(b, cmd.Start())
		require.Eventually(b, func() bool {
			wctx, wcancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer wcancel()
			_, err := pd.WaitCommand(wctx, osdp.CmdOUT)
			return err == nil
		}, 20*time.Second, 10*time.Millisecond)
		for i := range 200 {
			pd.PresentWiegand26(1, uint16(i*37%10_000))
			wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := pd.WaitCommand(wctx, osdp.CmdOUT)
			wcancel()
			require.NoError(b, err)
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		require.NoError(b, err)
		b.ReportMetric(procKB(status, "VmRSS")/1024, "rss-MB")
		b.ReportMetric(procKB(status, "VmHWM")/1024, "peak-rss-MB")
		require.NoError(b, cmd.Process.Signal(syscall.SIGTERM))
		require.NoError(b, cmd.Wait(), "clean exit on SIGTERM")
	}
}

func procKB(status []byte, field string) float64 {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb
		}
	}
	return 0
}

// BenchmarkPhoneOpen is a load generator: 32 concurrent paired phones
// asking to open four doors over real HTTP, each request judged by the door
// policy and its decision made durable (synced group commit) before the
// answer. The serial line is left out: the doors' lock terminals are not
// polled here (the OUT command would queue on a real bus).
func BenchmarkPhoneOpen(b *testing.B) {
	// Four doors, each with its lock on an emulated reader on a bus of its
	// own, so every open is acknowledged by a real OSDP exchange (a 200
	// answer means the lock confirmed the release).
	dir := b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var emus sync.WaitGroup
	defer func() { cancel(); emus.Wait() }()
	buses, doors := "", ""
	for i := range 4 {
		master, slave := serialporttest.PtyPair(b)
		pd, err := osdppd.New(osdppd.Config{Addr: 1})
		require.NoError(b, err)
		emus.Add(1)
		go func() { defer emus.Done(); osdppd.Serve(ctx, master, pd) }()
		buses += fmt.Sprintf("  - { name: b%d, device: %s, baud: 115200, poll_interval: 20ms, pds: [{ name: r%d, address: 1 }] }\n", i, slave, i)
		doors += fmt.Sprintf("  - { name: door%d, readers: [{ pd: r%d }], lock: { pd: r%d, output: 0 } }\n", i, i, i)
	}
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
data_dir: %s
buses:
%s
doors:
%s`, dir, buses, doors)), dir)
	require.NoError(b, err)
	s, err := openStore(cfg.Store.Dir)
	require.NoError(b, err)
	defer s.Close()
	seedN(b, s, 32)
	ctl, err := controller.New(controller.Options{Config: cfg, Store: s})
	require.NoError(b, err)
	ran := make(chan error, 1)
	go func() { ran <- ctl.Run(ctx) }()
	defer func() { cancel(); <-ran }()
	require.Eventually(b, func() bool { return ctl.Health().Ready }, 20*time.Second, 10*time.Millisecond, "every lock online")
	srv := httptest.NewServer(api.New(api.Options{Events: s, Auth: s, Phones: s, Opener: ctl, OpensPerMinute: 1 << 30}).Handler())
	defer srv.Close()
	tokens := make([]string, 32)
	for i := range tokens {
		code, _, err := s.NewPairingCode(fmt.Sprintf("r%05d", i), "bench", time.Now())
		require.NoError(b, err)
		_, tokens[i], err = s.Pair(code, "phone", time.Now())
		require.NoError(b, err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var (
		mu  sync.Mutex
		lat []time.Duration
		bad atomic.Int64
	)
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for next.Add(1) <= int64(b.N) {
				req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/doors/door%d/open", srv.URL, w%4), nil)
				req.Header.Set("Authorization", "Device "+tokens[w])
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					bad.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	require.Zero(b, bad.Load(), "every request granted and confirmed by the lock")
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1e3, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1e3, "p99-ms")
}
