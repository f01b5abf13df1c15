package main

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/controller/config"
)

// The soft memory limit: the configured MiB, or 64 MiB plus room for the
// face index; GOMEMLIMIT wins over both.
func TestSetMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	t.Setenv("GOMEMLIMIT", "")
	idx, err := controller.NewFaceIndex(config.Face{})
	require.NoError(t, err)

	setMemoryLimit(200, idx, discard())
	assert.Equal(t, int64(200<<20), debug.SetMemoryLimit(-1))
	setMemoryLimit(0, idx, discard())
	assert.Equal(t, int64(64<<20), debug.SetMemoryLimit(-1), "no faces: 64 MiB")
	for i := range 5000 {
		var d [128]float32
		d[i%128], d[(i/128)%128+1] = 0.5, float32(i)/10000
		require.NoError(t, idx.Add("p", string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)), d))
	}
	setMemoryLimit(0, idx, discard())
	assert.Equal(t, int64(64<<20+5000*584*3/2>>20<<20), debug.SetMemoryLimit(-1), "room for 5000 faces")

	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOMEMLIMIT", "300MiB")
	setMemoryLimit(100, idx, discard())
	assert.Equal(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1), "GOMEMLIMIT set: left to the runtime")
}
