package controller

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openTestStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenStore(StoreOptions{Dir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestResidentsAndCards(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	require.NoError(t, s.PutResident(Resident{ID: "r1", Name: "Li Wei", Unit: "3-201", Cards: []string{"1:1234"}}))
	card, err := ParseCard("h10301:1:1234")
	require.NoError(t, err)
	r, err := s.ResidentByCard(card)
	require.NoError(t, err)
	assert.Equal(t, "Li Wei", r.Name)
	assert.Equal(t, []string{"h10301:1:1234"}, r.Cards)

	err = s.PutResident(Resident{ID: "r2", Name: "Wang Fang", Cards: []string{"1:1234"}})
	assert.ErrorIs(t, err, ErrCardInUse)

	// Replacing the card frees the old one.
	require.NoError(t, s.PutResident(Resident{ID: "r1", Name: "Li Wei", Cards: []string{"1:999"}}))
	_, err = s.ResidentByCard(card)
	assert.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, s.PutResident(Resident{ID: "r2", Name: "Wang Fang", Cards: []string{"1:1234"}}))

	require.NoError(t, s.DeleteResident("r2"))
	_, err = s.ResidentByCard(card)
	assert.ErrorIs(t, err, ErrNotFound)
	all, err := s.Residents()
	require.NoError(t, err)
	assert.Len(t, all, 1)

	for _, bad := range []Resident{{ID: "", Name: "x"}, {ID: "a b", Name: "x"}, {ID: "ok"}, {ID: "ok", Name: "x", Cards: []string{"nonsense"}}} {
		assert.ErrorIs(t, s.PutResident(bad), ErrBadRequest, "%+v", bad)
	}
}

func TestEventLogConcurrentAppendsAreDurableAndChained(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenStore(StoreOptions{Dir: dir})
	require.NoError(t, err)
	ch, cancel := s.Subscribe(1000)
	defer cancel()

	const writers, each = 16, 25
	var wg sync.WaitGroup
	seqs := make(chan uint64, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e, err := s.Append(context.Background(), Event{Kind: KindDenied, Door: fmt.Sprintf("d%d", w), Detail: fmt.Sprint(i)})
				assert.NoError(t, err)
				seqs <- e.Seq
			}
		}()
	}
	wg.Wait()
	close(seqs)
	seen := map[uint64]bool{}
	for q := range seqs {
		assert.False(t, seen[q], "seq %d given twice", q)
		seen[q] = true
	}
	assert.Len(t, seen, writers*each)
	assert.Len(t, ch, writers*each, "subscriber saw every event")
	n, err := s.VerifyChain()
	require.NoError(t, err)
	assert.Equal(t, uint64(writers*each), n)
	require.NoError(t, s.Close())

	// Reopen: everything is there and the chain continues.
	s = openTestStore(t, dir)
	e, err := s.Append(context.Background(), Event{Kind: KindSystemStart})
	require.NoError(t, err)
	assert.Equal(t, uint64(writers*each+1), e.Seq)
	n, err = s.VerifyChain()
	require.NoError(t, err)
	assert.Equal(t, uint64(writers*each+1), n)

	page, err := s.Events(EventQuery{After: 10, Limit: 5})
	require.NoError(t, err)
	require.Len(t, page, 5)
	assert.Equal(t, uint64(11), page[0].Seq)
	only, err := s.Events(EventQuery{Door: "d3", Limit: 1000})
	require.NoError(t, err)
	assert.Len(t, only, each)
}

func TestVerifyChainNamesTheTamperedEvent(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	for i := range 10 {
		_, err := s.Append(context.Background(), Event{Kind: KindGranted, Identity: fmt.Sprint("r", i)})
		require.NoError(t, err)
	}
	// Someone with disk access changes event 6.
	require.NoError(t, s.db.Update(func(txn *badger.Txn) error {
		var e Event
		require.NoError(t, getJSON(txn, string(eventKey(6)), &e))
		e.Identity = "someone-else"
		return setJSON(txn, string(eventKey(6)), e)
	}))
	_, err := s.VerifyChain()
	var ce *ChainError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, uint64(6), ce.Seq)
}

func TestAppendAfterClose(t *testing.T) {
	s, err := OpenStore(StoreOptions{Dir: t.TempDir()})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	_, err = s.Append(context.Background(), Event{Kind: KindDenied})
	assert.ErrorIs(t, err, ErrStoreClosed)
}

func TestStoreLockedByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	openTestStore(t, dir)
	_, err := OpenStore(StoreOptions{Dir: dir})
	assert.ErrorContains(t, err, "in use by another process")
}
