package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/eventlog"
	"menwei/controller/policy"
)

// A distinctive resident: the name (in UTF-8), the flat and the face
// descriptor are what must not be readable on disk.
const (
	secretName = "诸葛亮亮 Zhuge Liangliang"
	secretUnit = "7-1903"
)

func secretFace() [128]float32 {
	r := rand.New(rand.NewPCG(7, 7))
	var v [128]float32
	for i := range v {
		v[i] = float32(r.NormFloat64() * 0.09)
	}
	return v
}

func testKey(t *testing.T, seed byte) []byte {
	t.Helper()
	k := bytes.Repeat([]byte{seed}, KeySize)
	k[0] ^= 0x5a
	return k
}

// fillSecrets enrols the resident, a face and an event naming them, the
// way the gate would, and closes the store (so everything is in tables).
func fillSecrets(t *testing.T, dir string, key []byte) {
	t.Helper()
	require.NoError(t, writeSecrets(t, dir, key).Close())
}

// writeSecrets does the same and leaves the store open: the records are
// in the memtable's write-ahead log and the value log, as after a power
// cut.
func writeSecrets(t *testing.T, dir string, key []byte) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir, Key: key})
	require.NoError(t, err)
	require.NoError(t, s.PutIdentity(Identity{ID: "r1", Kind: policy.Resident, Name: secretName, Unit: secretUnit}))
	consentTo(t, s, "r1", policy.Face)
	require.NoError(t, s.PutFace(FaceRecord{Identity: "r1", ID: "front", Vector: secretFace()}))
	_, err = s.Append(context.Background(), eventlog.Event{Kind: "access.granted", Identity: "r1", Name: secretName})
	require.NoError(t, err)
	return s
}

// found lists the files under dir that contain any of the needles.
func found(t *testing.T, dir string, needles ...[]byte) []string {
	t.Helper()
	var hits []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, n) {
				hits = append(hits, filepath.Base(p)+" has "+string(n[:min(len(n), 12)]))
			}
		}
		return nil
	}))
	return hits
}

func secrets() [][]byte {
	v := secretFace()
	desc := encodeVector(v)
	return [][]byte{[]byte("诸葛亮亮"), []byte("Zhuge Liangliang"), []byte(secretUnit), desc[:32], desc[256:288]}
}

// With encryption at rest no file of the store holds the name, the flat
// or any part of the descriptor; the same records in a plaintext store
// are found by the same search, so the search itself works.
func TestEncryptedStoreHoldsNoReadableSecret(t *testing.T) {
	plain := t.TempDir()
	fillSecrets(t, plain, nil)
	assert.NotEmpty(t, found(t, plain, secrets()...), "the search finds the records in a plaintext store")

	enc := t.TempDir()
	key := testKey(t, 1)
	fillSecrets(t, enc, key)
	assert.Empty(t, found(t, enc, secrets()...), "nothing readable in the encrypted store")
	e, exists, err := Encrypted(enc)
	require.NoError(t, err)
	assert.True(t, exists && e)
	e, _, err = Encrypted(plain)
	require.NoError(t, err)
	assert.False(t, e)

	// While the store is open (as when the power is cut) the records are
	// only in the write-ahead and value logs: encrypted there too.
	openPlain := writeSecrets(t, t.TempDir(), nil)
	defer openPlain.Close()
	assert.NotEmpty(t, found(t, openPlain.db.Opts().Dir, secrets()...), "the search finds them in a plaintext store's logs")
	openEnc := writeSecrets(t, t.TempDir(), key)
	defer openEnc.Close()
	assert.Empty(t, found(t, openEnc.db.Opts().Dir, secrets()...), "nothing readable in the encrypted store's logs")

	s, err := Open(Options{Dir: enc, Key: key})
	require.NoError(t, err)
	defer s.Close()
	i, err := s.Identity("r1")
	require.NoError(t, err)
	assert.Equal(t, secretName, i.Name, "the key reads it back")
}

// fingerprint hashes every file under dir (names, sizes and contents).
func fingerprint(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h.Write([]byte(p))
		h.Write(b)
		return nil
	}))
	return hex.EncodeToString(h.Sum(nil))
}

// A wrong key, a missing key and a key for a plaintext store are each a
// clear error, and none changes a byte of the store.
func TestWrongOrMissingKeyChangesNothing(t *testing.T) {
	enc, plain := t.TempDir(), t.TempDir()
	fillSecrets(t, enc, testKey(t, 1))
	fillSecrets(t, plain, nil)
	before, beforePlain := fingerprint(t, enc), fingerprint(t, plain)

	_, err := Open(Options{Dir: enc, Key: testKey(t, 2)})
	assert.ErrorIs(t, err, ErrWrongKey)
	_, err = Open(Options{Dir: enc})
	assert.ErrorIs(t, err, ErrKeyNeeded)
	_, err = Open(Options{Dir: plain, Key: testKey(t, 1)})
	assert.ErrorIs(t, err, ErrNotEncrypted)
	_, err = Open(Options{Dir: enc, Key: []byte("short")})
	assert.ErrorIs(t, err, ErrBadKeyFile)
	assert.Equal(t, before, fingerprint(t, enc), "the encrypted store is unchanged")
	assert.Equal(t, beforePlain, fingerprint(t, plain), "the plaintext store is unchanged")
}

