package estate_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"menwei/controller/estate/estatetest"
	"menwei/controller/eventlog"
	"menwei/controller/policy"
	"menwei/controller/store"
)

// BenchmarkCatchUpOneGate is one gate's catch-up: b.N events recorded
// while its link was cut, then the link restored; the clock runs until
// the office has verified them all. Reports events/s gate → office store.
func BenchmarkCatchUpOneGate(bt *testing.B) {
	e := newEstate(bt, "gate-a")
	e.startOffice()
	link := estatetest.NewLink(bt, e.listen)
	link.Cut()
	g := e.startGate("gate-a", bt.TempDir(), link.Addr())
	// Fill the log with b.N events (32 writers, so group commit batches them).
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := w; i < bt.N; i += 32 {
				_, err := g.st.Append(context.Background(), eventlog.Event{Kind: "access.granted", Door: "d1", Identity: fmt.Sprint("r", i), Name: "Li Wei"})
				if err != nil {
					bt.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	bt.ResetTimer()
	start := time.Now()
	link.Restore()
	r := e.officeSt.Received()
	var upAt time.Duration
	for {
		if upAt == 0 && g.up.Uploaded() >= uint64(bt.N) {
			upAt = time.Since(start)
		}
		c, err := r.Chain("gate-a")
		require.NoError(bt, err)
		if c.Verified >= uint64(bt.N) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	bt.StopTimer()
	bt.Logf("N=%d: uploaded (acknowledged by the stream) after %v, verified at the office after %v", bt.N, upAt, time.Since(start))
	bt.ReportMetric(float64(bt.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkFreshGateDirectory is a fresh gate (an empty store, revision 0)
// receiving the office's whole directory: 10,000 residents, each with a
// card, a face consent and a face descriptor (random 128 floats). The
// clock runs from the gate's start until it has applied its whole slice;
// each iteration is a new empty gate. Reports residents/s and seconds.
func BenchmarkFreshGateDirectory(bt *testing.B) {
	const n = 10_000
	e := newEstate(bt, "gate-a")
	st, err := store.Open(store.Options{Dir: filepath.Join(e.officeDir, "store")})
	require.NoError(bt, err)
	importResidents(bt, st, n, func(int) bool { return true })
	require.NoError(bt, st.Close())
	e.startOffice()
	require.Eventually(bt, func() bool { return e.publisher.Published() >= n }, 5*time.Minute, 10*time.Millisecond, "the office published its directory")
	last := e.dirLast("gate-a")
	bt.ResetTimer()
	var total time.Duration
	for range bt.N {
		start := time.Now()
		g := e.startGate("gate-a", bt.TempDir(), "")
		for g.apl.Revision() < last {
			time.Sleep(time.Millisecond)
		}
		total += time.Since(start)
		bt.StopTimer()
		people, err := g.st.Identities(policy.Resident)
		require.NoError(bt, err)
		require.Len(bt, people, n)
		g.stop()
		bt.StartTimer()
	}
	bt.StopTimer()
	per := total.Seconds() / float64(bt.N)
	bt.ReportMetric(n/per, "residents/s")
	bt.ReportMetric(per, "s/gate")
}
