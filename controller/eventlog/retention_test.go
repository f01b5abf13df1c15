package eventlog

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/badgerdb"
)

// appendMinutes appends n events, event i (seq i+1) at t0 + i minutes, one
// after another so that seq and time agree.
func appendMinutes(t *testing.T, l *Log, n int) {
	t.Helper()
	for i := range n {
		_, err := l.Append(context.Background(), Event{Time: t0.Add(time.Duration(i) * time.Minute),
			Kind: kindGranted, Identity: fmt.Sprint("r", i)})
		require.NoError(t, err)
	}
}

// requireLog checks that l holds exactly the events first..last, chained.
func requireLog(t *testing.T, l *Log, first, last uint64) {
	t.Helper()
	f, la := l.Stats()
	assert.Equal(t, [2]uint64{first, last}, [2]uint64{f, la}, "Stats")
	n, err := l.VerifyChain()
	require.NoError(t, err)
	assert.Equal(t, last+1-first, n, "events verified")
	evs := allEvents(t, l, Query{})
	require.Len(t, evs, int(last+1-first))
	for i, e := range evs {
		require.Equal(t, first+uint64(i), e.Seq)
	}
}

func TestPruneByCount(t *testing.T) {
	dir := t.TempDir()
	s, err := openStore(t, dir)
	require.NoError(t, err)
	first, last := s.Stats()
	assert.Equal(t, [2]uint64{1, 0}, [2]uint64{first, last}, "a new log")
	appendMinutes(t, s.Log, 100)

	removed, err := s.Prune(context.Background(), Retention{MaxCount: 30}, t0)
	require.NoError(t, err)
	assert.Equal(t, uint64(70), removed)
	requireLog(t, s.Log, 71, 100)
	page, err := s.Events(Query{After: 10, Limit: 5})
	require.NoError(t, err)
	require.Len(t, page, 5)
	assert.Equal(t, uint64(71), page[0].Seq, "paging from before the first retained starts at it")

	removed, err = s.Prune(context.Background(), Retention{MaxCount: 30}, t0)
	require.NoError(t, err)
	assert.Zero(t, removed, "nothing more to remove")

	e, err := s.Append(context.Background(), Event{Kind: kindStart})
	require.NoError(t, err)
	assert.Equal(t, uint64(101), e.Seq)
	requireLog(t, s.Log, 71, 101)

	// The anchor survives a reopen.
	require.NoError(t, s.Close())
	s = openTestStore(t, dir)
	requireLog(t, s.Log, 71, 101)
}

func TestPruneByAge(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	appendMinutes(t, s.Log, 100)
	now := t0.Add(100 * time.Minute)

	// Older than 30 minutes: events 0..69 (seqs 1..70).
	removed, err := s.Prune(context.Background(), Retention{MaxAge: 30 * time.Minute}, now)
	require.NoError(t, err)
	assert.Equal(t, uint64(70), removed)
	requireLog(t, s.Log, 71, 100)

	// Both limits: whichever removes more.
	removed, err = s.Prune(context.Background(), Retention{MaxAge: 25 * time.Minute, MaxCount: 10}, now)
	require.NoError(t, err)
	assert.Equal(t, uint64(20), removed)
	requireLog(t, s.Log, 91, 100)
	removed, err = s.Prune(context.Background(), Retention{MaxAge: 5 * time.Minute, MaxCount: 8}, now)
	require.NoError(t, err)
	assert.Equal(t, uint64(5), removed)
	requireLog(t, s.Log, 96, 100)

	// Everything old: the log empties and the chain goes on from the anchor.
	removed, err = s.Prune(context.Background(), Retention{MaxAge: time.Minute}, now.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, uint64(5), removed)
	requireLog(t, s.Log, 101, 100)
	_, err = s.Append(context.Background(), Event{Kind: kindStart})
	require.NoError(t, err)
	requireLog(t, s.Log, 101, 101)
}

