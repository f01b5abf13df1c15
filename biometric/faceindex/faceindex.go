package faceindex

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"
	"sync"
	"sync/atomic"
)

// Descriptor is a dlib face descriptor: 128 float32 components, compared by
// Euclidean distance. It is an alias, so a face.Descriptor converts to it
// and a [128]float32 is one.
type Descriptor = [128]float32

// MaxComponent is the largest magnitude a descriptor component may have.
// dlib's components are well below 1; the limit keeps every squared
// distance finite.
const MaxComponent = 1024

// Reasons a search gives for its answer.
const (
	ReasonMatch       = "match"
	ReasonNoEnrolment = "no_enrolment"  // the index is empty
	ReasonTooFar      = "too_far"       // the nearest descriptor is at Threshold or farther
	ReasonAmbiguous   = "ambiguous"     // another identity is within Margin of the nearest
	ReasonInvalid     = "invalid_query" // the query has a component that is not finite or above MaxComponent
)

// Errors from Add, Load and New.
var (
	ErrBadDescriptor = errors.New("faceindex: descriptor component not finite or above MaxComponent")
	ErrBadKey        = errors.New("faceindex: identity and id must be 1 to 255 bytes")
	ErrBadConfig     = errors.New("faceindex: threshold and margin must be finite and not negative")
	ErrFull          = errors.New("faceindex: too many descriptors")
)

// Config sets the open-set decision. Zero values are the documented
// defaults.
type Config struct {
	// Threshold: a search matches only if the nearest descriptor is
	// closer than this. 0 means 0.5.
	Threshold float32
	// Margin: ...and only if the nearest descriptor of any other identity
	// is at least this much farther. 0 means 0.08 (a tiny positive value
	// all but turns the rule off).
	Margin float32
}

func (c *Config) validate() error {
	for _, v := range []float32{c.Threshold, c.Margin} {
		if v < 0 || math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%w: threshold %v, margin %v", ErrBadConfig, c.Threshold, c.Margin)
		}
	}
	if c.Threshold == 0 {
		c.Threshold = 0.5
	}
	if c.Margin == 0 {
		c.Margin = 0.08
	}
	return nil
}

// Result is the answer to a search.
type Result struct {
	// Identity is the matched identity, "" unless Reason is ReasonMatch.
	Identity string
	// Nearest is the identity owning the nearest descriptor, whether it
	// matched or not ("" with no enrolment or an invalid query).
	Nearest string
	// Distance is the distance to the nearest descriptor (+Inf if none).
	Distance float32
	// Runner is the nearest identity other than Nearest, and
	// RunnerDistance the distance to its nearest descriptor (+Inf if none).
	Runner         string
	RunnerDistance float32
	Reason         string
}

// Entry is one descriptor for Load.
type Entry struct {
	Identity   string
	ID         string
	Descriptor Descriptor
}

// Index is an in-memory 1:N index of face descriptors. Searches run
// concurrently on an immutable snapshot and never wait for writers; Add,
// Remove, RemoveIdentity and Load are serialised among themselves. Writes
// are amortised O(1), but now and then one rebuilds the whole index
// (about 1.3 s per million descriptors on a small box) while searches go
// on. Load builds the index once for a whole batch.
type Index struct {
	cfg     Config
	kernel  *kernel // the pre-filter scan (tests set it)
	snap    atomic.Pointer[snapshot]
	scratch sync.Pool // *scratch

	mu       sync.Mutex // serialises writers; guards the fields below
	st       *store
	ids      idTable
	identity map[string]uint32 // name → identity number in the snapshot's names
	fitLive  int               // live descriptors when the quantiser was last fitted
	rebuilds int               // for tests
}

// New returns an empty index.
func New(cfg Config) (*Index, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	x := &Index{cfg: cfg, kernel: kernels()[0]}
	x.scratch.New = func() any { return new(scratch) }
	x.adopt(newBuilder(0).finish())
	return x, nil
}

// adopt makes a builder's result the index's state and publishes it.
func (x *Index) adopt(b *builder, s *snapshot) {
	x.st = b.st
	x.ids = b.ids
	x.identity = b.ident
	x.fitLive = s.live
	x.snap.Store(s)
}

func checkKeys(identity, id string) error {
	if len(identity) == 0 || len(identity) > maxKey || len(id) == 0 || len(id) > maxKey {
		return fmt.Errorf("%w: identity %d bytes, id %d bytes", ErrBadKey, len(identity), len(id))
	}
	return nil
}

