package store

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/dgraph-io/badger/v4"
)

// The store's schema is a number in meta/schema. A store written by an
// older menweid is upgraded when it opens: each migration from its schema
// to this menweid's runs in order, each in one transaction that also
// records the schema it reached, so a power cut in the middle leaves the
// store at one schema or the next, never between. A store written by a
// newer menweid is refused (its records may mean what this one cannot
// know), and so is one whose schema is not a number.
//
// To change how records are stored: append a migration that rewrites the
// old records, and keep a fixture of a store at the old schema
// (testdata/schema-N, see schema_test.go) with a test that opens it.

// migration turns a store at its schema into one at the next.
type migration struct {
	what string // one line, logged when it runs
	run  func(txn *badger.Txn) error
}

// migrations[i] upgrades schema i+1 to i+2. Schema 1 is the first.
var migrations = []migration{}

// schema is the schema this menweid writes.
var schema = strconv.Itoa(1 + len(migrations))

// ErrNewerSchema: the store was written by a newer menweid.
var ErrNewerSchema = errors.New("store: the store was written by a newer menweid")

// upgrade brings the store to the schema migrations lead to (a new store
// is stamped with it).
func (s *Store) upgrade(migrations []migration) error {
	want := 1 + len(migrations)
	var at int
	err := s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keySchema))
		if errors.Is(err, badger.ErrKeyNotFound) {
			at = want
			return txn.Set([]byte(keySchema), []byte(strconv.Itoa(want)))
		}
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if at, err = strconv.Atoi(string(v)); err != nil || at < 1 {
			return fmt.Errorf("store: meta/schema is %q, not a schema number", v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if at > want {
		return fmt.Errorf("%w: its schema is %d, this menweid knows up to %d (install the newer menweid again, or restore a backup made by this one)", ErrNewerSchema, at, want)
	}
	for ; at < want; at++ {
		m := migrations[at-1]
		s.log.Warn("upgrading the store", "from", at, "to", at+1, "what", m.what)
		err := s.db.Update(func(txn *badger.Txn) error {
			if err := m.run(txn); err != nil {
				return err
			}
			return txn.Set([]byte(keySchema), []byte(strconv.Itoa(at+1)))
		})
		if err != nil {
			return fmt.Errorf("store: upgrading the schema from %d to %d (%s): %w; the store is still at %d", at, at+1, m.what, err, at)
		}
	}
	return nil
}
