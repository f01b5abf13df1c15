package eventlog

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// keyEventV1 is where events were kept until the store's schema 2: among the
// other records (see keyEvent).
const keyEventV1 = "ev/"

// MoveV1Events moves at most limit events from the old prefix ev/ to the
// current one in txn, oldest first, each event's value unchanged, and
// reports whether any are left. It is one step of a migration that runs in
// as many transactions as it takes: an event is under one prefix or the
// other at each commit, and an event found under both (a step cut short by
// Badger's limit on a transaction) is moved again, so a power cut between
// two steps loses nothing and the next start goes on where it stopped. The
// log must not be appending while this runs.
func MoveV1Events(txn *badger.Txn, limit int) (more bool, err error) {
	return moveEvents(txn, keyEventV1, keyEvent, limit)
}

// moveEvents moves at most limit event keys from under prefix from to under
// prefix to, in txn, and reports whether any are left under from.
func moveEvents(txn *badger.Txn, from, to string, limit int) (more bool, err error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(from), PrefetchValues: true, PrefetchSize: 100})
	defer it.Close()
	moved := 0
	for it.Rewind(); it.Valid(); it.Next() {
		if moved == limit {
			return true, nil
		}
		item := it.Item()
		old := item.KeyCopy(nil)
		if len(old) != len(from)+8 {
			return false, fmt.Errorf("eventlog: %q under %s is not an event key", old, from)
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return false, err
		}
		err = txn.Set(append([]byte(to), old[len(from):]...), v)
		if err == nil {
			err = txn.Delete(old)
		}
		switch {
		case errors.Is(err, badger.ErrTxnTooBig) && moved == 0:
			return false, fmt.Errorf("eventlog: event %x alone is too big for a transaction: %w", old[len(from):], err)
		case errors.Is(err, badger.ErrTxnTooBig):
			// What this transaction holds is committed; the rest, this
			// event included, in the next.
			return true, nil
		case err != nil:
			return false, err
		}
		moved++
	}
	return false, nil
}
