package store

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"

	"github.com/dgraph-io/badger/v4"

	"menwei/controller/eventlog"
)

// An estate's replication state (docs/estate.md). A gate keeps its upload
// cursor here: the seq of its own event log up to which the office has
// acknowledged every event. It is written through the write path (change
// estate.cursor) like every other mutation, after the acknowledgement,
// never before, so after a crash it is at or behind the truth and the
// events after it are sent again (the office applies them once).
const keyEstateCursor = "estate/cursor/" // estate/cursor/<name> → seq (decimal)

// CursorEvents names the upload cursor of the event log.
const CursorEvents = "events"

// EstateCursorSet moves a replication cursor: ID is the cursor's name
// ("events" for the upload of the event log), Value the seq (decimal).
const EstateCursorSet ChangeKind = "estate.cursor"

// UploadCursor is the named cursor (0 when never set).
func (s *Store) UploadCursor(name string) (uint64, error) {
	var seq uint64
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyEstateCursor + name))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(b []byte) error {
			seq, err = strconv.ParseUint(string(b), 10, 64)
			return err
		})
	})
	if err != nil {
		return 0, fmt.Errorf("store: read cursor %s: %w", name, err)
	}
	return seq, nil
}

// SetUploadCursor sets the named cursor to seq (synced).
func (s *Store) SetUploadCursor(name string, seq uint64) error {
	if name == "" {
		return fmt.Errorf("%w: a cursor needs a name", ErrBadRequest)
	}
	err := s.write(func(w *writer) error {
		return w.apply(Change{Kind: EstateCursorSet, ID: name, Value: strconv.FormatUint(seq, 10)})
	})
	if err != nil {
		return fmt.Errorf("store: set cursor %s: %w", name, err)
	}
	return nil
}

// Received is the office's copy of its gates' event logs (eventlog.Received),
// in this store's database beside its own log.
func (s *Store) Received() *eventlog.Received { return s.received }

// keyEstateStreamKey holds the key of the embedded NATS server's
// encryption at rest (JetStream's files: the office's stream holds the
// gates' events until they are applied). It is kept in this store, so it
// is encrypted by the store's master key and survives a rotation of it.
// It is a secret, not a record: it is written outside the change feed,
// as sessions are.
const keyEstateStreamKey = "estate/streamkey"

// EstateStreamKey is the key for JetStream's files (32 bytes), made the
// first time it is asked for. A plaintext store has none (nil): its
// JetStream files are plaintext too, and are encrypted once the store is.
func (s *Store) EstateStreamKey() ([]byte, error) {
	if s.key == nil {
		return nil, nil
	}
	var k []byte
	err := s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyEstateStreamKey))
		if err == nil {
			k, err = item.ValueCopy(nil)
			return err
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		k = make([]byte, 32)
		rand.Read(k) // never fails (crypto/rand)
		return txn.Set([]byte(keyEstateStreamKey), k)
	})
	if err != nil {
		return nil, fmt.Errorf("store: the estate's stream key: %w", err)
	}
	return k, nil
}
