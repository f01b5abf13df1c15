package faceindex

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// The benchmarks run on random unit vectors in identities of 5: each
// identity a random unit vector, its descriptors perturbations of it by
// about 0.3 (same person). Half the queries are enrolled descriptors moved
// by about 0.2 (a resident), half are random unit vectors (a stranger).
// Search/100k-dliblike uses descriptors shaped like dlib's instead (see
// dlibLike), strangers drawn from the same distribution. Every answer is
// checked against an exhaustive search computed before the timed loop.
//
//	go test -run '^$' -bench 'Search/(10k|100k)|BruteForce|Load' ./biometric/faceindex/
//	go test -run '^$' -bench 'Search/1M' -benchtime 20x ./biometric/faceindex/

const benchQueries = 64

func sizeName(n int) string {
	if n >= 1_000_000 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprintf("%dk", n/1000)
}

func benchSetup(n int) (entries []Entry, qs []Descriptor) {
	entries = population(uint64(n), n, 5, 0.3)
	r := rand.New(rand.NewPCG(uint64(n), 2))
	for i := range benchQueries {
		if i%2 == 0 {
			qs = append(qs, perturb(r, entries[r.IntN(n)].Descriptor, 0.2))
		} else {
			qs = append(qs, randUnit(r))
		}
	}
	return entries, qs
}

// loadMeasured loads entries into a new index and returns it with the
// heap it holds per descriptor.
func loadMeasured(b *testing.B, entries []Entry) (*Index, float64) {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	x, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	if err := x.Load(slices.Values(entries)); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	return x, float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / float64(len(entries))
}

func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(sizeName(n), func(b *testing.B) {
			entries, qs := benchSetup(n)
			benchSearch(b, entries, qs)
		})
	}
	b.Run("100k-dliblike", func(b *testing.B) {
		const n = 100_000
		r := rand.New(rand.NewPCG(3, 3))
		all := dlibLike(r, n+benchQueries*5, 5)
		entries, strangers := all[:n], all[n:]
		var qs []Descriptor
		for i := range benchQueries {
			if i%2 == 0 {
				qs = append(qs, perturb(r, entries[r.IntN(n)].Descriptor, 0.2))
			} else {
				qs = append(qs, strangers[i*5/2].Descriptor)
			}
		}
		benchSearch(b, entries, qs)
	})
}

func benchSearch(b *testing.B, entries []Entry, qs []Descriptor) {
	x, perDesc := loadMeasured(b, entries)
	want := make([]Result, len(qs))
	for i, q := range qs {
		want[i] = bruteForce(x.cfg, entries, q)
	}
	var w work
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		k := i % len(qs)
		got, e := x.search(&qs[k])
		if got != want[k] {
			b.Fatalf("query %d: got %+v, exhaustive search says %+v", k, got, want[k])
		}
		w.checked += e.checked
		w.exact += e.exact
		i++
	}
	b.ReportMetric(float64(w.checked)/float64(i), "checked/op")
	b.ReportMetric(float64(w.exact)/float64(i), "exact/op")
	b.ReportMetric(perDesc, "B/desc")
}

// BenchmarkBruteForce is the exhaustive search over a flat []float32, with
// the index's distance (eight partial sums, as in the reference) and with
// the plain one-accumulator loop.
func BenchmarkBruteForce(b *testing.B) {
	const n = 100_000
	entries, qs := benchSetup(n)
	flat := make([]float32, 0, n*128)
	ident := make([]int32, n)
	for i, e := range entries {
		flat = append(flat, e.Descriptor[:]...)
		fmt.Sscanf(e.Identity, "person-%d", &ident[i])
	}
	want := make([]Result, len(qs))
	for i, q := range qs {
		want[i] = bruteForce(Config{}, entries, q)
	}
	for _, k := range []struct {
		name string
		d2   func(q, x *Descriptor) float32
	}{
		{"100k/unrolled", dist2},
		{"100k/plain", func(q, x *Descriptor) float32 {
			var s float32
			for i := range q {
				d := q[i] - x[i]
				s += d * d
			}
			return s
		}},
	} {
		b.Run(k.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				q := &qs[i%len(qs)]
				b1, b1id := float32(0), int32(-1)
				b2, b2id := float32(0), int32(-1)
				for j := range n {
					d2 := k.d2(q, (*Descriptor)(flat[j*128:]))
					switch id := ident[j]; {
					case b1id < 0 || d2 < b1:
						if b1id != id {
							b2, b2id = b1, b1id
						}
						b1, b1id = d2, id
					case id != b1id && (b2id < 0 || d2 < b2):
						b2, b2id = d2, id
					}
				}
				if w := want[i%len(qs)]; fmt.Sprintf("person-%07d", b1id) != w.Nearest || fmt.Sprintf("person-%07d", b2id) != w.Runner {
					b.Fatalf("query %d: nearest %d runner %d, want %+v", i%len(qs), b1id, b2id, w)
				}
				i++
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	const n = 100_000
	entries, _ := benchSetup(n)
	b.Run("100k", func(b *testing.B) {
		_, perDesc := loadMeasured(b, entries)
		for b.Loop() {
			x, _ := New(Config{})
			if err := x.Load(slices.Values(entries)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(perDesc, "B/desc")
	})
	// Read back from a snapshot file (in memory: the decoding and the
	// checks, not the disk), as a controller starts when its store's
	// faces have not changed since the snapshot.
	b.Run("100k/snapshot", func(b *testing.B) {
		x, _ := New(Config{})
		if err := x.Load(slices.Values(entries)); err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := x.WriteSnapshot(&buf); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
		for b.Loop() {
			y, _ := New(Config{})
			if err := y.ReadSnapshot(bytes.NewReader(buf.Bytes())); err != nil {
				b.Fatal(err)
			}
		}
	})
	// One Add per descriptor.
	b.Run("100k/add-loop", func(b *testing.B) {
		for b.Loop() {
			x, _ := New(Config{})
			for _, e := range entries {
				if err := x.Add(e.Identity, e.ID, e.Descriptor); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
