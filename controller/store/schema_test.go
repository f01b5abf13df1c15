package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/eventlog"
	"menwei/controller/policy"
)

// testdata/schema-N is a store written by the menweid of schema N,
// encrypted with testdata/schema-N.key: a resident with a card, a PIN, a
// consent and a face; a visitor with a pass code; a schedule; a door mode;
// an account; events. Every later menweid must open each, upgraded.
// MENWEI_WRITE_SCHEMA_FIXTURE=1 writes the fixture of this menweid's schema
// (only ever for a new schema: a fixture is what an old menweid wrote, kept
// as it was).
var fixtures = []string{"1", "2"}

const fixturePIN = "2580"

func fixturePaths(schema string) (dir, key string) {
	return "testdata/schema-" + schema, "testdata/schema-" + schema + ".key"
}

func TestWriteSchemaFixture(t *testing.T) {
	if os.Getenv("MENWEI_WRITE_SCHEMA_FIXTURE") == "" {
		t.Skip("writes testdata/schema-" + schema + " only when MENWEI_WRITE_SCHEMA_FIXTURE=1 (a fixture stays as the old menweid wrote it)")
	}
	fixtureDir, fixtureKey := fixturePaths(schema)
	require.NoError(t, os.RemoveAll(fixtureDir))
	os.Remove(fixtureKey)
	key, err := NewKeyFile(fixtureKey)
	require.NoError(t, err)
	s, err := Open(Options{Dir: fixtureDir, Key: key})
	require.NoError(t, err)
	require.NoError(t, s.PutIdentity(Identity{ID: "li-wei", Kind: policy.Resident, Name: "李伟", Unit: "3-201", Groups: []string{"b3"}}))
	require.NoError(t, s.AddCredential(Credential{Kind: policy.Card, Key: "1:1234", Identity: "li-wei"}))
	require.NoError(t, s.SetPIN("li-wei", fixturePIN, false))
	require.NoError(t, s.GiveConsent(Consent{Identity: "li-wei", Biometric: policy.Face, Text: "face-v1", Account: "admin"}))
	require.NoError(t, s.PutFace(FaceRecord{Identity: "li-wei", ID: "front", Vector: secretFace()}))
	require.NoError(t, s.PutIdentity(Identity{ID: "v1", Kind: policy.Visitor, Name: "访客", Host: "li-wei",
		Pass: &Pass{From: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), Until: time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC), MaxUses: 2}}))
	require.NoError(t, s.AddCredential(Credential{Kind: policy.Code, Key: passKey("12345678"), Identity: "v1"}))
	require.NoError(t, s.PutSchedule(Schedule{ID: "office", Periods: []string{"mon-fri 08:00-18:00"}}))
	require.NoError(t, s.SetDoorMode("east-gate", "lockdown"))
	require.NoError(t, s.PutAccount("admin", RoleAdmin, "a long admin password"))
	for _, k := range []string{"system.start", "access.granted", "access.denied"} {
		_, err := s.Append(context.Background(), eventlog.Event{Kind: k, Door: "east-gate", Identity: "li-wei"})
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
}

// openFixture copies the store of a schema into a temp dir (a test must
// not change the fixture) and returns the copy and its key.
func openFixture(t *testing.T, schema string) (string, []byte) {
	t.Helper()
	fixtureDir, fixtureKey := fixturePaths(schema)
	// git keeps the key file 0644, which ReadKey rightly refuses: a copy
	// with the mode a key has.
	raw, err := os.ReadFile(fixtureKey)
	require.NoError(t, err)
	keyCopy := filepath.Join(t.TempDir(), "store.key")
	require.NoError(t, os.WriteFile(keyCopy, raw, 0o600))
	key, err := ReadKey(keyCopy)
	require.NoError(t, err)
	dir := filepath.Join(t.TempDir(), "store")
	require.NoError(t, os.CopyFS(dir, os.DirFS(fixtureDir)))
	return dir, key
}

