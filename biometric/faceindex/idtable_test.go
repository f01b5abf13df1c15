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
