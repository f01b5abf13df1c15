package store

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"

	"menwei/controller/badgerdb"
	"menwei/controller/eventlog"
)

// Errors from the store.
var (
	ErrNotFound   = errors.New("store: not found")
	ErrCardInUse  = errors.New("store: card already belongs to another identity")
	ErrBadRequest = errors.New("store: invalid")
	// ErrNoStore: Options.MustExist and the directory holds no store.
	ErrNoStore = errors.New("store: no store")
	// ErrStoreLocked: another process (a running menweid) has the store open.
	ErrStoreLocked = errors.New("store: store in use by another process (is menweid running?)")
)

// Options configures the Badger store.
type Options struct {
	Dir      string // required unless InMemory
	InMemory bool   // for unit tests
	// MustExist opens only a store that is already there: a directory
	// without one is ErrNoStore, and nothing is created (a check such as
	// `menweictl verify` must not report an empty new store as intact).
	MustExist bool
	// Key is the master key of the encryption at rest (KeySize bytes, see
	// key.go; PlanKey finds it). nil opens a plaintext store; a key that
	// does not match is ErrWrongKey, a missing one ErrKeyNeeded, and a key
	// for a plaintext store ErrNotEncrypted — each changing nothing.
	Key []byte
	// KeyRotation is how often Badger makes a new data key (0 = 10 days).
	KeyRotation time.Duration
	Log         *slog.Logger
	// Upgrading, when set, hears how an upgrade of an older store's schema
	// goes (a line for a person), at its start and every few seconds: the
	// first start after some upgrades moves every event, about 50,000 a
	// second on a small box, and a service manager must not take that
	// for a start that hangs.
	Upgrading func(status string)
}

// Store is menwei's state in Badger: identities, credentials and the event
// log. It is the only code that knows Badger.
type Store struct {
	*eventlog.Log // Append, Events, Subscribe, VerifyChain

	db  *badger.DB
	log *slog.Logger
	key []byte // the master key (nil: plaintext), for encrypted backups

	touch touches // phones' last uses not yet written (phones.go)

	// wmu serialises the write path (write) and guards subs: changes reach
	// subscribers in the order they committed.
	wmu  sync.Mutex
	subs map[int]func(Change)
	nsub int
	// repaired counts the empty files a crash left that the open removed.
	repaired int
	// received is the office's copy of its gates' logs (estate.go).
	received *eventlog.Received
	// upgrading hears of a schema upgrade's progress (Options.Upgrading).
	upgrading func(status string)
}

// Repaired is the number of empty files left by a crash inside Badger's
// file creation or deletion that were removed when the store opened (see
// badgerdb).
func (s *Store) Repaired() int { return s.repaired }

// Key layout. Values are JSON.
const (
	keyResident = "res/"  // res/<id> → Resident
	keyCard     = "card/" // card/<credential> → resident id
	// !!ev/, meta/evhead and meta/evanchor belong to package eventlog.
	keySchema = "meta/schema"
)

// badgerOptions are the store's Badger options. Badger's defaults take
// about 380 MB; these keep a gate box near 30 MB.
func badgerOptions(dir string, log *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithLogger(badgerLog{log.With("part", "badger")}).
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(8 << 20).
		WithIndexCacheSize(4 << 20).
		WithValueLogFileSize(32 << 20).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithNumCompactors(2).
		WithCompactL0OnClose(true)
}

// BadgerOptions are the Badger options Open uses for a store on dir with
// key (nil = plaintext): synced writes, the store's small caches and, with
// a key, encryption at rest with its rotation. Benchmarks open a bare Badger
// with them for their anchors, so that anchor and store differ only in
// what the store does on top.
func BadgerOptions(dir string, key []byte) badger.Options {
	opt := badgerOptions(dir, slog.New(slog.DiscardHandler))
	if key != nil {
		opt = opt.WithEncryptionKey(key).WithEncryptionKeyRotationDuration(10 * 24 * time.Hour)
	}
	return opt
}

