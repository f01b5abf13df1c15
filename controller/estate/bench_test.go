package estate_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"menwei/controller/estate/estatetest"
	"menwei/controller/eventlog"
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
