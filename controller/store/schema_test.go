package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/eventlog"
	"menwei/controller/policy"
)

// testdata/schema-1 is a store written by the menweid of schema 1 (the
// first), encrypted with testdata/schema-1.key: a resident with a card, a
// PIN, a consent and a face; a visitor with a pass code; a schedule; a door
// mode; an account; events. Every later menweid must open it, upgraded.
// MENWEI_WRITE_SCHEMA_FIXTURE=1 writes it again (only ever for a new
// schema: a fixture is what an old menweid wrote, kept as it was).
const (
	fixtureDir = "testdata/schema-1"
	fixtureKey = "testdata/schema-1.key"
	fixturePIN = "2580"
)

func TestWriteSchemaFixture(t *testing.T) {
	if os.Getenv("MENWEI_WRITE_SCHEMA_FIXTURE") == "" {
		t.Skip("writes testdata/schema-1 only when MENWEI_WRITE_SCHEMA_FIXTURE=1 (a fixture stays as the old menweid wrote it)")
	}
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

// openFixture copies the schema-1 store into a temp dir (a test must not
// change the fixture) and returns the copy and its key.
func openFixture(t *testing.T) (string, []byte) {
	t.Helper()
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

// Today's menweid opens a store written at schema 1 with everything in it.
func TestOpenSchema1Store(t *testing.T) {
	dir, key := openFixture(t)
	s, err := Open(Options{Dir: dir, Key: key, MustExist: true})
	require.NoError(t, err)
	defer s.Close()
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
}

// Migrations run in order at open, each recording the schema it reached; a
// failing one leaves the store at the schema before it; a store newer than
// the menweid is refused and left alone.
func TestSchemaUpgrade(t *testing.T) {
	dir, key := openFixture(t)
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
	err = s.upgrade([]migration{mark("1to2"), broken})
	assert.ErrorContains(t, err, "upgrading the schema from 2 to 3 (broken): cannot; the store is still at 2")
	assert.Equal(t, []string{"1to2"}, ran)
	assert.Equal(t, "2", schemaOf(t, s))
	assert.False(t, has(t, s, "test/half"), "a failed migration writes nothing")

	ran = nil
	require.NoError(t, s.upgrade([]migration{mark("1to2"), mark("2to3")}))
	assert.Equal(t, []string{"2to3"}, ran, "only what the store had not had")
	assert.Equal(t, "3", schemaOf(t, s))
	require.NoError(t, s.Close())

	_, err = Open(Options{Dir: dir, Key: key, MustExist: true})
	assert.ErrorIs(t, err, ErrNewerSchema, "this menweid knows schema %s only", schema)
	assert.ErrorContains(t, err, "its schema is 3, this menweid knows up to 1")
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