// Open opens (or creates) the store.
func Open(o Options) (*Store, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	opt := badgerOptions(o.Dir, o.Log).WithInMemory(o.InMemory).WithSyncWrites(!o.InMemory)
	if o.Key != nil {
		if len(o.Key) != KeySize {
			return nil, fmt.Errorf("%w: the key is %d bytes, want %d", ErrBadKeyFile, len(o.Key), KeySize)
		}
		opt = opt.WithEncryptionKey(o.Key).WithEncryptionKeyRotationDuration(cmp.Or(o.KeyRotation, 10*24*time.Hour))
	}
	if o.InMemory {
		opt.Dir, opt.ValueDir = "", ""
	} else if o.MustExist {
		// Badger's MANIFEST is written when a store is created; without it
		// the directory holds no store (or not one Badger could open).
		if _, err := os.Stat(filepath.Join(o.Dir, badger.ManifestFilename)); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w in %s (check the path; menweid creates the store when it first starts)", ErrNoStore, o.Dir)
		}
	}
	db, repaired, err := badgerdb.Open(opt, o.Log.With("part", "badger"))
	if err != nil {
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			return nil, fmt.Errorf("%w: %s", ErrStoreLocked, o.Dir)
		}
		if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
			enc, _, _ := Encrypted(o.Dir)
			switch {
			case !enc:
				return nil, fmt.Errorf("%w: %s", ErrNotEncrypted, o.Dir)
			case o.Key == nil:
				return nil, fmt.Errorf("%w: %s", ErrKeyNeeded, o.Dir)
			}
			return nil, fmt.Errorf("%w: %s", ErrWrongKey, o.Dir)
		}
		return nil, fmt.Errorf("store: open store %s: %w", o.Dir, err)
	}
	s := &Store{db: db, log: o.Log, key: o.Key, repaired: len(repaired), received: eventlog.OpenReceived(db), upgrading: o.Upgrading}
	if err := s.upgrade(migrations); err != nil {
		db.Close()
		return nil, err
	}
	if s.Log, err = eventlog.Open(db, o.Log.With("part", "eventlog")); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// reopenLog starts the event log again from what the store holds (after a
// restore loaded records under it).
func (s *Store) reopenLog() error {
	l, err := eventlog.Open(s.db, s.log.With("part", "eventlog"))
	if err != nil {
		return err
	}
	s.Log = l
	return nil
}

// Closed reports whether the store has been closed (or Badger closed it).
func (s *Store) Closed() bool { return s.db == nil || s.db.IsClosed() }

// Close stops the event writer (after it has written what it holds) and
// closes Badger. It is safe to call twice.
func (s *Store) Close() error {
	if s.db == nil {
		return nil
	}
	var terr error
	if !s.db.IsClosed() {
		terr = s.flushTouches()
	}
	s.Log.Close()
	err := s.db.Close()
	s.db = nil
	return errors.Join(err, terr)
}

func getJSON(txn *badger.Txn, key string, v any) error {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return notFound(key)
	}
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

// notFound names what a missing key held, and its id where that is not a
// secret: a credential (a card number, a PIN), a session's or a pairing
// code's hash is named by its kind only.
func notFound(key string) error {
	kind, id, _ := strings.Cut(key, "/")
	switch kind + "/" {
	case keyIdentity:
		return fmt.Errorf("%w: identity %q", ErrNotFound, id)
	case keyCredential:
		k, _, _ := strings.Cut(id, "/")
		return fmt.Errorf("%w: %s credential", ErrNotFound, k)
	case keyAccount:
		return fmt.Errorf("%w: account %q", ErrNotFound, id)
	case keyDevice:
		return fmt.Errorf("%w: device %q", ErrNotFound, id)
	case keySession:
		return fmt.Errorf("%w: session", ErrNotFound)
	case keyPairing:
		return fmt.Errorf("%w: pairing code", ErrNotFound)
	case keyDoorMode:
		return fmt.Errorf("%w: stored mode of door %q", ErrNotFound, id)
	case keyFinger:
		return fmt.Errorf("%w: fingerprint template", ErrNotFound)
	case keySchedule:
		return fmt.Errorf("%w: schedule %q", ErrNotFound, id)
	}
	return fmt.Errorf("%w: %s", ErrNotFound, kind)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func setJSON(txn *badger.Txn, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set([]byte(key), b)
}

// badgerLog sends Badger's messages to slog; its chatter goes to Debug.
type badgerLog struct{ l *slog.Logger }

func (b badgerLog) Errorf(f string, a ...any)   { b.l.Error(strings.TrimSpace(fmt.Sprintf(f, a...))) }
func (b badgerLog) Warningf(f string, a ...any) { b.l.Warn(strings.TrimSpace(fmt.Sprintf(f, a...))) }
func (b badgerLog) Infof(f string, a ...any)    { b.l.Debug(strings.TrimSpace(fmt.Sprintf(f, a...))) }
func (b badgerLog) Debugf(f string, a ...any)   { b.l.Debug(strings.TrimSpace(fmt.Sprintf(f, a...))) }
