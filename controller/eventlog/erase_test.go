package eventlog

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawValues returns every value stored under the event prefix.
func rawValues(t *testing.T, s *testStore) [][]byte {
	t.Helper()
	var out [][]byte
	require.NoError(t, s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keyEvent), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	}))
	return out
}

// edit rewrites stored event seq with f, as someone with the files could.
func edit(t *testing.T, s *testStore, seq uint64, f func(*Event)) {
	t.Helper()
	require.NoError(t, s.db.Update(func(txn *badger.Txn) error {
		var e Event
		if err := getJSON(txn, string(eventKey(seq)), &e); err != nil {
			return err
		}
		f(&e)
		return setJSON(txn, string(eventKey(seq)), e)
	}))
}

func seedPeople(t *testing.T, s *testStore) {
	t.Helper()
	ctx := context.Background()
	for i := range 6 {
		who, name := "li", "Li Wei"
		if i%2 == 1 {
			who, name = "wang", "Wang Fang"
		}
		_, err := s.Append(ctx, Event{Kind: kindGranted, Door: "gate", Identity: who, Name: name, Card: "…1234", Detail: "card at gate"})
		require.NoError(t, err)
	}
}

// Erasing a person pseudonymises their events: nothing of them stays in
// the stored events, what happened where and when does, the others' events
// are untouched, the erasure is itself a chained event, and the chain
// verifies.
func TestEraseKeepsTheChain(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	seedPeople(t, s)
	res, err := s.Erase(context.Background(), "li", "erased-1", "ada")
	require.NoError(t, err)
	assert.Equal(t, 3, res.Events)
	assert.Zero(t, res.Unerasable)
	require.Len(t, res.Erasures, 1)
	n, err := s.VerifyChain()
	require.NoError(t, err, "the chain verifies after the erasure")
	assert.EqualValues(t, 7, n)

	for _, v := range rawValues(t, s) {
		assert.NotContains(t, string(v), "Li Wei")
		assert.NotContains(t, string(v), `"li"`)
	}
	evs := allEvents(t, s.Log, Query{})
	for _, e := range evs[:6] {
		if e.Erased != 0 {
			assert.Equal(t, "erased-1", e.Identity)
			assert.Empty(t, e.Name+e.Card+e.Detail+e.Salt)
			assert.Equal(t, kindGranted, e.Kind, "what happened stays")
			assert.Equal(t, "gate", e.Door)
			assert.Equal(t, res.Erasures[0], e.Erased)
		} else {
			assert.Equal(t, "Wang Fang", e.Name, "the others' events are untouched")
		}
	}
	er := evs[6]
	assert.Equal(t, KindErased, er.Kind)
	assert.Equal(t, "1,3,5", er.Covers)
	assert.Equal(t, "ada", er.Account)

	again, err := s.Erase(context.Background(), "li", "erased-1", "ada")
	require.NoError(t, err)
	assert.Zero(t, again.Events, "nothing left to erase")
}