// Check reports whether Add would accept the keys and the descriptor
// (ErrBadKey, ErrBadDescriptor), without changing anything; only ErrFull
// is left to Add.
func Check(identity, id string, d *Descriptor) error {
	if err := checkKeys(identity, id); err != nil {
		return err
	}
	if !valid(d) {
		return ErrBadDescriptor
	}
	return nil
}

func valid(d *Descriptor) bool {
	for _, v := range d {
		// Written so that NaN fails too.
		if !(v >= -MaxComponent && v <= MaxComponent) {
			return false
		}
	}
	return true
}

// Len returns the number of enrolled descriptors.
func (x *Index) Len() int { return x.snap.Load().live }

// Add enrols descriptor d under identity with a unique id; an identity may
// have several descriptors. A descriptor already enrolled with the same id
// is replaced (even if it belonged to another identity).
func (x *Index) Add(identity, id string, d Descriptor) error {
	if err := Check(identity, id, &d); err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	e := &edit{snapshot: *x.snap.Load()}
	old, replace := x.ids.lookup(id)
	if replace {
		e.kill(old)
	}
	num, ok := x.identity[identity]
	if !ok {
		num = uint32(len(e.names))
		e.names = append(e.names, strings.Clone(identity))
	}
	ref := x.st.arena.add(id)
	slot, err := e.appendSlot(num, ref, &d)
	if err != nil {
		return err
	}
	if !ok {
		x.identity[e.names[num]] = num
	}
	x.st.chunks = e.chunks
	x.ids.put(id, slot)
	x.publish(e)
	return nil
}

// Remove forgets the descriptor with this id and reports whether there was
// one.
func (x *Index) Remove(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	slot, ok := x.ids.lookup(id)
	if !ok {
		return false
	}
	e := &edit{snapshot: *x.snap.Load()}
	e.kill(slot)
	x.ids.remove(id)
	x.publish(e)
	return true
}

// RemoveIdentity forgets every descriptor of identity and returns how many
// there were. It scans the whole index.
func (x *Index) RemoveIdentity(identity string) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	num, ok := x.identity[identity]
	if !ok {
		return 0
	}
	e := &edit{snapshot: *x.snap.Load()}
	removed := 0
	for ci, ch := range e.chunks {
		n := min(chunkCap, e.n-ci<<chunkBits)
		for off, who := range ch.ident[:n] {
			slot := uint32(ci<<chunkBits + off)
			if who != num || e.isDead(slot) {
				continue
			}
			x.ids.remove(string(x.st.idOf(slot)))
			e.kill(slot)
			removed++
		}
	}
	if removed > 0 {
		x.publish(e)
	}
	return removed
}

// Load enrols many descriptors at once, as if by Add in order but much
// faster: it rebuilds the index in one pass. It is all or nothing: on an
// invalid entry it returns an error and leaves the index unchanged. The
// sequence must not call the index's methods.
func (x *Index) Load(entries iter.Seq[Entry]) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	s := x.snap.Load()
	b := newBuilder(s.live)
	b.copyLive(s, x.st)
	n := 0
	for en := range entries {
		if err := checkKeys(en.Identity, en.ID); err != nil {
			return fmt.Errorf("faceindex: load entry %d: %w", n, err)
		}
		if !valid(&en.Descriptor) {
			return fmt.Errorf("faceindex: load entry %d (id %q): %w", n, en.ID, ErrBadDescriptor)
		}
		if err := b.put(en.Identity, en.ID, &en.Descriptor); err != nil {
			return fmt.Errorf("faceindex: load entry %d: %w", n, err)
		}
		n++
	}
	x.adopt(b.finish())
	return nil
}

// publish makes e the current snapshot, then compacts the index if enough
// descriptors were removed, or refits the quantiser if the index has
// doubled since the last fit. Both rebuild it (O(n), amortised O(1) per
// write) while searches go on with the published snapshot.
func (x *Index) publish(e *edit) {
	s := &e.snapshot
	x.snap.Store(s)
	if (s.ndead >= 64 && s.ndead*4 >= s.n) || (s.live >= 64 && s.live >= 2*x.fitLive) {
		b := newBuilder(s.live)
		b.copyLive(s, x.st)
		x.adopt(b.finish())
		x.rebuilds++
	}
}
