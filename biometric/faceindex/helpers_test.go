package faceindex

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// randUnit returns a random unit vector.
func randUnit(r *rand.Rand) Descriptor {
	var d Descriptor
	var n float64
	for i := range d {
		v := r.NormFloat64()
		d[i] = float32(v)
		n += v * v
	}
	n = math.Sqrt(n)
	for i := range d {
		d[i] = float32(float64(d[i]) / n)
	}
	return d
}

// perturb returns d moved by a random vector of length about dist.
func perturb(r *rand.Rand, d Descriptor, dist float64) Descriptor {
	for i := range d {
		d[i] += float32(r.NormFloat64() * dist / math.Sqrt(128))
	}
	return d
}

// bruteForce is the exhaustive search the index must agree with, written
// from the definition: the nearest descriptor (ties to the smaller
// identity name), then the nearest descriptor of another identity.
func bruteForce(cfg Config, entries []Entry, q Descriptor) Result {
	inf := float32(math.Inf(1))
	if !valid(&q) {
		return Result{Distance: inf, RunnerDistance: inf, Reason: ReasonInvalid}
	}
	if len(entries) == 0 {
		return Result{Distance: inf, RunnerDistance: inf, Reason: ReasonNoEnrolment}
	}
	better := func(d2 float32, who string, bd2 float32, bwho string) bool {
		return d2 < bd2 || (d2 == bd2 && who < bwho)
	}
	d2s := make([]float32, len(entries))
	best, bestWho := inf, ""
	for i := range entries {
		e := &entries[i]
		d2s[i] = dist2(&q, &e.Descriptor)
		if bestWho == "" || better(d2s[i], e.Identity, best, bestWho) {
			best, bestWho = d2s[i], e.Identity
		}
	}
	run, runWho := inf, ""
	for i := range entries {
		if who := entries[i].Identity; who != bestWho && (runWho == "" || better(d2s[i], who, run, runWho)) {
			run, runWho = d2s[i], who
		}
	}
	if err := cfg.validate(); err != nil {
		panic(err)
	}
	res := Result{Nearest: bestWho, Distance: sqrt32(best), Runner: runWho, RunnerDistance: sqrt32(run)}
	switch {
	case !(res.Distance < cfg.Threshold):
		res.Reason = ReasonTooFar
	case res.RunnerDistance-res.Distance < cfg.Margin:
		res.Reason = ReasonAmbiguous
	default:
		res.Reason, res.Identity = ReasonMatch, res.Nearest
	}
	return res
}

// model is the obvious index: the enrolled entries in a slice.
type model struct{ entries []Entry }

func (m *model) add(identity, id string, d Descriptor) {
	m.remove(id)
	m.entries = append(m.entries, Entry{identity, id, d})
}

func (m *model) remove(id string) bool {
	for i, e := range m.entries {
		if e.ID == id {
			m.entries = append(m.entries[:i], m.entries[i+1:]...)
			return true
		}
	}
	return false
}

func (m *model) removeIdentity(identity string) int {
	n := 0
	kept := m.entries[:0]
	for _, e := range m.entries {
		if e.Identity == identity {
			n++
		} else {
			kept = append(kept, e)
		}
	}
	m.entries = kept
	return n
}

// population makes n descriptors, perID per identity: each identity a
// random unit vector and its descriptors perturbations of it by about
// spread (same person).
func population(seed uint64, n, perID int, spread float64) []Entry {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]Entry, 0, n)
	var centre Descriptor
	for i := range n {
		if i%perID == 0 {
			centre = randUnit(r)
		}
		out = append(out, Entry{
			Identity:   fmt.Sprintf("person-%07d", i/perID),
			ID:         fmt.Sprintf("face-%07d-%d", i/perID, i%perID),
			Descriptor: perturb(r, centre, spread),
		})
	}
	return out
}

// mustNew returns an index loaded with entries.
func mustNew(t testing.TB, cfg Config, entries []Entry) *Index {
	t.Helper()
	x, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := x.Add(e.Identity, e.ID, e.Descriptor); err != nil {
			t.Fatal(err)
		}
	}
	return x
}
