package eventlog

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// erasingGate is a gate's log with li's events, a visitor's registration
// that mentions li and wang, and one that mentions lin only: before holds
// its events as uploaded before any erasure.
type erasingGate struct {
	*testStore
	before []Event
}

func newErasingGate(t *testing.T) *erasingGate {
	t.Helper()
	s := openTestStore(t, t.TempDir())
	for _, e := range []Event{
		{Kind: kindGranted, Door: "gate", Identity: "li", Name: "Li Wei", Card: "…1234", Detail: "card at gate"},                        // 1
		{Kind: kindGranted, Door: "gate", Identity: "wang", Name: "Wang Fang"},                                                          // 2
		{Kind: "visitor.registered", Identity: "v1", Name: "Guest Zhang", Mentions: []string{"li", "wang"}, Detail: "at the gatehouse"}, // 3
		{Kind: kindGranted, Door: "back", Identity: "li", Name: "Li Wei", FaceRef: "f-77"},                                              // 4
		{Kind: "visitor.registered", Identity: "v2", Name: "Guest Zhao", Mentions: []string{"lin"}},                                     // 5
	} {
		_, err := s.Append(context.Background(), e)
		require.NoError(t, err)
	}
	return &erasingGate{s, allEvents(t, s.Log, Query{})}
}

// erase erases identity at the gate and returns its log as it now is
// (what it would send again).
func (g *erasingGate) erase(t *testing.T, identity, pseudonym string) []Event {
	t.Helper()
	_, err := g.Erase(context.Background(), identity, pseudonym, "ada")
	require.NoError(t, err)
	_, err = g.VerifyChain()
	require.NoError(t, err)
	return allEvents(t, g.Log, Query{})
}

// gateValues returns every value the office stores for gate: its copies
// and its notes of erasures waiting for their events.
func gateValues(t *testing.T, r *Received, gate string) []string {
	t.Helper()
	var out []string
	for _, prefix := range []string{keyGateEvent + gate + "/", keyPending + gate + "/"} {
		require.NoError(t, r.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix), PrefetchValues: true})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				v, err := it.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				out = append(out, string(v))
			}
			return nil
		}))
	}
	return out
}

// sameAsGate checks that the office holds exactly what the gate holds,
// byte for byte, that the chain verifies whole and that nothing names li.
func sameAsGate(t *testing.T, r *Received, gate string, want []Event) {
	t.Helper()
	got, err := r.Events(gate, Query{Limit: MaxLimit})
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		wb, _ := json.Marshal(want[i])
		gb, _ := json.Marshal(got[i])
		require.Equal(t, string(wb), string(gb), "seq %d: the office's copy is the gate's", want[i].Seq)
	}
	n, err := r.Verify(gate)
	require.NoError(t, err, "the office's copy of the chain verifies whole")
	assert.EqualValues(t, len(want), n)
	c, err := r.Chain(gate)
	require.NoError(t, err)
	assert.Nil(t, c.Break)
	assert.EqualValues(t, len(want), c.Verified)
	for _, v := range gateValues(t, r, gate) {
		assert.NotContains(t, v, "Li Wei")
		assert.NotContains(t, v, `"li"`)
		assert.NotContains(t, v, "f-77")
	}
}