// Today's menweid opens a store written at every earlier schema with
// everything in it, upgraded to its own.
func TestOpenOlderSchemaStores(t *testing.T) {
	require.Contains(t, fixtures, schema, "a fixture of this schema's store (MENWEI_WRITE_SCHEMA_FIXTURE=1)")
	for _, from := range fixtures {
		t.Run("schema-"+from, func(t *testing.T) {
			dir, key := openFixture(t, from)
			s, err := Open(Options{Dir: dir, Key: key, MustExist: true})
			require.NoError(t, err)
			defer s.Close()
			assert.Equal(t, schema, schemaOf(t, s))
			_, who, err := s.Lookup(policy.Card, "h10301:1:1234")
			require.NoError(t, err)
			assert.Equal(t, "李伟", who.Name)
			assert.Equal(t, []string{"b3"}, who.Groups)
			_, visitor, err := s.LookupPassCode("12345678")
			require.NoError(t, err)
			assert.Equal(t, "v1", visitor.ID)
			cs, err := s.Consents("li-wei")
			require.NoError(t, err)
			require.Len(t, cs, 1)
			assert.Equal(t, "face-v1", cs[0].Text)
			var faces []FaceRecord
			require.NoError(t, s.Faces(func(f FaceRecord) bool { faces = append(faces, f); return true }))
			require.Len(t, faces, 1)
			assert.Equal(t, secretFace(), faces[0].Vector)
			scs, err := s.Schedules()
			require.NoError(t, err)
			require.Len(t, scs, 1)
			mode, err := s.DoorMode("east-gate")
			require.NoError(t, err)
			assert.Equal(t, "lockdown", mode)
			_, err = s.CheckPassword("admin", "a long admin password")
			require.NoError(t, err)
			n, err := s.VerifyChain()
			require.NoError(t, err)
			assert.Equal(t, uint64(3), n)
			evs, err := s.Events(eventlog.Query{})
			require.NoError(t, err)
			require.Len(t, evs, 3)
			assert.Equal(t, "access.denied", evs[2].Kind)
			assert.Zero(t, countPrefix(t, s, "ev/"), "no event left under schema 1's prefix")
			// The log goes on where the fixture's stopped.
			ev, err := s.Append(context.Background(), eventlog.Event{Kind: "system.start"})
			require.NoError(t, err)
			assert.Equal(t, uint64(4), ev.Seq)
		})
	}
}

// Migrations run in order at open, each recording the schema it reached; a
// failing one leaves the store at the schema before it; a store newer than
// the menweid is refused and left alone.
func TestSchemaUpgrade(t *testing.T) {
	dir, key := openFixture(t, "1")
	s, err := Open(Options{Dir: dir, Key: key, MustExist: true})
	require.NoError(t, err)
	var ran []string
	mark := func(name string) migration {
		return migration{what: name, run: func(txn *badger.Txn) error {
			ran = append(ran, name)
			return txn.Set([]byte("test/"+name), []byte("done"))
		}}
	}
	broken := migration{what: "broken", run: func(txn *badger.Txn) error {
		if err := txn.Set([]byte("test/half"), []byte("x")); err != nil {
			return err
		}
		return errors.New("cannot")
	}}
	// Open upgraded the fixture to this menweid's schema (2).
	err = s.upgrade(append(slices.Clone(migrations), mark("2to3"), broken))
	assert.ErrorContains(t, err, "upgrading the schema from 3 to 4 (broken): cannot; the store is still at 3")
	assert.Equal(t, []string{"2to3"}, ran)
	assert.Equal(t, "3", schemaOf(t, s))
	assert.False(t, has(t, s, "test/half"), "a failed migration writes nothing")

	ran = nil
	require.NoError(t, s.upgrade(append(slices.Clone(migrations), mark("2to3"), mark("3to4"))))
	assert.Equal(t, []string{"3to4"}, ran, "only what the store had not had")
	assert.Equal(t, "4", schemaOf(t, s))
	require.NoError(t, s.Close())

	_, err = Open(Options{Dir: dir, Key: key, MustExist: true})
	assert.ErrorIs(t, err, ErrNewerSchema, "this menweid knows schema %s only", schema)
	assert.ErrorContains(t, err, "its schema is 4, this menweid knows up to 2")
}

