package eventlog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gateEvents appends n events to a fresh log and returns them as a gate
// would send them.
func gateEvents(t *testing.T, n int) []Event {
	t.Helper()
	s := openTestStore(t, t.TempDir())
	for i := range n {
		_, err := s.Append(context.Background(), Event{Kind: kindGranted, Door: "d1", Identity: fmt.Sprint("r", i), Name: "Wang Fang"})
		require.NoError(t, err)
	}
	evs, err := s.Events(Query{Limit: MaxLimit})
	require.NoError(t, err)
	require.Len(t, evs, n)
	return evs
}

func TestReceivedAppliesEachEventOnceInAnyOrder(t *testing.T) {
	evs := gateEvents(t, 50)
	r := OpenReceived(openTestStore(t, t.TempDir()).db)

	// Shuffled, in batches, every event sent twice (the second copies later).
	sent := append(append([]Event(nil), evs...), evs...)
	rand.Shuffle(len(evs), func(i, j int) { sent[i], sent[j] = sent[j], sent[i] })
	var newN, dups int
	for len(sent) > 0 {
		k := min(len(sent), 7)
		a, err := r.Apply("gate-a", sent[:k])
		require.NoError(t, err)
		require.Nil(t, a.Break)
		require.Empty(t, a.Conflicts)
		newN += a.New
		dups += a.Duplicates
		sent = sent[k:]
	}
	assert.Equal(t, 50, newN)
	assert.Equal(t, 50, dups)
	c, err := r.Chain("gate-a")
	require.NoError(t, err)
	assert.Equal(t, GateChain{Gate: "gate-a", Verified: 50, Hash: evs[49].Hash, Received: 50, Highest: 50}, c)
	got, err := r.Events("gate-a", Query{Limit: MaxLimit})
	require.NoError(t, err)
	assert.Equal(t, evs, got)
	gates, err := r.Gates()
	require.NoError(t, err)
	assert.Equal(t, []string{"gate-a"}, gates)
}

func TestReceivedWaitsForAGapAndReportsABreak(t *testing.T) {
	evs := gateEvents(t, 10)
	r := OpenReceived(openTestStore(t, t.TempDir()).db)

	a, err := r.Apply("g1", append(append([]Event(nil), evs[:4]...), evs[5:]...)) // 5 missing
	require.NoError(t, err)
	assert.Equal(t, uint64(4), a.Chain.Verified)
	assert.Equal(t, uint64(5), a.Chain.Waiting())

	tampered := evs[4]
	tampered.Door = "d2" // changed in transit (or at the gate, after the hash)
	a, err = r.Apply("g1", []Event{tampered})
	require.NoError(t, err)
	require.NotNil(t, a.Break)
	assert.Equal(t, uint64(5), a.Break.Seq)
	assert.Contains(t, a.Break.Error(), "content does not match its hash")
	assert.Equal(t, uint64(4), a.Chain.Verified)
	assert.Zero(t, a.Chain.Waiting())

	// The true event 5 now conflicts with the tampered copy held: reported, not stored.
	a, err = r.Apply("g1", []Event{evs[4]})
	require.NoError(t, err)
	require.Len(t, a.Conflicts, 1)
	assert.Equal(t, uint64(5), a.Conflicts[0].Seq)
	assert.Nil(t, a.Break, "the break was found before")
	c, err := r.Chain("g1")
	require.NoError(t, err)
	require.NotNil(t, c.Break)
	assert.Equal(t, uint64(5), c.Break.Seq)
}

func TestReceivedFindsAReorderedChain(t *testing.T) {
	evs := gateEvents(t, 3)
	r := OpenReceived(openTestStore(t, t.TempDir()).db)
	swapped := []Event{evs[0], evs[2], evs[1]}
	swapped[1].Seq, swapped[2].Seq = 2, 3 // seq 2 now carries event 3's content
	a, err := r.Apply("g1", swapped)
	require.NoError(t, err)
	require.NotNil(t, a.Break)
	assert.Equal(t, uint64(2), a.Break.Seq)
	assert.Equal(t, uint64(1), a.Chain.Verified)
}

func TestReceivedRefusesABadGateName(t *testing.T) {
	r := OpenReceived(openTestStore(t, t.TempDir()).db)
	for _, g := range []string{"", "a.b", "a*", "A", "gate>", string(make([]byte, 33))} {
		_, err := r.Apply(g, nil)
		assert.Error(t, err, g)
	}
}

func TestReceivedBatchRecordsHowFarTheStreamIsApplied(t *testing.T) {
	evs := gateEvents(t, 4)
	r := OpenReceived(openTestStore(t, t.TempDir()).db)
	n, err := r.Through()
	require.NoError(t, err)
	assert.Zero(t, n)
	res, err := r.ApplyBatch(7, []GateEvents{{"g1", evs[:2]}, {"g2", evs}})
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, uint64(2), res[0].Chain.Verified)
	assert.Equal(t, uint64(4), res[1].Chain.Verified)
	n, err = r.Through()
	require.NoError(t, err)
	assert.Equal(t, uint64(7), n)

	// A bad gate anywhere in the batch: nothing applied, the cursor kept.
	_, err = r.ApplyBatch(9, []GateEvents{{"g1", evs[2:]}, {"G!", evs}})
	require.Error(t, err)
	n, err = r.Through()
	require.NoError(t, err)
	assert.Equal(t, uint64(7), n)
	c, err := r.Chain("g1")
	require.NoError(t, err)
	assert.Equal(t, uint64(2), c.Received)
}

// TestReceivedPagesAsTheLogDoes: a gate's copy answers the same pages as
// the gate's own log (newest first, bounded scans, filters), and a
// subscriber hears each event once, when it is stored.
func TestReceivedPagesAsTheLogDoesAndTellsSubscribers(t *testing.T) {
	gate := openTestStore(t, t.TempDir())
	for i := range 30 {
		kind := kindGranted
		if i%3 == 0 {
			kind = "door.mode"
		}
		_, err := gate.Append(context.Background(), Event{Kind: kind, Door: "d1", Identity: fmt.Sprint("r", i)})
		require.NoError(t, err)
	}
	evs, err := gate.Events(Query{Limit: MaxLimit})
	require.NoError(t, err)
	r := OpenReceived(openTestStore(t, t.TempDir()).db)
	live, cancel := r.Subscribe(64)
	defer cancel()
	_, err = r.Apply("gate-a", evs)
	require.NoError(t, err)
	_, err = r.Apply("gate-a", evs[:5]) // held: told once only
	require.NoError(t, err)
	for i := range evs {
		got := <-live
		assert.Equal(t, GateEvent{"gate-a", evs[i]}, got)
	}
	assert.Empty(t, live)
	for _, q := range []Query{
		{Newest: true, Limit: 7},
		{Newest: true, Before: 20, Limit: 4, Kinds: []string{"door.*"}},
		{After: 3, Limit: 5, Scan: 8, Kinds: []string{"door.mode"}},
		{After: 25, Limit: 100},
	} {
		want, err := gate.Page(q)
		require.NoError(t, err)
		got, err := r.Page("gate-a", q)
		require.NoError(t, err)
		assert.Equal(t, want, got, "%+v", q)
	}
	_, err = r.Page("a/b", Query{})
	assert.Error(t, err)
}