// An erasure at a gate after its events were uploaded pseudonymises the
// office's copies in the transaction that applies it: they end as the
// gate's, the chain verifies, the others stay, and sending the erased
// events again is a duplicate, not a conflict.
func TestTheOfficeAppliesAnErasureToItsCopies(t *testing.T) {
	g := newErasingGate(t)
	r := OpenReceived(openTestStore(t, t.TempDir()).db)
	a, err := r.Apply("g1", g.before)
	require.NoError(t, err)
	require.Equal(t, 5, a.New)
	assert.Contains(t, gateValues(t, r, "g1")[0], "Li Wei", "the office held the name (the checks below can fail)")

	after := g.erase(t, "li", "erased-1")
	require.Len(t, after, 6)
	er := after[5]
	assert.Equal(t, "p,m0,p", er.Rewrites, "li's own events 1 and 4, and the first mention of 3")

	a, err = r.Apply("g1", after[5:])
	require.NoError(t, err)
	assert.Equal(t, 1, a.New)
	assert.Equal(t, 3, a.Erased)
	assert.Empty(t, a.Unapplied)
	sameAsGate(t, r, "g1", after)
	got, err := r.Events("g1", Query{Limit: MaxLimit})
	require.NoError(t, err)
	assert.Equal(t, "Wang Fang", got[1].Name, "another person's event stays")
	assert.Equal(t, "Guest Zhang", got[2].Name, "the visitor stays")
	assert.Equal(t, []string{"erased-1", "wang"}, got[2].Mentions)

	a, err = r.Apply("g1", after)
	require.NoError(t, err)
	assert.Empty(t, a.Conflicts, "the erased events sent again are the office's copies")
	assert.Equal(t, 6, a.Duplicates)
	assert.Zero(t, a.Erased)

	// The gate erases wang next, and the visitor too: the office follows.
	g.erase(t, "wang", "erased-2")
	after = g.erase(t, "v1", "erased-3")
	_, err = r.Apply("g1", after[6:])
	require.NoError(t, err)
	sameAsGate(t, r, "g1", after)
}

// A re-sent event the gate has pseudonymised since the office got it is
// a conflict while the office has not applied the erasure (it keeps its
// copy), and a duplicate once it has.
func TestAResentErasedEventConflictsUntilTheErasureIsApplied(t *testing.T) {
	g := newErasingGate(t)
	r := OpenReceived(openTestStore(t, t.TempDir()).db)
	_, err := r.Apply("g1", g.before)
	require.NoError(t, err)
	after := g.erase(t, "li", "erased-1")

	a, err := r.Apply("g1", after[:5])
	require.NoError(t, err)
	var seqs []uint64
	for _, c := range a.Conflicts {
		seqs = append(seqs, c.Seq)
	}
	assert.Equal(t, []uint64{1, 3, 4}, seqs, "the erasure is not at the office yet")
	assert.Equal(t, 2, a.Duplicates)

	_, err = r.Apply("g1", after[5:])
	require.NoError(t, err)
	a, err = r.Apply("g1", after[:5])
	require.NoError(t, err)
	assert.Empty(t, a.Conflicts)
	assert.Equal(t, 5, a.Duplicates)

	// Still a conflict: another event under a seq, erasure or not.
	forged := after[1]
	forged.Name = "Someone Else"
	a, err = r.Apply("g1", []Event{forged})
	require.NoError(t, err)
	assert.Len(t, a.Conflicts, 1)
	sameAsGate(t, r, "g1", after)
}

// An erasure that reaches the office before the events it covers (they
// arrive later, out of order, as they were before the erasure): each is
// pseudonymised before it is first stored.
func TestAnErasureBeforeItsEventsPseudonymisesThemOnArrival(t *testing.T) {
	t.Run("alone, then the events", func(t *testing.T) {
		g := newErasingGate(t)
		after := g.erase(t, "li", "erased-1")
		r := OpenReceived(openTestStore(t, t.TempDir()).db)
		a, err := r.Apply("g1", after[5:])
		require.NoError(t, err)
		assert.Zero(t, a.Erased, "nothing held yet")
		assert.EqualValues(t, 6, a.Chain.Highest)
		assert.EqualValues(t, 1, a.Chain.Waiting())

		a, err = r.Apply("g1", g.before[3:]) // 4 and 5
		require.NoError(t, err)
		assert.Equal(t, 1, a.Erased)
		a, err = r.Apply("g1", g.before[:3])
		require.NoError(t, err)
		assert.Equal(t, 2, a.Erased)
		sameAsGate(t, r, "g1", after)
		for _, v := range gateValues(t, r, "g1") {
			assert.NotContains(t, v, "[6]", "no note left once its events came")
		}
		assert.Len(t, gateValues(t, r, "g1"), 6)
	})
	t.Run("in one batch, the erasure first", func(t *testing.T) {
		g := newErasingGate(t)
		after := g.erase(t, "li", "erased-1")
		r := OpenReceived(openTestStore(t, t.TempDir()).db)
		a, err := r.Apply("g1", append([]Event{after[5]}, g.before...))
		require.NoError(t, err)
		assert.Equal(t, 3, a.Erased)
		sameAsGate(t, r, "g1", after)
	})
	t.Run("shuffled, twice each, old and new copies", func(t *testing.T) {
		g := newErasingGate(t)
		after := g.erase(t, "li", "erased-1")
		r := OpenReceived(openTestStore(t, t.TempDir()).db)
		for range 20 {
			sent := append(append([]Event(nil), g.before...), after...)
			rand.Shuffle(len(sent), func(i, j int) { sent[i], sent[j] = sent[j], sent[i] })
			r = OpenReceived(openTestStore(t, t.TempDir()).db)
			for len(sent) > 0 {
				k := min(len(sent), 1+rand.IntN(3))
				_, err := r.Apply("g1", sent[:k])
				require.NoError(t, err)
				sent = sent[k:]
			}
			sameAsGate(t, r, "g1", after)
		}
	})
}