func TestPruneByAgeStopsAtTheFirstYoungEvent(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	for i, min := range []int{0, 1, 50, 2, 3} { // seq 3 was stamped late
		_, err := s.Append(context.Background(), Event{Time: t0.Add(time.Duration(min) * time.Minute), Kind: kindGranted,
			Detail: fmt.Sprint(i)})
		require.NoError(t, err)
	}
	removed, err := s.Prune(context.Background(), Retention{MaxAge: 10 * time.Minute}, t0.Add(20*time.Minute))
	require.NoError(t, err)
	assert.Equal(t, uint64(2), removed, "the tail only: seqs 4 and 5 wait for seq 3")
	requireLog(t, s.Log, 3, 5)
}

func TestPruneZeroRetentionKeepsEverything(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	appendMinutes(t, s.Log, 10)
	removed, err := s.Prune(context.Background(), Retention{}, t0.Add(1000*time.Hour))
	require.NoError(t, err)
	assert.Zero(t, removed)
	requireLog(t, s.Log, 1, 10)
}

func TestTamperAfterPruneIsFoundAtItsSeq(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tamper  func(txn *badger.Txn) error
		wantSeq uint64
	}{
		{"changed", func(txn *badger.Txn) error {
			var e Event
			if err := getJSON(txn, string(eventKey(80)), &e); err != nil {
				return err
			}
			e.Identity = "someone-else"
			return setJSON(txn, string(eventKey(80)), e)
		}, 80},
		{"deleted from the middle", func(txn *badger.Txn) error { return txn.Delete(eventKey(85)) }, 85},
		{"first retained deleted", func(txn *badger.Txn) error { return txn.Delete(eventKey(71)) }, 71},
		{"last deleted", func(txn *badger.Txn) error { return txn.Delete(eventKey(100)) }, 100},
		{"anchor deleted", func(txn *badger.Txn) error { return txn.Delete([]byte(keyEvAnchor)) }, 1},
		{"anchor moved", func(txn *badger.Txn) error { return setJSON(txn, keyEvAnchor, evAnchor{Seq: 72, Prev: "x"}) }, 71},
		{"pruned event put back", func(txn *badger.Txn) error {
			return setJSON(txn, string(eventKey(70)), Event{Seq: 70, Kind: kindGranted})
		}, 70},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTestStore(t, t.TempDir())
			appendMinutes(t, s.Log, 100)
			_, err := s.Prune(context.Background(), Retention{MaxCount: 30}, t0)
			require.NoError(t, err)
			require.NoError(t, s.db.Update(tc.tamper))
			_, err = s.VerifyChain()
			var ce *ChainError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.wantSeq, ce.Seq, ce.Error())
		})
	}
}

func TestPruneDoesNotRemoveABrokenLink(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	appendMinutes(t, s.Log, 100)
	require.NoError(t, s.db.Update(func(txn *badger.Txn) error {
		var e Event
		require.NoError(t, getJSON(txn, string(eventKey(20)), &e))
		e.Detail = "rewritten"
		return setJSON(txn, string(eventKey(20)), e)
	}))
	removed, err := s.Prune(context.Background(), Retention{MaxCount: 10}, t0)
	var ce *ChainError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, uint64(20), ce.Seq)
	assert.Equal(t, uint64(19), removed, "the intact events before it go")
	first, _ := s.Stats()
	assert.Equal(t, uint64(20), first)
	_, err = s.VerifyChain()
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, uint64(20), ce.Seq, "the evidence stays")
}

func TestPruneWhileAppending(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	ctx, stop := context.WithCancel(context.Background())
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		acked = map[uint64]string{}
		total atomic.Int64
	)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				e, err := s.Append(context.Background(), Event{Kind: kindGranted, Door: fmt.Sprint("d", g), Detail: fmt.Sprint(i)})
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				acked[e.Seq] = e.Hash
				mu.Unlock()
				total.Add(1)
			}
		}()
	}
	// Readers check the chain and the pages while pruning goes on.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			_, err := s.VerifyChain()
			assert.NoError(t, err)
			evs, err := s.Events(Query{Limit: 1000})
			assert.NoError(t, err)
			for i := 1; i < len(evs); i++ {
				assert.Equal(t, evs[i-1].Seq+1, evs[i].Seq)
				assert.Equal(t, evs[i-1].Hash, evs[i].Prev)
			}
		}
	}()
	var removed uint64
	for round := 0; round < 20 || total.Load() < 3000; round++ {
		for total.Load() < int64(round+1)*150 {
			time.Sleep(time.Millisecond) // let some appends land between prunes
		}
		n, err := s.Prune(context.Background(), Retention{MaxCount: 100}, time.Now())
		require.NoError(t, err)
		removed += n
	}
	stop()
	wg.Wait()

	first, last := s.Stats()
	assert.Equal(t, uint64(len(acked)), last, "every append acknowledged")
	assert.Equal(t, removed+1, first, "pruned exactly the tail")
	requireLog(t, s.Log, first, last)
	for _, e := range allEvents(t, s.Log, Query{}) {
		assert.Equal(t, acked[e.Seq], e.Hash)
	}
}

