package eventlog

import (
	"context"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// benchKey is the benchmarks' store key: menweid's stores are encrypted at
// rest (issue 12), so every benchmark store is.
var benchKey = func() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i*7 + 1)
	}
	return k
}()

// openBenchDB opens a Badger database the way store.Store opens menweid's,
// on the real disk: synced writes, its options, encrypted.
//
// MENWEI_BENCH_PLAINTEXT=1 opens it without encryption: the anchor of
// what encryption at rest costs, run alternately with the default.
func openBenchDB(b *testing.B) *badger.DB {
	b.Helper()
	opt := storeOptions(b.TempDir()).WithEncryptionKey(benchKey).WithEncryptionKeyRotationDuration(10 * 24 * time.Hour)
	if os.Getenv("MENWEI_BENCH_PLAINTEXT") != "" {
		opt = storeOptions(b.TempDir())
	}
	db, err := badger.Open(opt)
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// openBenchLog opens a database as openBenchDB does, and the log on it.
func openBenchLog(b *testing.B) (*Log, *badger.DB) {
	b.Helper()
	db := openBenchDB(b)
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
// throughput and the latency of one Append as its caller sees it. With
// keep > 0 a goroutine prunes the log to keep events meanwhile, every
// 20 ms.
func benchAppend(b *testing.B, writers int, keep uint64) {
	l, _ := openBenchLog(b)
	ctx := context.Background()
	if keep > 0 {
		pctx, stop := context.WithCancel(ctx)
		pruned := make(chan uint64)
		go func() {
			var removed uint64
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-pctx.Done():
					pruned <- removed
					return
				case <-tick.C:
				}
				n, err := l.Prune(pctx, Retention{MaxCount: keep}, time.Now())
				if err != nil && pctx.Err() == nil {
					b.Error(err)
				}
				removed += n
			}
		}()
		defer func() {
			stop()
			b.ReportMetric(float64(<-pruned), "pruned")
		}()
	}
	writes := l.writes.Load()
	runWriters(b, writers, func() error {
		_, err := l.Append(ctx, benchEvent)
		return err
	})
	b.ReportMetric(float64(b.N)/float64(l.writes.Load()-writes), "events/sync")
}

// runWriters calls write b.N times in all from writers goroutines and
// reports the throughput (events/s) and the latency of one call as its
// caller sees it (p50-ms, p99-ms).
func runWriters(b *testing.B, writers int, write func() error) {
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
				if err := write(); err != nil {
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

// BenchmarkAppend16Writers is 16 goroutines appending (group commit).
// Compare with BenchmarkAppendAnchor16Writers in the same session.
func BenchmarkAppend16Writers(b *testing.B) { benchAppend(b, 16, 0) }

// BenchmarkAppendSerial is one writer waiting for each event: about the
// rate at which the disk syncs. Compare with BenchmarkAppendAnchorSerial.
func BenchmarkAppendSerial(b *testing.B) { benchAppend(b, 1, 0) }

// anchorAppend is issue 15's anchor for durable appends: one synced Badger
// transaction per event (the event numbered and JSON-encoded, no chain
// hash, no batching of ours), from writers goroutines, on a database
// opened as openBenchLog's (encrypted, the store's options).
func anchorAppend(b *testing.B, writers int) {
	db := openBenchDB(b)
	b.Cleanup(func() { db.Close() })
	var seq atomic.Uint64
	runWriters(b, writers, func() error {
		e := benchEvent
		e.Seq, e.Time = seq.Add(1), time.Now().UTC()
		return db.Update(func(txn *badger.Txn) error { return setJSON(txn, string(eventKey(e.Seq)), e) })
	})
}

// BenchmarkAppendAnchor16Writers is the anchor for BenchmarkAppend16Writers.
func BenchmarkAppendAnchor16Writers(b *testing.B) { anchorAppend(b, 16) }

// BenchmarkAppendAnchorSerial is the anchor for BenchmarkAppendSerial.
func BenchmarkAppendAnchorSerial(b *testing.B) { anchorAppend(b, 1) }

// BenchmarkPruneUnderLoad is BenchmarkAppend16Writers while the log is
// pruned to its last 10k events again and again.
func BenchmarkPruneUnderLoad(b *testing.B) { benchAppend(b, 16, 10_000) }

// BenchmarkPrune removes 10k events (with Badger's reclaim) per op while
// nothing else runs.
func BenchmarkPrune(b *testing.B) {
	l, _ := openBenchLog(b)
	const each = 10_000
	var removed uint64
	var spent time.Duration
	for b.Loop() {
		b.StopTimer()
		fill(b, l, each, func(int) Event { return benchEvent })
		b.StartTimer()
		start := time.Now()
		n, err := l.Prune(context.Background(), Retention{MaxCount: 1}, time.Now())
		if err != nil || n < each-1 {
			b.Fatal(n, err)
		}
		spent += time.Since(start)
		removed += n
	}
	b.ReportMetric(float64(removed)/spent.Seconds(), "events/s")
}

// BenchmarkExport writes a 20k event log as JSON lines and as CSV.
func BenchmarkExport(b *testing.B) {
	l, _ := openBenchLog(b)
	const size = 20_000
	fill(b, l, size, func(int) Event { return benchEvent })
	for _, format := range []string{"jsonl", "csv"} {
		b.Run(format, func(b *testing.B) {
			var w countWriter
			for b.Loop() {
				n, err := l.Export(context.Background(), Query{}, format, &w)
				if err != nil || n != size {
					b.Fatal(n, err)
				}
			}
			b.SetBytes(int64(w) / int64(b.N))
			b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

type countWriter int64

func (w *countWriter) Write(p []byte) (int, error) {
	*w += countWriter(len(p))
	return len(p), nil
}