// Erasing someone only mentioned (lin, the host on a visitor's
// registration): the office's copy loses the mention and keeps the
// visitor, still checked by its digest.
func TestTheOfficeErasesAMention(t *testing.T) {
	g := newErasingGate(t)
	r := OpenReceived(openTestStore(t, t.TempDir()).db)
	_, err := r.Apply("g1", g.before)
	require.NoError(t, err)
	after := g.erase(t, "lin", "erased-9")
	assert.Equal(t, "m0", after[5].Rewrites)
	a, err := r.Apply("g1", after[5:])
	require.NoError(t, err)
	assert.Equal(t, 1, a.Erased)
	got, err := r.Events("g1", Query{Limit: MaxLimit})
	require.NoError(t, err)
	assert.Equal(t, []string{"erased-9"}, got[4].Mentions)
	assert.Equal(t, "Guest Zhao", got[4].Name)
	assert.Empty(t, got[4].MSalt)
	assert.Equal(t, uint64(6), got[4].MErased)
	assert.Zero(t, got[4].Erased)
	for _, v := range gateValues(t, r, "g1") {
		assert.NotContains(t, v, `"lin"`)
	}
	n, err := r.Verify("g1")
	require.NoError(t, err)
	assert.EqualValues(t, 6, n)

	edit := editReceived(t, r, "g1")
	edit(5, func(e *Event) { e.Name = "Someone Else" })
	_, err = r.Verify("g1")
	assert.ErrorContains(t, err, "the person's fields do not match their digest", "the visitor is still checked")
}

// editReceived returns a function that rewrites the office's copy of one
// of gate's events, as someone with the files could.
func editReceived(t *testing.T, r *Received, gate string) func(uint64, func(*Event)) {
	return func(seq uint64, f func(*Event)) {
		t.Helper()
		require.NoError(t, r.db.Update(func(txn *badger.Txn) error {
			var e Event
			if err := getJSON(txn, string(gateEventKey(gate, seq)), &e); err != nil {
				return err
			}
			f(&e)
			return setJSON(txn, string(gateEventKey(gate, seq)), e)
		}))
	}
}

