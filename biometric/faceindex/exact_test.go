package faceindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// queries returns n queries against entries: enrolled descriptors moved a
// little or a lot, strangers, exact copies, and near-ties (midpoints
// between descriptors of two identities).
func queries(r *rand.Rand, entries []Entry, n int) []Descriptor {
	qs := make([]Descriptor, 0, n)
	pick := func() Descriptor { return entries[r.IntN(len(entries))].Descriptor }
	for len(qs) < n {
		switch len(qs) % 6 {
		case 0:
			qs = append(qs, perturb(r, pick(), 0.05+0.4*r.Float64()))
		case 1:
			qs = append(qs, randUnit(r))
		case 2:
			qs = append(qs, pick())
		case 3, 4:
			a, b := entries[r.IntN(len(entries))], entries[r.IntN(len(entries))]
			var q Descriptor
			for i := range q {
				q[i] = a.Descriptor[i] + (b.Descriptor[i]-a.Descriptor[i])/2
			}
			qs = append(qs, q)
		case 5:
			q := pick()
			q[r.IntN(128)] += float32(r.NormFloat64() * 1e-6)
			qs = append(qs, q)
		}
	}
	return qs
}

// checkExact compares every answer of x with the exhaustive search.
func checkExact(t *testing.T, x *Index, cfg Config, entries []Entry, qs []Descriptor) (exact int) {
	t.Helper()
	for i, q := range qs {
		got, n := x.search(&q)
		want := bruteForce(cfg, entries, q)
		if got != want {
			t.Fatalf("query %d: got %+v, exhaustive search says %+v", i, got, want)
		}
		exact += n.exact
	}
	return exact
}

// dlibLike makes descriptors shaped like dlib's as measured on the sample
// photos: components with means up to ±0.35 and standard deviations 0.025
// to 0.076, norms near 1.4; one person's descriptors about 0.3 apart,
// different people's about 0.78. Identities have perID descriptors.
func dlibLike(r *rand.Rand, n, perID int) []Entry {
	var mean, spread [128]float64
	for i := range mean {
		mean[i] = r.NormFloat64() * 0.1
		spread[i] = 0.025 + 0.051*r.Float64()
	}
	var out []Entry
	var centre [128]float64
	for i := range n {
		if i%perID == 0 {
			for d := range centre {
				centre[d] = mean[d] + 0.85*spread[d]*r.NormFloat64()
			}
		}
		var v Descriptor
		for d := range v {
			v[d] = float32(centre[d] + 0.35*spread[d]*r.NormFloat64())
		}
		out = append(out, Entry{fmt.Sprintf("p%07d", i/perID), fmt.Sprintf("f%07d", i), v})
	}
	return out
}

func TestSearchMatchesExhaustive(t *testing.T) {
	n, nq := 3000, 1200
	if testing.Short() || raceDetector {
		n, nq = 1500, 400
	}
	r := rand.New(rand.NewPCG(7, 7))
	withTies := func(entries []Entry) []Entry {
		// The same descriptors under several identities: exact ties for
		// the nearest and for the runner.
		for i := range 20 {
			d := entries[r.IntN(len(entries))].Descriptor
			for _, who := range []string{"tie-b", "tie-a", "tie-c"}[:2+i%2] {
				entries = append(entries, Entry{fmt.Sprintf("%s%d", who, i), fmt.Sprintf("%s%d", who, i), d})
			}
		}
		return entries
	}
	odd := func(entries []Entry) []Entry {
		// Components the packing cannot hold (exceptions) or holds
		// specially (zeros), and vectors far out of scale.
		for i := range entries {
			d := &entries[i].Descriptor
			switch i % 7 {
			case 0:
				d[r.IntN(128)] = 0
				d[r.IntN(128)] = float32(math.Copysign(0, -1))
			case 1:
				d[r.IntN(128)] = 1e-12
			case 2:
				d[r.IntN(128)] = 2.5
			case 3:
				for k := range d {
					d[k] *= 40
				}
			}
		}
		return entries
	}
	tests := []struct {
		name    string
		cfg     Config
		entries []Entry
	}{
		{"clustered, 5 per identity", Config{}, withTies(population(1, n, 5, 0.3))},
		{"random unit vectors, one per identity", Config{}, population(2, n, 1, 0)},
		{"tight clusters, 20 per identity", Config{Threshold: 0.6, Margin: 0.1}, population(3, n, 20, 0.1)},
		{"dlib-like spreads", Config{}, withTies(dlibLike(r, n, 4))},
		{"zeros, exceptions, odd scales", Config{}, odd(population(4, n, 3, 0.3))},
		{"small", Config{}, population(5, 40, 4, 0.3)},
	}
	for _, tt := range tests {
		qs := queries(r, tt.entries, nq)
		for _, k := range kernels() {
			t.Run(tt.name+"/"+k.name, func(t *testing.T) {
				x, err := New(tt.cfg)
				require.NoError(t, err)
				x.kernel = k
				require.NoError(t, x.Load(slices.Values(tt.entries)))
				require.Equal(t, len(tt.entries), x.Len())
				exact := checkExact(t, x, tt.cfg, tt.entries, qs)
				t.Logf("%d descriptors, %d queries, %.1f computed exactly per query", len(tt.entries), len(qs), float64(exact)/float64(len(qs)))
			})
		}
	}
}

