package faceindex

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// snapshotOf writes x's snapshot and reads it into a new index.
func snapshotOf(t testing.TB, x *Index) (*Index, []byte) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, x.WriteSnapshot(&buf))
	y, err := New(Config{})
	require.NoError(t, err)
	require.NoError(t, y.Add("someone-else", "replaced", randUnit(rand.New(rand.NewPCG(1, 1)))))
	require.NoError(t, y.ReadSnapshot(bytes.NewReader(buf.Bytes())))
	return y, buf.Bytes()
}

// An index read from its snapshot answers every search as the index it was
// written from and as the exhaustive search, and goes on taking writes as
// that index would: removed slots, exceptions (descriptors that do not
// pack), identities with several faces and a partly filled last chunk
// included.
func TestSnapshotRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	entries := population(3, 2500, 3, 0.15)
	odd := entries[10]
	odd.Descriptor[4] = 3 // does not pack: an exception
	entries[10] = odd
	x, err := New(Config{})
	require.NoError(t, err)
	require.NoError(t, x.Load(slices.Values(entries)))
	m := &model{entries: slices.Clone(entries)}
	// A few writes after the load: removed slots, an added face.
	for _, id := range []string{"face-0000002-1", "face-0000100-0", "face-0000500-2"} {
		require.True(t, x.Remove(id))
		m.remove(id)
	}
	require.Equal(t, 3, x.RemoveIdentity("person-0000007"))
	m.removeIdentity("person-0000007")
	extra := randUnit(r)
	require.NoError(t, x.Add("late-comer", "late-1", extra))
	m.add("late-comer", "late-1", extra)

	y, raw := snapshotOf(t, x)
	assert.Equal(t, x.Len(), y.Len())
	assert.Equal(t, len(m.entries), y.Len())
	t.Logf("%d descriptors: %d bytes (%.0f per descriptor)", y.Len(), len(raw), float64(len(raw))/float64(y.Len()))

	queries := []Descriptor{extra, odd.Descriptor, entries[0].Descriptor, entries[6].Descriptor /* removed identity */}
	for range 200 {
		e := m.entries[r.IntN(len(m.entries))]
		queries = append(queries, perturb(r, e.Descriptor, 0.1), randUnit(r))
	}
	for i, q := range queries {
		want := bruteForce(x.cfg, m.entries, q)
		assert.Equal(t, want, x.Search(q), "query %d, written index", i)
		assert.Equal(t, want, y.Search(q), "query %d, index read back", i)
	}

	// Writes after the read: replace, remove, add identities old and new.
	for i, ix := range []*Index{x, y} {
		require.NoError(t, ix.Add("person-0000001", "face-0000001-0", extra), "index %d", i)
		assert.True(t, ix.Remove("face-0000003-0"), "index %d: an id from before the snapshot", i)
		assert.False(t, ix.Remove("face-0000002-1"), "index %d: removed before the snapshot", i)
		assert.Equal(t, 0, ix.RemoveIdentity("someone-else"), "index %d: what the reader held before is gone", i)
		assert.Equal(t, 1, ix.RemoveIdentity("late-comer"), "index %d", i)
	}
	m.add("person-0000001", "face-0000001-0", extra)
	m.remove("face-0000003-0")
	m.removeIdentity("late-comer")
	// Enough adds to refit and compact the read index.
	for i := range 3000 {
		d := randUnit(r)
		id := "more-" + string(rune('a'+i%26)) + "-" + string(rune('0'+i%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i/100%10)) + string(rune('0'+i/1000))
		require.NoError(t, y.Add("crowd", id, d))
		m.add("crowd", id, d)
	}
	assert.Equal(t, len(m.entries), y.Len())
	for i, q := range queries[:100] {
		assert.Equal(t, bruteForce(y.cfg, m.entries, q), y.Search(q), "query %d after more writes", i)
	}

	// The same state writes the same bytes.
	_, again := snapshotOf(t, x)
	_, fromY := snapshotOf(t, mustRead(t, raw))
	assert.Equal(t, raw, fromY, "written, read, written again: the same file")
	assert.NotEqual(t, raw, again, "x changed since")
}

func mustRead(t testing.TB, raw []byte) *Index {
	t.Helper()
	x, err := New(Config{})
	require.NoError(t, err)
	require.NoError(t, x.ReadSnapshot(bytes.NewReader(raw)))
	return x
}