// diskUsage is what du says dir takes: the blocks allocated to its files.
func diskUsage(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		fi, err := os.Stat(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		n += fi.Sys().(*syscall.Stat_t).Blocks * 512
	}
	return n
}

// TestPruneGivesSpaceBack prunes 49k of 50k events while the log keeps
// running, and expects the disk usage to drop below what it was before.
// Badger drops deleted events when a compaction meets their deletions on
// disk, so deletions still in the memtable wait for it to be flushed: the
// test appends until it is, pruning as it goes, as a running controller
// would.
func TestPruneGivesSpaceBack(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 50k events")
	}
	dir := t.TempDir()
	db, _, err := badgerdb.Open(storeOptions(dir), nil)
	require.NoError(t, err)
	l, err := Open(db, nil)
	require.NoError(t, err)
	defer func() {
		l.Close()
		db.Close()
	}()
	detail := fmt.Sprintf("%0200d", 0)
	mk := func(i int) Event {
		return Event{Kind: kindGranted, Door: "gate", Identity: fmt.Sprint("r", i), Detail: detail}
	}
	fill(t, l, 50_000, mk)
	before := diskUsage(t, dir)

	removed, err := l.Prune(context.Background(), Retention{MaxCount: 1000}, time.Now())
	require.NoError(t, err)
	assert.Equal(t, uint64(49_000), removed)
	_, last := l.Stats()
	requireLog(t, l, last-999, last)

	after := diskUsage(t, dir)
	first, more := after, 0
	for ; after >= before && more < 40_000; more += 1000 {
		fill(t, l, 1000, mk)
		_, err := l.Prune(context.Background(), Retention{MaxCount: 1000}, time.Now())
		require.NoError(t, err)
		after = diskUsage(t, dir)
	}
	t.Logf("disk usage: %d bytes with 50k events, %d after pruning to 1k (%d after the first prune, %d more appends)", before, after, first, more)
	assert.Less(t, after, before)
	_, last = l.Stats()
	requireLog(t, l, last-999, last)
}

func TestPruneAndExportAfterClose(t *testing.T) {
	s, err := openStore(t, t.TempDir())
	require.NoError(t, err)
	defer s.db.Close()
	appendMinutes(t, s.Log, 10)
	s.Log.Close()
	_, err = s.Prune(context.Background(), Retention{MaxCount: 1}, t0)
	assert.ErrorIs(t, err, ErrClosed)
	_, err = s.Export(context.Background(), Query{}, "jsonl", io.Discard)
	assert.ErrorIs(t, err, ErrClosed)
}

// An estate's gate keeps what has not reached the office yet, whatever
// its age or the count.
func TestPruneKeepsWhatIsNotUploaded(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	appendMinutes(t, s.Log, 100)
	cursor := uint64(40)
	removed, err := s.Prune(context.Background(), Retention{MaxCount: 10, MaxAge: time.Minute, KeepAfter: &cursor}, t0.Add(time.Hour*24))
	require.NoError(t, err)
	assert.Equal(t, uint64(40), removed, "only the uploaded")
	requireLog(t, s.Log, 41, 100)

	none := uint64(0) // nothing uploaded yet: nothing goes
	removed, err = s.Prune(context.Background(), Retention{MaxCount: 10, KeepAfter: &none}, t0)
	require.NoError(t, err)
	assert.Zero(t, removed)

	removed, err = s.Prune(context.Background(), Retention{MaxCount: 10}, t0) // not joined: as before
	require.NoError(t, err)
	assert.Equal(t, uint64(50), removed)
	requireLog(t, s.Log, 91, 100)
}