// A migration in steps runs each step in a transaction of its own and
// records the schema with the last; one cut short (a step fails, as a power
// cut would stop it) is taken up again at the next open and finishes what
// is left, here the schema 2 move of events, 2,500 of them in three steps.
func TestSchemaUpgradeInSteps(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	const n = 2500
	for i := range n {
		_, err := s.Append(context.Background(), eventlog.Event{Kind: "access.granted", Door: "gate", Identity: fmt.Sprintf("r%d", i)})
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	asSchema1(t, dir)

	// The first step moves 1000 events, the second fails.
	s = openRaw(t, dir)
	steps := 0
	cut := migration{what: "cut short", step: func(txn *badger.Txn) (bool, error) {
		if steps++; steps == 2 {
			return false, errors.New("power cut")
		}
		return migrations[0].step(txn)
	}}
	assert.ErrorContains(t, s.upgrade([]migration{cut}), "the store is still at 1")
	assert.Equal(t, "1", schemaOf(t, s))
	assert.Equal(t, n-moveEventsPerStep, countPrefix(t, s, "ev/"), "the first step's events moved")
	require.NoError(t, s.db.Close())

	var told []string
	s, err := Open(Options{Dir: dir, Upgrading: func(status string) { told = append(told, status) }})
	require.NoError(t, err)
	assert.Equal(t, []string{"upgrading the store to schema 2: " + migrations[0].what}, told)
	assert.Equal(t, "2", schemaOf(t, s))
	assert.Zero(t, countPrefix(t, s, "ev/"))
	got, err := s.VerifyChain()
	require.NoError(t, err)
	assert.Equal(t, uint64(n), got)
	evs, err := s.Events(eventlog.Query{After: n - 2})
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.Equal(t, fmt.Sprintf("r%d", n-1), evs[1].Identity)
	require.NoError(t, s.Close())

	told = nil
	s, err = Open(Options{Dir: dir, Upgrading: func(status string) { told = append(told, status) }})
	require.NoError(t, err)
	assert.Empty(t, told, "a store at this schema is not upgraded")
	require.NoError(t, s.Close())
}

// asSchema1 rewrites the store in dir as the menweid of schema 1 kept it:
// its events under ev/.
func asSchema1(t *testing.T, dir string) {
	t.Helper()
	s := openRaw(t, dir)
	defer s.db.Close()
	for more := true; more; {
		require.NoError(t, s.db.Update(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte("!!ev/")})
			defer it.Close()
			moved := 0
			for it.Rewind(); it.Valid() && moved < 500; it.Next() {
				k := it.Item().KeyCopy(nil)
				v, err := it.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				if err := txn.Set(append([]byte("ev/"), k[len("!!ev/"):]...), v); err != nil {
					return err
				}
				if err := txn.Delete(k); err != nil {
					return err
				}
				moved++
			}
			more = moved == 500
			return txn.Set([]byte(keySchema), []byte("1"))
		}))
	}
}

// openRaw opens the store's Badger only (encrypted with key, when one is
// given): no upgrade, no event log.
func openRaw(t *testing.T, dir string, key ...[]byte) *Store {
	t.Helper()
	opt := badgerOptions(dir, slog.New(slog.DiscardHandler))
	s := &Store{log: slog.New(slog.DiscardHandler)}
	if len(key) > 0 {
		opt, s.key = opt.WithEncryptionKey(key[0]), key[0]
	}
	db, err := badger.Open(opt)
	require.NoError(t, err)
	s.db = db
	return s
}

// A backup the menweid of schema 1 made restores into this one's schema,
// its events moved and their chain whole.
func TestRestoreSchema1Backup(t *testing.T) {
	dir, key := openFixture(t, "1")
	old := openRaw(t, dir, key)
	var backup bytes.Buffer
	was := schema
	schema = "1" // as that menweid labelled its backups
	_, err := old.Backup(&backup, 0)
	schema = was
	require.NoError(t, err)
	require.NoError(t, old.db.Close())

	into := t.TempDir()
	rep, err := Restore(into, key, []io.Reader{&backup}, nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), rep.Events)
	s, err := Open(Options{Dir: into, Key: key, MustExist: true})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, "2", schemaOf(t, s))
	assert.Zero(t, countPrefix(t, s, "ev/"))
	evs, err := s.Events(eventlog.Query{})
	require.NoError(t, err)
	assert.Len(t, evs, 3)
}

func countPrefix(t *testing.T, s *Store, prefix string) int {
	t.Helper()
	n := 0
	require.NoError(t, s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	}))
	return n
}

func schemaOf(t *testing.T, s *Store) string {
	t.Helper()
	var v []byte
	require.NoError(t, s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keySchema))
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	}))
	return string(v)
}

func has(t *testing.T, s *Store, key string) bool {
	t.Helper()
	err := s.db.View(func(txn *badger.Txn) error { _, err := txn.Get([]byte(key)); return err })
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false
	}
	require.NoError(t, err)
	return true
}

// A last step that fills its transaction to Badger's limit leaves the
// schema to one more step, which finds nothing left and records it: a
// migration that ends on a full transaction does not fail forever.
func TestSchemaUpgradeLastStepFull(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	calls := 0
	fill := migration{what: "fill", step: func(txn *badger.Txn) (bool, error) {
		if calls++; calls > 1 {
			return false, nil // nothing left
		}
		for i := 0; ; i++ {
			// Entries the size of the schema's (meta/schema = "3"), so
			// that no room is left for it.
			err := txn.Set([]byte(fmt.Sprintf("test/%06d", i)), []byte("x"))
			if errors.Is(err, badger.ErrTxnTooBig) {
				return false, nil // all done, and the transaction is full
			}
			if err != nil {
				return false, err
			}
		}
	}}
	require.NoError(t, s.upgrade(append(slices.Clone(migrations), fill)))
	assert.Equal(t, 2, calls)
	assert.Equal(t, "3", schemaOf(t, s))
	assert.True(t, has(t, s, "test/000000"))
}
