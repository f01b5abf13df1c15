package faceindex

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIDTable checks the id table against a Go map through inserts,
// updates and removals, including long probe runs.
func TestIDTable(t *testing.T) {
	var keys []string // by slot
	tab := newIDTable(func(slot uint32) []byte { return []byte(keys[slot]) })
	want := map[string]uint32{}
	r := rand.New(rand.NewPCG(3, 3))
	for i := range 20000 {
		id := fmt.Sprint(r.IntN(3000))
		switch r.IntN(3) {
		case 0, 1:
			keys = append(keys, id)
			slot := uint32(len(keys) - 1)
			tab.put(id, slot)
			want[id] = slot
		case 2:
			_, ok := want[id]
			require.Equal(t, ok, tab.remove(id), "remove %s", id)
			delete(want, id)
		}
		if i%1000 == 0 || i == 19999 {
			require.Equal(t, len(want), tab.n)
			for k, slot := range want {
				got, ok := tab.lookup(k)
				require.True(t, ok, k)
				require.Equal(t, slot, got, k)
			}
			_, ok := tab.lookup("absent")
			require.False(t, ok)
		}
	}
}

// TestIDTableReserve checks that a table reserved for n entries takes them
// without growing, and keeps what it held before.
func TestIDTableReserve(t *testing.T) {
	var keys []string
	tab := newIDTable(func(slot uint32) []byte { return []byte(keys[slot]) })
	add := func(n int) {
		for range n {
			keys = append(keys, fmt.Sprintf("id-%d", len(keys)))
			tab.put(keys[len(keys)-1], uint32(len(keys)-1))
		}
	}
	add(100)
	tab.reserve(100_000)
	size := len(tab.e)
	require.GreaterOrEqual(t, size*7, 100_001*8, "room for 100,000 at the load limit")
	add(100_000 - 100)
	require.Equal(t, size, len(tab.e), "no growth while filling what was reserved")
	for slot, k := range keys {
		got, ok := tab.lookup(k)
		require.True(t, ok, k)
		require.Equal(t, uint32(slot), got, k)
	}
	tab.reserve(10) // never shrinks
	require.Equal(t, size, len(tab.e))
}
