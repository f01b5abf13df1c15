package store

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dgraph-io/badger/v4"

	"menwei/controller/eventlog"
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

// migration turns a store at its schema into one at the next, in one
// transaction (run) or, when that could be too large for one, in steps.
type migration struct {
	what string // one line, logged when it runs
	run  func(txn *badger.Txn) error
	// step does part of the migration in a transaction of its own and
	// reports whether there is more to do; it runs again until not, and the
	// transaction of the last step records the schema. Each step must leave
	// a store the next one, or the migration run again from the start after
	// a power cut, can go on from.
	step func(txn *badger.Txn) (more bool, err error)
}

// migrations[i] upgrades schema i+1 to i+2. Schema 1 is the first.
var migrations = []migration{
	{what: "events sorted before every other record, so that compactions stop rewriting the history",
		step: func(txn *badger.Txn) (bool, error) { return eventlog.MoveV1Events(txn, moveEventsPerStep) }},
}

// moveEventsPerStep is how many events a step of the schema 2 migration
// moves: about 0.5 MB a transaction, within Badger's limit with 8 MB
// memtables (and MoveV1Events stops early at the limit).
const moveEventsPerStep = 1000

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
		if err := s.migrate(m, at+1); err != nil {
			return fmt.Errorf("store: upgrading the schema from %d to %d (%s): %w; the store is still at %d", at, at+1, m.what, err, at)
		}
	}
	return nil
}

// migrate runs m and records schema to in the transaction of its last step.
func (s *Store) migrate(m migration, to int) error {
	step := m.step
	if step == nil {
		step = func(txn *badger.Txn) (bool, error) { return false, m.run(txn) }
	}
	start := time.Now()
	tell := func(status string) {
		if s.upgrading != nil {
			s.upgrading(status)
		}
	}
	tell(fmt.Sprintf("upgrading the store to schema %d: %s", to, m.what))
	for steps, more := 1, true; more; steps++ {
		err := s.db.Update(func(txn *badger.Txn) error {
			var err error
			if more, err = step(txn); err != nil || more {
				return err
			}
			err = txn.Set([]byte(keySchema), []byte(strconv.Itoa(to)))
			if errors.Is(err, badger.ErrTxnTooBig) {
				// The last step filled the transaction: the schema goes
				// in the next, a step with nothing left to do.
				more = true
				return nil
			}
			return err
		})
		if err != nil {
			return err
		}
		if more && steps%100 == 0 {
			s.log.Warn("still upgrading the store", "to", to, "steps", steps, "elapsed", time.Since(start).Round(time.Second))
			tell(fmt.Sprintf("upgrading the store to schema %d: %d steps done in %v", to, steps, time.Since(start).Round(time.Second)))
		}
	}
	return nil
}
