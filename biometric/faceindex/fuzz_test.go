package faceindex

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzIndex runs sequences of Add, Remove, RemoveIdentity, Load and Search
// decoded from the input, on the index and on the model; every search must
// equal the exhaustive search with every kernel, and nothing may panic.
func FuzzIndex(f *testing.F) {
	f.Add([]byte{0, 1, 2, 0, 3, 4, 4, 0, 1})
	f.Add([]byte{0, 1, 1, 0, 2, 1, 4, 0, 1, 2, 0, 1, 4, 3, 3})
	f.Add([]byte{5, 7, 9, 4, 1, 1, 3, 1, 0, 4, 2, 2, 0, 0, 0, 0, 0, 0, 4, 0, 0})
	f.Add([]byte{0, 10, 11, 0, 10, 12, 0, 20, 13, 4, 10, 11, 1, 2, 3, 4, 0, 0})

	r := rand.New(rand.NewPCG(40, 40))
	pool := make([]Descriptor, 0, 12)
	for range 8 {
		pool = append(pool, randUnit(r))
	}
	odd := pool[0]
	odd[5] = 3 // does not pack
	tiny := pool[1]
	tiny[9] = 1e-15
	pool = append(pool, Descriptor{}, odd, tiny, pool[2]) // pool[2] twice: exact ties
	names := []string{"ann", "bea", "cid", "dan", "eve"}

	f.Fuzz(func(t *testing.T, ops []byte) {
		x, err := New(Config{})
		require.NoError(t, err)
		m := &model{}
		vec := func(a, b byte) Descriptor {
			d := pool[int(b)%len(pool)]
			switch a % 4 {
			case 1:
				d = perturb(rand.New(rand.NewPCG(uint64(a), uint64(b))), d, 0.02*float64(a%16))
			case 2: // halfway to another: near-ties
				e := pool[int(a)%len(pool)]
				for i := range d {
					d[i] += (e[i] - d[i]) / 2
				}
			}
			return d
		}
		check := func(q Descriptor) {
			t.Helper()
			want := bruteForce(Config{}, m.entries, q)
			for _, k := range kernels() {
				x.kernel = k
				require.Equal(t, want, x.Search(q), "kernel %s", k.name)
			}
		}
		for ; len(ops) >= 3; ops = ops[3:] {
			op, a, b := ops[0], ops[1], ops[2]
			who, id := names[int(a)%len(names)], fmt.Sprintf("id%d", b%12)
			switch op % 6 {
			case 0, 1:
				d := vec(a, b)
				require.NoError(t, x.Add(who, id, d))
				m.add(who, id, d)
			case 2:
				require.Equal(t, m.remove(id), x.Remove(id))
			case 3:
				require.Equal(t, m.removeIdentity(who), x.RemoveIdentity(who))
			case 4:
				check(vec(a, b))
			case 5:
				batch := []Entry{
					{who, id, vec(a, b)},
					{names[int(b)%len(names)], fmt.Sprintf("id%d", a%12), vec(b, a)},
					{who, fmt.Sprintf("id%d", (a+b)%12), vec(a+1, b)},
				}
				require.NoError(t, x.Load(slices.Values(batch)))
				for _, e := range batch {
					m.add(e.Identity, e.ID, e.Descriptor)
				}
			}
			require.Equal(t, len(m.entries), x.Len())
		}
		for _, q := range pool {
			check(q)
		}
	})
}
