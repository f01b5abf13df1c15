package store

import (
	"context"
	"encoding/binary"
	"expvar"
	"fmt"
	"math/rand/v2"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"menwei/controller/eventlog"
	"menwei/controller/policy"
)

// The cost of encryption at rest, each pair measured side by side in one
// run (go test -bench Encryption -count 3 ./controller/store/): the same
// store on disk, plaintext and encrypted (AES-256, Badger's encryption).
//   - appends16: durable event appends (synced, group commit) from 16
//     goroutines, as the gate's decisions write them;
//   - lookup10k: a card lookup among 10,000 residents (credential and
//     identity, from Badger's caches), as every card read does.
func BenchmarkEncryption(b *testing.B) {
	for _, mode := range []string{"plain", "encrypted"} {
		var key []byte
		if mode == "encrypted" {
			key = benchKey()
		}
		open := func(b *testing.B) *Store {
			s, err := Open(Options{Dir: b.TempDir(), Key: key})
			require.NoError(b, err)
			b.Cleanup(func() { s.Close() })
			return s
		}
		b.Run("appends16/"+mode, func(b *testing.B) {
			s := open(b)
			ctx := context.Background()
			b.ResetTimer()
			// b.N events in all, shared by the 16 writers: ns/op is the
			// wall time per event.
			var wg sync.WaitGroup
			for w := range 16 {
				n := b.N / 16
				if w < b.N%16 {
					n++
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range n {
						if _, err := s.Append(ctx, eventlog.Event{Kind: "access.granted", Door: "gate", Identity: fmt.Sprintf("r%05d", (w*1000+i)%10000), Name: "Resident"}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run("lookup10k/"+mode, func(b *testing.B) {
			s := open(b)
			importResidents(b, s, 10_000)
			keys := make([]string, 1024)
			for i := range keys {
				keys[i] = fmt.Sprintf("h10301:1:%d", rand.IntN(10_000))
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, _, err := s.Lookup(policy.Card, keys[i%len(keys)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchKey is a fixed store key for the benchmarks' encrypted stores.
func benchKey() []byte {
	key := make([]byte, KeySize)
	for i := range key {
		key[i] = byte(i*7 + 1)
	}
	return key
}

// importResidents imports n residents; resident i (r00000, r00001, …) has
// card 1:i.
func importResidents(b *testing.B, s *Store, n int) {
	ids := make([]Identity, n)
	creds := make([]Credential, n)
	for i := range ids {
		ids[i] = Identity{ID: fmt.Sprintf("r%05d", i), Kind: policy.Resident, Name: "Resident"}
		creds[i] = Credential{Kind: policy.Card, Key: fmt.Sprintf("1:%d", i), Identity: ids[i].ID}
	}
	require.NoError(b, s.Import(ids, creds))
}

// What Badger's compactions rewrite while a gate runs (go test -run '^$'
// -bench CompactionWrites -benchtime 1x ./controller/store/): an encrypted
// store on disk with 10,000 residents takes 200,000 durable events from 16
// writers, and every fourth event also moves a resident for anti-passback
// (apb/), as grants at an anti-passback door do. Reported: the megabytes
// flushed to level 0 (what was written), the megabytes compactions wrote
// (what was written again), their ratio, and the peak of the Go heap
// sampled every 5 ms, where compactions build their tables.
func BenchmarkCompactionWrites(b *testing.B) {
	const residents, events, writers = 10_000, 200_000, 16
	key := benchKey()
	for b.Loop() {
		b.StopTimer()
		s, err := Open(Options{Dir: b.TempDir(), Key: key})
		require.NoError(b, err)
		importResidents(b, s, residents)
		l0, compacted := badgerWrites()
		stop := make(chan struct{})
		peak := make(chan uint64)
		go func() { peak <- sampleHeapPeak(stop, 5*time.Millisecond) }()
		b.StartTimer()

		ctx := context.Background()
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := w; i < events; i += writers {
					who := fmt.Sprintf("r%05d", (i*7919)%residents)
					if _, err := s.Append(ctx, eventlog.Event{Kind: "access.granted", Door: "gate", Identity: who, Name: "Resident"}); err != nil {
						b.Error(err)
						return
					}
					if i%4 == 0 {
						if err := s.SetInside(who, i%8 == 0); err != nil {
							b.Error(err)
							return
						}
					}
				}
			})
		}
		wg.Wait()
		// The compactions the last flushes start are part of the cost.
		require.NoError(b, s.Close())
		b.StopTimer()
		close(stop)
		l0b, compactedb := badgerWrites()
		b.ReportMetric(float64(l0b-l0)/(1<<20), "L0-MB")
		b.ReportMetric(float64(compactedb-compacted)/(1<<20), "compaction-MB")
		b.ReportMetric(float64(compactedb-compacted)/float64(l0b-l0), "compaction/L0")
		b.ReportMetric(float64(<-peak)/(1<<20), "heap-peak-MiB")
		b.StartTimer()
	}
}

// badgerWrites reads Badger's counters of the bytes written to level 0 and
// by compactions, all levels, in this process.
func badgerWrites() (l0, compacted int64) {
	if v, ok := expvar.Get("badger_write_bytes_l0").(*expvar.Int); ok {
		l0 = v.Value()
	}
	if m, ok := expvar.Get("badger_write_bytes_compaction").(*expvar.Map); ok {
		m.Do(func(kv expvar.KeyValue) {
			if v, ok := kv.Value.(*expvar.Int); ok {
				compacted += v.Value()
			}
		})
	}
	return l0, compacted
}

// sampleHeapPeak samples the bytes of live and not yet swept heap objects
// every interval until stop is closed, and returns the highest.
func sampleHeapPeak(stop <-chan struct{}, interval time.Duration) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		metrics.Read(sample)
		peak = max(peak, sample[0].Value.Uint64())
		select {
		case <-stop:
			return peak
		case <-t.C:
		}
	}
}

// The first start after the upgrade to schema 2 moves every event (go test
// -run '^$' -bench UpgradeSchema2 -benchtime 1x ./controller/store/): an
// encrypted store on disk holding 200,000 events of 300 bytes under
// schema 1's prefix, opened. Reported: events moved a second.
func BenchmarkUpgradeSchema2(b *testing.B) {
	const events = 200_000
	key := benchKey()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		db, err := badger.Open(BadgerOptions(dir, key))
		require.NoError(b, err)
		wb := db.NewWriteBatch()
		v := []byte(`{"seq":0,"time":"2026-12-01T08:00:00Z","kind":"access.granted","door":"main-gate","pd":"gate-reader","identity":"r01234","name":"Resident","factor":"card","prev":"` + strings.Repeat("ab", 32) + `","hash":"` + strings.Repeat("cd", 32) + `"}`)
		for seq := range uint64(events) {
			require.NoError(b, wb.Set(binary.BigEndian.AppendUint64([]byte("ev/"), seq+1), v))
		}
		require.NoError(b, wb.Set([]byte(keySchema), []byte("1")))
		require.NoError(b, wb.Flush())
		require.NoError(b, db.Close())
		b.StartTimer()
		start := time.Now()
		s, err := Open(Options{Dir: dir, Key: key})
		require.NoError(b, err)
		b.ReportMetric(events/time.Since(start).Seconds(), "events/s")
		b.StopTimer()
		require.NoError(b, s.Close())
		b.StartTimer()
	}
}
