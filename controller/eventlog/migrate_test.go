package eventlog

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Events written under ev/ move to the current prefix in steps of at most
// max, and in smaller ones where Badger's limit on a transaction comes
// first (1 MB memtables: about 150 kB a transaction, some 60 of these
// events); an event under both prefixes is moved again. The chain verifies
// after, and the log goes on from the head.
func TestMoveV1Events(t *testing.T) {
	db, err := badger.Open(badger.DefaultOptions(t.TempDir()).WithSyncWrites(true).WithLogger(nil).WithMemTableSize(1 << 20).WithValueThreshold(64 << 10))
	require.NoError(t, err)
	l, err := Open(db, nil)
	require.NoError(t, err)
	const n = 300
	for i := range n {
		_, err := l.Append(context.Background(), Event{Kind: kindGranted, Door: "gate", Detail: strings.Repeat("x", 2000) + fmt.Sprint(i)})
		require.NoError(t, err)
	}
	l.Close()
	// As schema 1 kept them, and event 7 under both prefixes.
	moveAll(t, db, keyEvent, keyEventV1)
	require.NoError(t, db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(append([]byte(keyEventV1), eventKey(7)[len(keyEvent):]...))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		return txn.Set(eventKey(7), v)
	}))

	var steps []int
	for more := true; more; {
		before := count(t, db, keyEventV1)
		require.NoError(t, db.Update(func(txn *badger.Txn) error {
			more, err = MoveV1Events(txn, 100)
			return err
		}))
		steps = append(steps, before-count(t, db, keyEventV1))
	}
	assert.Zero(t, count(t, db, keyEventV1))
	assert.Equal(t, n, count(t, db, keyEvent))
	assert.Greater(t, len(steps), n/100+1, "Badger's limit cut steps short: %v", steps)
	for _, s := range steps[:len(steps)-1] {
		assert.Positive(t, s)
		assert.LessOrEqual(t, s, 100)
	}

	l, err = Open(db, nil)
	require.NoError(t, err)
	got, err := l.VerifyChain()
	require.NoError(t, err)
	assert.Equal(t, uint64(n), got)
	ev, err := l.Append(context.Background(), Event{Kind: kindStart})
	require.NoError(t, err)
	assert.Equal(t, uint64(n+1), ev.Seq)
	l.Close()
	require.NoError(t, db.Close())
}

// moveAll moves every key under from to under to, fifty a transaction.
func moveAll(t *testing.T, db *badger.DB, from, to string) {
	t.Helper()
	for more := true; more; {
		require.NoError(t, db.Update(func(txn *badger.Txn) (err error) {
			more, err = moveEvents(txn, from, to, 50)
			return err
		}))
	}
}

func count(t *testing.T, db *badger.DB, prefix string) int {
	t.Helper()
	n := 0
	require.NoError(t, db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	}))
	return n
}
