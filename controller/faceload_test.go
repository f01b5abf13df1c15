package controller

import (
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/config"
	"menwei/controller/store"
)

// recordsStore is a faceStore that yields n generated faces, the bad-th
// (if any) with an invalid descriptor, and counts what it was asked for.
type recordsStore struct {
	faceStore
	n, bad int
	read   int
}

func (r *recordsStore) Faces(yield func(store.FaceRecord) bool) error {
	for i := range r.n {
		f := store.FaceRecord{Identity: fmt.Sprintf("r%05d", i), ID: "f0"}
		for k := range f.Vector {
			f.Vector[k] = float32(math.Sin(float64(i*131+k))) * 0.09
		}
		if i == r.bad {
			f.Vector[3] = float32(math.NaN())
		}
		r.read++
		if !yield(f) {
			return nil
		}
	}
	return nil
}

// The faces are read on a goroutine of their own while the index takes
// them in: every one arrives, in order; a bad one stops the reading early,
// leaves the index as it was, and leaves no goroutine behind.
func TestLoadFacesPipelined(t *testing.T) {
	idx, err := NewFaceIndex(config.Face{Threshold: 0.5, Margin: 0.08})
	require.NoError(t, err)
	fi := idx.(faceIndex)
	n, err := fi.load(&recordsStore{n: 5000, bad: -1})
	require.NoError(t, err)
	assert.Equal(t, 5000, n)
	assert.Equal(t, 5000, fi.Len())

	before := runtime.NumGoroutine()
	bad := &recordsStore{n: 100_000, bad: 2000}
	_, err = fi.load(bad)
	assert.ErrorContains(t, err, "load entry 2000")
	assert.Equal(t, 5000, fi.Len(), "all or nothing: the index is unchanged")
	assert.Less(t, bad.read, 100_000, "the reading stopped at the bad face, not at the end")
	// (not require.Eventually: it runs its condition on a goroutine of its own)
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "the reader goroutine is gone")
}
