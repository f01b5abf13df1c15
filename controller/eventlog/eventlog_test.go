package eventlog

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	kindGranted = "access.granted"
	kindDenied  = "access.denied"
	kindStart   = "system.start"
)

type testStore struct {
	*Log
	db *badger.DB
}

func (s *testStore) Close() error {
	s.Log.Close()
	return s.db.Close()
}

func openStore(t *testing.T, dir string) (*testStore, error) {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithSyncWrites(true).WithLogger(nil).
		WithMemTableSize(8 << 20).WithBlockCacheSize(1 << 20).WithIndexCacheSize(1 << 20))
	if err != nil {
		return nil, err
	}
	l, err := Open(db, nil)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &testStore{l, db}, nil
}

func openTestStore(t *testing.T, dir string) *testStore {
	t.Helper()
	s, err := openStore(t, dir)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestEventLogConcurrentAppendsAreDurableAndChained(t *testing.T) {
	dir := t.TempDir()
	s, err := openStore(t, dir)
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
				e, err := s.Append(context.Background(), Event{Kind: kindDenied, Door: fmt.Sprintf("d%d", w), Detail: fmt.Sprint(i)})
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
	e, err := s.Append(context.Background(), Event{Kind: kindStart})
	require.NoError(t, err)
	assert.Equal(t, uint64(writers*each+1), e.Seq)
	n, err = s.VerifyChain()
	require.NoError(t, err)
	assert.Equal(t, uint64(writers*each+1), n)

	page, err := s.Events(Query{After: 10, Limit: 5})
	require.NoError(t, err)
	require.Len(t, page, 5)
	assert.Equal(t, uint64(11), page[0].Seq)
	only, err := s.Events(Query{Door: "d3", Limit: 1000})
	require.NoError(t, err)
	assert.Len(t, only, each)
}

func TestVerifyChainNamesTheTamperedEvent(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	for i := range 10 {
		_, err := s.Append(context.Background(), Event{Kind: kindGranted, Identity: fmt.Sprint("r", i)})
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
	s, err := openStore(t, t.TempDir())
	require.NoError(t, err)
	s.Log.Close()
	s.Log.Close()
	defer s.db.Close()
	_, err = s.Append(context.Background(), Event{Kind: kindDenied})
	assert.ErrorIs(t, err, ErrClosed)
}

// storeOptions are the Badger options store.Store opens with.
func storeOptions(dir string) badger.Options {
	return badger.DefaultOptions(dir).WithSyncWrites(true).WithLogger(nil).
		WithMemTableSize(8 << 20).WithNumMemtables(2).
		WithBlockCacheSize(8 << 20).WithIndexCacheSize(4 << 20).
		WithValueLogFileSize(32 << 20).
		WithNumLevelZeroTables(2).WithNumLevelZeroTablesStall(8).
		WithNumCompactors(2).WithCompactL0OnClose(true)
}

// Newest gives the last N events, newest first, and pages back with Before;
// every page is checked against the full forward listing.
func TestEventsNewestFirst(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	for i := range 25 {
		_, err := s.Append(context.Background(), Event{Kind: kindGranted, Door: fmt.Sprint("d", i%2)})
		require.NoError(t, err)
	}
	all, err := s.Events(Query{Limit: 1000})
	require.NoError(t, err)
	require.Len(t, all, 25)

	last5, err := s.Events(Query{Limit: 5, Newest: true})
	require.NoError(t, err)
	require.Len(t, last5, 5)
	for i, e := range last5 {
		assert.Equal(t, all[len(all)-1-i].Seq, e.Seq)
	}
	// Paging back with Before visits every event once, newest to oldest.
	var back []uint64
	for before := uint64(0); ; {
		page, err := s.Events(Query{Limit: 7, Newest: true, Before: before})
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			back = append(back, e.Seq)
		}
		before = page[len(page)-1].Seq
	}
	require.Len(t, back, len(all))
	for i, seq := range back {
		assert.Equal(t, all[len(all)-1-i].Seq, seq)
	}
	// Filters, After and Before together.
	d1, err := s.Events(Query{Door: "d1", Newest: true, After: 10, Before: 20, Limit: 100})
	require.NoError(t, err)
	var want []uint64
	for i := len(all) - 1; i >= 0; i-- {
		if e := all[i]; e.Door == "d1" && e.Seq > 10 && e.Seq < 20 {
			want = append(want, e.Seq)
		}
	}
	var got []uint64
	for _, e := range d1 {
		got = append(got, e.Seq)
	}
	assert.Equal(t, want, got)
	// Before bounds a forward listing too.
	fwd, err := s.Events(Query{Before: 4, Limit: 100})
	require.NoError(t, err)
	require.Len(t, fwd, 3)
	assert.Equal(t, uint64(3), fwd[2].Seq)
}

// The filters of a page, checked against a brute-force filter of every
// event, in both orders and with a scan budget: paging by Next reaches
// every match once, and no page reads more than Scan events.
func TestPageFiltersAndScanBudget(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	ctx := context.Background()
	kinds := []string{"access.granted", "access.denied", "door.opened", "door.closed", "pd.offline"}
	doors := []string{"east", "west"}
	names := []string{"Li Wei", "王芳", ""}
	var all []Event
	for i := range 300 {
		e, err := s.Append(ctx, Event{Time: time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC), Kind: kinds[i%5], Door: doors[i%2],
			Identity: []string{"li", "wang", ""}[i%3], Name: names[i%3]})
		require.NoError(t, err)
		all = append(all, e)
	}
	queries := []Query{
		{},
		{Kinds: []string{"door.*"}},
		{Kinds: []string{"access.denied", "pd.*"}, Door: "west"},
		{Person: "li wei"},
		{Person: "wang"},
		{Person: "芳", Kinds: []string{"access.granted"}},
		{Since: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), Until: time.Date(2026, 1, 1, 2, 30, 0, 0, time.UTC), Door: "east"},
		{Kind: "door.opened", Kinds: []string{"door.*"}},
		{Kind: "door.opened", Kinds: []string{"access.*"}},
	}
	for i, q := range queries {
		var want []uint64
		for _, e := range all {
			if q.match(e) {
				want = append(want, e.Seq)
			}
		}
		for _, newest := range []bool{false, true} {
			q := q
			q.Newest, q.Limit, q.Scan = newest, 7, 40
			var got []uint64
			for pages := 0; ; pages++ {
				require.Less(t, pages, 100, "query %d never ends", i)
				p, err := s.Page(q)
				require.NoError(t, err)
				for _, e := range p.Events {
					got = append(got, e.Seq)
				}
				read := int(p.Next) - int(q.After)
				if newest {
					read = int(q.Before) - int(p.Next)
					if q.Before == 0 {
						read = len(all) + 1 - int(p.Next)
					}
				}
				assert.LessOrEqual(t, read, 40, "query %d: at most Scan events read", i)
				if !p.More {
					break
				}
				if newest {
					q.Before = p.Next
				} else {
					q.After = p.Next
				}
			}
			if newest {
				slices.Reverse(got)
			}
			assert.Equal(t, want, got, "query %d newest=%v", i, newest)
		}
	}
}
