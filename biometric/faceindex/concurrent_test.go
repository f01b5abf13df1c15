package faceindex

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConcurrentSearchAndWrite runs searches while a writer adds, replaces
// and removes descriptors of other identities, through refits and
// compactions. Residents that are never touched must always be found.
// Run it with -race.
func TestConcurrentSearchAndWrite(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 20))
	stable := population(21, 60, 2, 0.1)
	x := mustNew(t, Config{}, stable)

	var done atomic.Bool
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(30, uint64(g)))
			for i := 0; !done.Load() || i < 50; i++ {
				e := stable[r.IntN(len(stable))]
				got := x.Search(perturb(r, e.Descriptor, 0.02))
				if !assert.Equal(t, e.Identity, got.Identity, "%+v", got) {
					return
				}
				got = x.Search(randUnit(r))
				if !assert.NotEqual(t, got.Nearest, got.Runner) {
					return
				}
			}
		})
	}

	ops := 3000
	if testing.Short() || raceDetector {
		ops = 1500
	}
	for i := range ops {
		id := fmt.Sprintf("churn-%d", r.IntN(ops/2))
		who := fmt.Sprintf("visitor-%d", r.IntN(ops/8))
		switch i % 5 {
		case 0, 1, 2:
			require.NoError(t, x.Add(who, id, randUnit(r)))
		case 3:
			x.Remove(id)
		case 4:
			x.RemoveIdentity(who)
		}
	}
	done.Store(true)
	wg.Wait()
	require.Positive(t, x.rebuilds, "the writer rebuilt the index under the searches")
}

// TestSearchDuringLoad shows that searches do not wait for a writer: a
// Load holds the writers' lock until its sequence ends, and searches keep
// answering from the previous snapshot meanwhile.
func TestSearchDuringLoad(t *testing.T) {
	x := mustNew(t, Config{}, []Entry{{"alice", "a1", at(0)}})
	inLoad, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		err := x.Load(func(yield func(Entry) bool) {
			close(inLoad)
			<-release
			yield(Entry{"bob", "b1", at(0.01)})
		})
		assert.NoError(t, err)
	})
	<-inLoad
	searched := make(chan Result, 1)
	go func() { searched <- x.Search(at(0)) }()
	select {
	case got := <-searched:
		assert.Equal(t, "alice", got.Identity)
	case <-time.After(10 * time.Second):
		t.Error("search waited for the writer")
	}
	close(release)
	wg.Wait()
	got := x.Search(at(0))
	assert.Equal(t, ReasonAmbiguous, got.Reason)
	assert.Equal(t, "bob", got.Runner)
}