// Tampering with the office's copies after it applied an erasure shows,
// as it does on the gate.
func TestTamperingWithTheOfficesErasedCopiesShows(t *testing.T) {
	for _, tt := range []struct {
		name string
		seq  uint64
		f    func(*Event)
		want string
	}{
		{"an erased event's door", 1, func(e *Event) { e.Door = "side" }, "content does not match its hash"},
		{"putting the person back", 4, func(e *Event) { e.Erased = 0; e.Identity, e.Name = "li", "Li Wei" }, "the person's fields do not match their digest"},
		{"hiding who passed: marking an event erased", 2, func(e *Event) { e.Erased = 6; e.Name, e.Identity = "", "x" }, "marked erased, but erasure 6 does not list it"},
		{"un-marking a mention", 3, func(e *Event) { e.MErased = 0 }, "the people it mentions do not match their digest"},
		{"the erasure's list", 6, func(e *Event) { e.Covers = "1,4" }, "content does not match its hash"},
		{"the erasure's rewrites", 6, func(e *Event) { e.Rewrites = "p,p,p" }, "content does not match its hash"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := newErasingGate(t)
			after := g.erase(t, "li", "erased-1")
			r := OpenReceived(openTestStore(t, t.TempDir()).db)
			_, err := r.Apply("g1", append(g.before, after[5]))
			require.NoError(t, err)
			_, err = r.Verify("g1")
			require.NoError(t, err)
			editReceived(t, r, "g1")(tt.seq, tt.f)
			_, err = r.Verify("g1")
			var ce *ChainError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.seq, ce.Seq, err.Error())
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// rehashLast recomputes the hash of the gate's last event after f changed
// it, and the head: what a gate of an earlier version would have written.
func rehashLast(t *testing.T, s *testStore, seq uint64, f func(*Event)) Event {
	t.Helper()
	var e Event
	require.NoError(t, s.db.Update(func(txn *badger.Txn) error {
		if err := getJSON(txn, string(eventKey(seq)), &e); err != nil {
			return err
		}
		f(&e)
		e.Hash = chainHash(e)
		if err := setJSON(txn, string(eventKey(seq)), e); err != nil {
			return err
		}
		return setJSON(txn, keyEvHead, evHead{seq, e.Hash})
	}))
	return e
}

// An erasure recorded before Rewrites existed still verifies on the gate;
// the office applies it to the copies it holds when they name one person
// in common, and leaves them (reporting it) when they do not.
func TestAnErasureWithoutRewrites(t *testing.T) {
	g := newErasingGate(t)
	r := OpenReceived(openTestStore(t, t.TempDir()).db)
	_, err := r.Apply("g1", g.before)
	require.NoError(t, err)
	g.erase(t, "li", "erased-1")
	old := rehashLast(t, g.testStore, 6, func(e *Event) { e.Rewrites = "" })
	n, err := g.VerifyChain()
	require.NoError(t, err, "an erasure without Rewrites verifies")
	assert.EqualValues(t, 6, n)
	after := allEvents(t, g.Log, Query{})

	a, err := r.Apply("g1", []Event{old})
	require.NoError(t, err)
	assert.Equal(t, 3, a.Erased)
	assert.Empty(t, a.Unapplied)
	sameAsGate(t, r, "g1", after)

	t.Run("a lone mention cannot be told", func(t *testing.T) {
		g := newErasingGate(t)
		r := OpenReceived(openTestStore(t, t.TempDir()).db)
		_, err := r.Apply("g1", g.before)
		require.NoError(t, err)
		g.erase(t, "lin", "erased-9")
		old := rehashLast(t, g.testStore, 6, func(e *Event) { e.Rewrites = "" })
		a, err := r.Apply("g1", []Event{old})
		require.NoError(t, err)
		assert.Equal(t, []uint64{6}, a.Unapplied, "v2 or lin: the office cannot tell")
		assert.Zero(t, a.Erased)
		_, err = r.Verify("g1")
		assert.ErrorContains(t, err, "listed by erasure 6, but not pseudonymised", "and its chain says so")
	})
}

// A gate whose erasure said it rewrote other than it did would leave the
// office's copy other than its own: its own VerifyChain finds it.
func TestALyingRewritesShowsOnTheGate(t *testing.T) {
	g := newErasingGate(t)
	g.erase(t, "li", "erased-1")
	rehashLast(t, g.testStore, 6, func(e *Event) { e.Rewrites = "p,p,p" })
	_, err := g.VerifyChain()
	var ce *ChainError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, uint64(3), ce.Seq)
	assert.Contains(t, err.Error(), `erasure 6 says it rewrote "p"`)
}

// An erasure whose hash does not match is not applied: what it says is not
// the gate's.
func TestAForgedErasureRewritesNothing(t *testing.T) {
	g := newErasingGate(t)
	after := g.erase(t, "li", "erased-1")
	r := OpenReceived(openTestStore(t, t.TempDir()).db)
	_, err := r.Apply("g1", g.before)
	require.NoError(t, err)
	forged := after[5]
	forged.Covers, forged.Rewrites = "2", "p" // erase wang instead
	a, err := r.Apply("g1", []Event{forged})
	require.NoError(t, err)
	assert.Equal(t, []uint64{6}, a.Unapplied)
	assert.Zero(t, a.Erased)
	require.NotNil(t, a.Break)
	assert.Contains(t, a.Break.Error(), "content does not match its hash")
	got, err := r.Events("g1", Query{Limit: MaxLimit})
	require.NoError(t, err)
	assert.Equal(t, "Wang Fang", got[1].Name)
}