// TestSearchWhileEditing grows the index one Add at a time (default
// quantiser first, refits as it doubles), replaces and removes
// descriptors, and checks searches against the model at every stage, with
// every kernel.
func TestSearchWhileEditing(t *testing.T) {
	for _, k := range kernels() {
		t.Run(k.name, func(t *testing.T) { testSearchWhileEditing(t, k) })
	}
}

func testSearchWhileEditing(t *testing.T, k *kernel) {
	n := 2600
	if testing.Short() || raceDetector {
		n = 1300
	}
	r := rand.New(rand.NewPCG(8, 8))
	pop := population(9, n, 4, 0.3)
	x := mustNew(t, Config{}, nil)
	x.kernel = k
	m := &model{}
	check := func(stage string) {
		t.Helper()
		require.Equal(t, len(m.entries), x.Len(), stage)
		if len(m.entries) == 0 {
			return
		}
		for _, q := range queries(r, m.entries, 30) {
			got, want := x.Search(q), bruteForce(Config{}, m.entries, q)
			require.Equal(t, want, got, stage)
		}
	}
	for i, e := range pop {
		require.NoError(t, x.Add(e.Identity, e.ID, e.Descriptor))
		m.add(e.Identity, e.ID, e.Descriptor)
		switch {
		case i%7 == 3:
			// Re-enrol an earlier id, sometimes under another identity.
			old := pop[r.IntN(i+1)]
			who := old.Identity
			if i%2 == 0 {
				who = pop[r.IntN(i+1)].Identity
			}
			d := perturb(r, old.Descriptor, 0.1)
			require.NoError(t, x.Add(who, old.ID, d))
			m.add(who, old.ID, d)
		case i%11 == 5:
			id := pop[r.IntN(i+1)].ID
			require.Equal(t, m.remove(id), x.Remove(id))
		case i%97 == 50:
			who := pop[r.IntN(i+1)].Identity
			require.Equal(t, m.removeIdentity(who), x.RemoveIdentity(who))
		}
		if i%200 == 0 || i == len(pop)-1 {
			check(fmt.Sprintf("after %d adds", i+1))
		}
	}
	// Remove most of it: compaction.
	for _, e := range pop[:n*3/4] {
		require.Equal(t, m.remove(e.ID), x.Remove(e.ID))
	}
	check("after removing three quarters")
	require.GreaterOrEqual(t, x.rebuilds, 3, "refits and compactions happened")
	// Load on top of what is there, replacing some ids.
	more := population(10, 500, 5, 0.3)
	more = append(more, Entry{"moved", pop[n-1].ID, pop[0].Descriptor})
	require.NoError(t, x.Load(slices.Values(more)))
	for _, e := range more {
		m.add(e.Identity, e.ID, e.Descriptor)
	}
	check("after Load")
}

// TestPrunes checks that the bound does its job: few descriptors are
// computed exactly (a count, not a timing).
func TestPrunes(t *testing.T) {
	pop := population(11, 20000, 5, 0.3)
	x, err := New(Config{})
	require.NoError(t, err)
	require.NoError(t, x.Load(slices.Values(pop)))
	r := rand.New(rand.NewPCG(12, 12))
	total := 0
	for i := range 40 {
		q := randUnit(r)
		if i%2 == 0 {
			q = perturb(r, pop[r.IntN(len(pop))].Descriptor, 0.2)
		}
		_, n := x.search(&q)
		total += n.exact
	}
	avg := float64(total) / 40
	t.Logf("%.0f of %d descriptors computed exactly per query", avg, len(pop))
	require.Less(t, avg, 0.02*float64(len(pop)))
}