// A plaintext store made before encryption is encrypted in place: every
// record is kept, nothing readable remains, and no plaintext copy is left
// behind (unless asked).
func TestEncryptInPlace(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "store")
	fillSecrets(t, dir, nil)
	key := testKey(t, 3)
	n, err := Encrypt(dir, key, false, nil)
	require.NoError(t, err)
	assert.Greater(t, n, 3, "records copied")
	assert.Empty(t, found(t, root, secrets()...), "nothing readable anywhere under the data directory")
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no copy left beside the store")

	s, err := Open(Options{Dir: dir, Key: key})
	require.NoError(t, err)
	i, err := s.Identity("r1")
	require.NoError(t, err)
	assert.Equal(t, secretUnit, i.Unit)
	n2 := 0
	require.NoError(t, s.Faces(func(f FaceRecord) bool { n2++; assert.Equal(t, secretFace(), f.Vector); return true }))
	assert.Equal(t, 1, n2)
	_, err = s.VerifyChain()
	assert.NoError(t, err, "the event chain verifies after the copy")
	require.NoError(t, s.Close())

	_, err = Encrypt(dir, key, false, nil)
	assert.ErrorIs(t, err, ErrAlreadyEncrypted)
	_, err = Encrypt(filepath.Join(root, "nowhere"), key, false, nil)
	assert.ErrorIs(t, err, ErrNoStore)

	// keep: the plaintext store is left in store.plaintext.
	dir2 := filepath.Join(root, "second")
	fillSecrets(t, dir2, nil)
	_, err = Encrypt(dir2, key, true, nil)
	require.NoError(t, err)
	assert.NotEmpty(t, found(t, dir2+".plaintext", secrets()...))
	assert.Empty(t, found(t, dir2, secrets()...))
}

// A new master key re-encrypts the key registry: the old key no longer
// opens the store, the new one does, with every record.
func TestRekey(t *testing.T) {
	dir := t.TempDir()
	oldKey, newKey := testKey(t, 4), testKey(t, 5)
	fillSecrets(t, dir, oldKey)
	require.NoError(t, Rekey(dir, oldKey, newKey, nil))
	_, err := Open(Options{Dir: dir, Key: oldKey})
	assert.ErrorIs(t, err, ErrWrongKey)
	s, err := Open(Options{Dir: dir, Key: newKey})
	require.NoError(t, err)
	i, err := s.Identity("r1")
	require.NoError(t, err)
	assert.Equal(t, secretName, i.Name)
	require.NoError(t, s.Close())
	assert.ErrorIs(t, Rekey(dir, oldKey, newKey, nil), ErrWrongKey, "the old key cannot rekey either")
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "keys", "store.key")
	k, err := NewKeyFile(p)
	require.NoError(t, err)
	st, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), st.Mode().Perm())
	st, err = os.Stat(filepath.Dir(p))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o700), st.Mode().Perm())
	got, err := ReadKey(p)
	require.NoError(t, err)
	assert.Equal(t, k, got)
	_, err = NewKeyFile(p)
	assert.Error(t, err, "an existing key is never overwritten")

	raw := filepath.Join(dir, "raw.key")
	require.NoError(t, os.WriteFile(raw, k, 0o400))
	got, err = ReadKey(raw)
	require.NoError(t, err)
	assert.Equal(t, k, got, "32 raw bytes")

	open := filepath.Join(dir, "open.key")
	require.NoError(t, os.WriteFile(open, []byte(hex.EncodeToString(k)), 0o644))
	_, err = ReadKey(open)
	assert.ErrorIs(t, err, ErrBadKeyFile)
	assert.ErrorContains(t, err, "chmod 600")
	short := filepath.Join(dir, "short.key")
	require.NoError(t, os.WriteFile(short, []byte("abcd\n"), 0o600))
	_, err = ReadKey(short)
	assert.ErrorIs(t, err, ErrBadKeyFile)
}

// PlanKey: a new store gets a new key; a wave-1 plaintext store opens as it
// is unless a key file was named; an encrypted store without its key file
// is an error naming the file.
func TestPlanKey(t *testing.T) {
	root := t.TempDir()
	keyFile := filepath.Join(root, "keys", "store.key")
	dir := filepath.Join(root, "store")

	p0, err := PlanKey(keyFile, dir, false, false)
	require.NoError(t, err)
	assert.Nil(t, p0.Key, "no store, none to be made: Open reports it")
	assert.NoFileExists(t, keyFile)
	_, err = Open(Options{Dir: dir, MustExist: true, Key: p0.Key})
	assert.ErrorIs(t, err, ErrNoStore)
	p, err := PlanKey(keyFile, dir, false, true)
	require.NoError(t, err)
	assert.True(t, p.Created)
	assert.Len(t, p.Key, KeySize)
	fillSecrets(t, dir, p.Key)
	p2, err := PlanKey(keyFile, dir, false, true)
	require.NoError(t, err)
	assert.False(t, p2.Created)
	assert.Equal(t, p.Key, p2.Key)

	require.NoError(t, os.Remove(keyFile))
	_, err = PlanKey(keyFile, dir, false, true)
	assert.ErrorIs(t, err, ErrKeyNeeded, "an encrypted store whose key is gone")
	assert.ErrorContains(t, err, keyFile)

	plain := filepath.Join(root, "old")
	fillSecrets(t, plain, nil)
	p3, err := PlanKey(filepath.Join(root, "none.key"), plain, false, true)
	require.NoError(t, err)
	assert.Nil(t, p3.Key, "a plaintext store from before opens as it was")
	_, err = PlanKey(filepath.Join(root, "none.key"), plain, true, true)
	assert.ErrorIs(t, err, ErrBadKeyFile, "a named key file must exist")
}