// An empty index and a one-descriptor index round-trip too.
func TestSnapshotSmall(t *testing.T) {
	x, err := New(Config{})
	require.NoError(t, err)
	y, _ := snapshotOf(t, x)
	assert.Equal(t, 0, y.Len())
	assert.Equal(t, ReasonNoEnrolment, y.Search(randUnit(rand.New(rand.NewPCG(2, 2)))).Reason)
	d := randUnit(rand.New(rand.NewPCG(3, 3)))
	require.NoError(t, x.Add("ann", "ann-1", d))
	y, _ = snapshotOf(t, x)
	assert.Equal(t, "ann", y.Search(d).Identity)
}

// A file that is cut short, has a byte changed where a reference is, or
// is not a snapshot at all is refused with ErrBadSnapshot, and the index
// keeps what it held.
func TestSnapshotRefusesBadFiles(t *testing.T) {
	x, err := New(Config{})
	require.NoError(t, err)
	require.NoError(t, x.Load(slices.Values(population(5, 1500, 2, 0.1))))
	require.True(t, x.Remove("face-0000004-1"))
	_, raw := snapshotOf(t, x)

	held, err := New(Config{})
	require.NoError(t, err)
	d := randUnit(rand.New(rand.NewPCG(4, 4)))
	require.NoError(t, held.Add("kept", "kept-1", d))
	for name, b := range map[string][]byte{
		"empty":       nil,
		"other file":  []byte("menwei-backup 1\n"),
		"cut short":   raw[:len(raw)/2],
		"one short":   raw[:len(raw)-1],
		"extra bytes": append(slices.Clone(raw), 0),
		"bad version": func() []byte { b := slices.Clone(raw); b[len(snapMagic)] = 9; return b }(),
	} {
		err := held.ReadSnapshot(bytes.NewReader(b))
		assert.True(t, errors.Is(err, ErrBadSnapshot), "%s: %v", name, err)
		assert.Equal(t, "kept", held.Search(d).Identity, "%s: the index is unchanged", name)
		assert.Equal(t, 1, held.Len(), name)
	}
}

// FuzzReadSnapshot: any bytes are a valid snapshot or ErrBadSnapshot;
// never a panic, and an index read from them searches without one.
func FuzzReadSnapshot(f *testing.F) {
	for _, n := range []int{0, 1, 5} {
		x, err := New(Config{})
		require.NoError(f, err)
		es := population(uint64(n), n, 2, 0.1)
		if n > 0 {
			es[0].Descriptor[3] = 5 // an exception
		}
		require.NoError(f, x.Load(slices.Values(es)))
		if n > 2 {
			x.Remove(es[1].ID)
		}
		var buf bytes.Buffer
		require.NoError(f, x.WriteSnapshot(&buf))
		f.Add(buf.Bytes())
	}
	q := randUnit(rand.New(rand.NewPCG(9, 9)))
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := New(Config{})
		require.NoError(t, err)
		if err := x.ReadSnapshot(bytes.NewReader(b)); err != nil {
			require.ErrorIs(t, err, ErrBadSnapshot)
			return
		}
		x.Search(q)
		_ = x.Add("fuzz", "fuzz-1", q)
		x.Search(q)
		x.RemoveIdentity("fuzz")
	})
}

// A frozen index is written while writers go on (-race checks that the
// writer reads nothing a writer writes): the file is the index as it was
// at Freeze.
func TestFrozenWhileWriting(t *testing.T) {
	entries := population(11, 1000+17, 1, 0.1) // a last block not full
	x := mustNew(t, Config{}, entries)
	fz := x.Freeze()
	r := rand.New(rand.NewPCG(12, 12))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 300 {
			_ = x.Add("later", "later-"+string(rune('A'+i%26))+string(rune('a'+i/26)), randUnit(r))
			if i%7 == 0 {
				x.Remove(entries[i].ID)
			}
		}
	}()
	var buf bytes.Buffer
	require.NoError(t, fz.Write(&buf))
	<-done
	y := mustRead(t, buf.Bytes())
	assert.Equal(t, len(entries), y.Len())
	for _, e := range entries[:50] {
		assert.Equal(t, bruteForce(y.cfg, entries, e.Descriptor), y.Search(e.Descriptor))
	}
}