// Tampering shows after an erasure as before it.
func TestTamperingAfterEraseShows(t *testing.T) {
	for _, tt := range []struct {
		name string
		seq  uint64
		f    func(*Event)
		want string
	}{
		{"an erased event's kind", 1, func(e *Event) { e.Kind = kindDenied }, "content does not match its hash"},
		{"an erased event's door", 3, func(e *Event) { e.Door = "back" }, "content does not match its hash"},
		{"another person's name", 2, func(e *Event) { e.Name = "Zhao" }, "the person's fields do not match their digest"},
		{"hiding who passed: marking an event erased", 2, func(e *Event) { e.Erased = 7; e.Name, e.Identity = "", "x" }, "marked erased, but erasure 7 does not list it"},
		{"un-marking an erased event", 1, func(e *Event) { e.Erased = 0 }, "the person's fields do not match their digest"},
		{"putting the person back", 1, func(e *Event) { e.Erased = 0; e.Identity, e.Name = "li", "Li Wei" }, "the person's fields do not match their digest"},
		{"an erasure mark from a later non-erasure", 2, func(e *Event) { e.Erased = 4 }, "marked erased by event 4, which is not an erasure"},
		{"an erasure's list", 7, func(e *Event) { e.Covers = "1,3" }, "content does not match its hash"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestStore(t, t.TempDir())
			seedPeople(t, s)
			_, err := s.Erase(context.Background(), "li", "erased-1", "ada")
			require.NoError(t, err)
			edit(t, s, tt.seq, tt.f)
			_, err = s.VerifyChain()
			var ce *ChainError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.seq, ce.Seq, err.Error())
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// Events recorded before digests existed (hashed whole) still verify and
// cannot be pseudonymised: Erase counts them and leaves them as they are.
func TestOldEventsAreCountedNotErased(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	seedPeople(t, s)
	// Rewrite the log as the first version wrote it: no salt, no digest,
	// the whole event hashed.
	require.NoError(t, s.db.Update(func(txn *badger.Txn) error {
		prev := ""
		for seq := uint64(1); seq <= 6; seq++ {
			var e Event
			if err := getJSON(txn, string(eventKey(seq)), &e); err != nil {
				return err
			}
			e.Salt, e.Digest, e.Prev = "", "", prev
			e.Hash = chainHash(e)
			prev = e.Hash
			if err := setJSON(txn, string(eventKey(seq)), e); err != nil {
				return err
			}
		}
		return setJSON(txn, keyEvHead, evHead{6, prev})
	}))
	s.Close()
	s = openTestStore(t, dir)
	_, err := s.VerifyChain()
	require.NoError(t, err, "an old chain verifies")
	ev, err := s.Append(context.Background(), Event{Kind: kindGranted, Identity: "li", Name: "Li Wei"})
	require.NoError(t, err)
	assert.NotEmpty(t, ev.Digest, "new events have digests")
	res, err := s.Erase(context.Background(), "li", "erased-1", "ada")
	require.NoError(t, err)
	assert.Equal(t, 1, res.Events)
	assert.Equal(t, 3, res.Unerasable)
	n, err := s.VerifyChain()
	require.NoError(t, err)
	assert.EqualValues(t, 8, n)
	var kept int
	for _, v := range rawValues(t, s) {
		if bytes.Contains(v, []byte("Li Wei")) {
			kept++
		}
	}
	assert.Equal(t, 3, kept, "only the old events still name him")
}

// Pruning past erased events and their erasure keeps the chain verifiable.
func TestPruneAfterErase(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	seedPeople(t, s)
	_, err := s.Erase(context.Background(), "li", "erased-1", "ada")
	require.NoError(t, err)
	for _, max := range []uint64{5, 2} {
		_, err = s.Prune(context.Background(), Retention{MaxCount: max}, time.Now())
		require.NoError(t, err)
		_, err = s.VerifyChain()
		require.NoError(t, err, "after keeping %d", max)
	}
}

func TestRanges(t *testing.T) {
	for _, seqs := range [][]uint64{{1}, {1, 2, 3}, {1, 3, 5}, {2, 3, 4, 9, 10, 12}} {
		s := ranges(seqs)
		got, err := parseRanges(s)
		require.NoError(t, err)
		assert.Equal(t, seqs, got, s)
	}
	assert.Equal(t, "2-4,9-10,12", ranges([]uint64{2, 3, 4, 9, 10, 12}))
	for _, bad := range []string{"", "a", "3-1", "1-99999999999"} {
		_, err := parseRanges(bad)
		assert.Error(t, err, bad)
	}
}

// An event that mentions a person (a visitor's registration names the
// host) loses the mention when that person is erased and keeps its own
// person, still checked; erased later for its own person too, the chain
// verifies; tampering with either part still shows.
func TestEraseMentions(t *testing.T) {
	setup := func(t *testing.T) *testStore {
		s := openTestStore(t, t.TempDir())
		ctx := context.Background()
		for _, e := range []Event{
			{Kind: "visitor.registered", Identity: "v1", Name: "Guest Zhang", Mentions: []string{"li", "wang"}, Detail: "registered by the gatehouse"}, // 1
			{Kind: kindGranted, Door: "gate", Identity: "li", Name: "Li Wei"},                                                                          // 2
			{Kind: "visitor.registered", Identity: "v2", Name: "Guest Zhao", Mentions: []string{"lin"}},                                                // 3
		} {
			_, err := s.Append(ctx, e)
			require.NoError(t, err)
		}
		return s
	}
	t.Run("erased one after the other", func(t *testing.T) {
		s := setup(t)
		res, err := s.Erase(context.Background(), "li", "erased-1", "ada")
		require.NoError(t, err)
		assert.Equal(t, 2, res.Events, "li's own event and the mention")
		_, err = s.VerifyChain()
		require.NoError(t, err)
		evs := allEvents(t, s.Log, Query{})
		assert.Equal(t, []string{"erased-1", "wang"}, evs[0].Mentions)
		assert.Equal(t, "Guest Zhang", evs[0].Name, "the visitor stays")
		assert.Equal(t, res.Erasures[0], evs[0].MErased)
		assert.Zero(t, evs[0].Erased)
		assert.Equal(t, []string{"lin"}, evs[2].Mentions, "a longer id that contains li is someone else")
		for _, v := range rawValues(t, s) {
			assert.NotContains(t, string(v), `"li"`)
		}

		_, err = s.Erase(context.Background(), "wang", "erased-2", "ada")
		require.NoError(t, err)
		_, err = s.Erase(context.Background(), "v1", "erased-3", "ada")
		require.NoError(t, err)
		n, err := s.VerifyChain()
		require.NoError(t, err, "an event erased for two mentions and for its person")
		assert.EqualValues(t, 6, n)
		evs = allEvents(t, s.Log, Query{})
		assert.Equal(t, "erased-3", evs[0].Identity)
		assert.Empty(t, evs[0].Name)
		assert.Equal(t, []string{"erased-1", "erased-2"}, evs[0].Mentions)
	})
	for _, tt := range []struct {
		name string
		f    func(*Event)
		want string
	}{
		{"the visitor's name in a mention-erased event", func(e *Event) { e.Name = "Someone Else" }, "the person's fields do not match their digest"},
		{"the mentions of an event not erased for them", func(e *Event) { e.MErased = 0; e.Mentions = []string{"erased-1", "zhao"} }, "the people it mentions do not match their digest"},
		{"hiding a mention", func(e *Event) { e.Mentions = nil; e.MDigest = "" }, "content does not match its hash"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := setup(t)
			_, err := s.Erase(context.Background(), "li", "erased-1", "ada")
			require.NoError(t, err)
			edit(t, s, 1, tt.f)
			_, err = s.VerifyChain()
			var ce *ChainError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, uint64(1), ce.Seq, err.Error())
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	t.Run("changing a mention before any erasure", func(t *testing.T) {
		s := setup(t)
		edit(t, s, 3, func(e *Event) { e.Mentions = []string{"li"} })
		_, err := s.VerifyChain()
		assert.ErrorContains(t, err, "the people it mentions do not match their digest")
	})
}
