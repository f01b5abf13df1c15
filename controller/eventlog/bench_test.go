package eventlog

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// openBenchLog opens a Badger database the way controller.Store does, on the
// real disk, and the log on it.
func openBenchLog(b *testing.B) (*Log, *badger.DB) {
	b.Helper()
	db, err := badger.Open(storeOptions(b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	l, err := Open(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		l.Close()
		db.Close()
	})
	return l, db
}

var benchEvent = Event{Kind: "access.granted", Door: "gate-north", PD: "1", Identity: "r-1042",
	Name: "A. Resident", Card: "****1234", CardRef: "c0ffee", Factor: "card", Side: "entry"}

// benchAppend appends b.N events from writers goroutines and reports the
// throughput and the latency of one Append as its caller sees it.
func benchAppend(b *testing.B, writers int) {
	l, _ := openBenchLog(b)
	ctx := context.Background()
	lat := make([][]time.Duration, writers)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if _, err := l.Append(ctx, benchEvent); err != nil {
					b.Error(err)
					return
				}
				lat[g] = append(lat[g], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func BenchmarkAppend16Writers(b *testing.B) { benchAppend(b, 16) }

// BenchmarkAppendSerial is one writer waiting for each event: about the
// rate at which the disk syncs.
func BenchmarkAppendSerial(b *testing.B) { benchAppend(b, 1) }
