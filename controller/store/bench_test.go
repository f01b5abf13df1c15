package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

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
			key = make([]byte, KeySize)
			for i := range key {
				key[i] = byte(i*7 + 1)
			}
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
			ids := make([]Identity, 10_000)
			creds := make([]Credential, 10_000)
			for i := range ids {
				ids[i] = Identity{ID: fmt.Sprintf("r%05d", i), Kind: policy.Resident, Name: "Resident"}
				creds[i] = Credential{Kind: policy.Card, Key: fmt.Sprintf("1:%d", i), Identity: ids[i].ID}
			}
			require.NoError(b, s.Import(ids, creds))
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
