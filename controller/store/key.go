package store

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Encryption at rest. The store is encrypted with Badger's own encryption:
// a master key (AES-256) encrypts Badger's key registry, whose data keys
// (AES, made anew every Options.KeyRotation) encrypt every table, value
// log and memtable file — names, flats, phone numbers, descriptors,
// templates, crops and events alike. The master key lives in a file of its
// own, outside the data that is backed up, readable by the daemon's user
// only.

// KeySize is the length of a master key: AES-256.
const KeySize = 32

var (
	// ErrWrongKey: the store is encrypted with another master key.
	ErrWrongKey = errors.New("store: the key does not open this store (it is encrypted with another key)")
	// ErrKeyNeeded: the store is encrypted and no key was given.
	ErrKeyNeeded = errors.New("store: the store is encrypted and needs its key")
	// ErrNotEncrypted: a key was given for a store that is not encrypted.
	ErrNotEncrypted = errors.New("store: the store is not encrypted (menweictl store encrypt encrypts it)")
	// ErrBadKeyFile: the key file is unreadable, of the wrong size or
	// readable by others.
	ErrBadKeyFile = errors.New("store: bad key file")
)

// badgerSanity is what Badger's key registry starts with, after a 16-byte
// IV, when it is not encrypted (key_registry.go's sanity text).
var badgerSanity = []byte("Hello Badger")

// Encrypted reports whether the store in dir is encrypted; exists is false
// when dir holds no store yet.
func Encrypted(dir string) (encrypted, exists bool, err error) {
	if _, err := os.Stat(filepath.Join(dir, badger.ManifestFilename)); errors.Is(err, fs.ErrNotExist) {
		return false, false, nil
	}
	f, err := os.Open(filepath.Join(dir, badger.KeyRegistryFileName))
	if err != nil {
		return false, true, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	head := make([]byte, 16+len(badgerSanity))
	if _, err := f.Read(head); err != nil {
		return false, true, fmt.Errorf("store: key registry of %s: %w", dir, err)
	}
	return !bytes.Equal(head[16:], badgerSanity), true, nil
}

// ReadKey reads a master key file: 32 bytes, raw or as 64 hex digits (a
// trailing newline allowed). The file must not be readable or writable by
// group or others, since whoever reads it reads the store.
func ReadKey(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrBadKeyFile, path, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w %s: mode %04o lets others read it; chmod 600 %s", ErrBadKeyFile, path, st.Mode().Perm(), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrBadKeyFile, path, err)
	}
	if len(raw) == KeySize {
		return raw, nil
	}
	s := strings.TrimSpace(string(raw))
	key, err := hex.DecodeString(s)
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("%w %s: want %d bytes, raw or as %d hex digits (menweictl store keygen makes one)", ErrBadKeyFile, path, KeySize, 2*KeySize)
	}
	return key, nil
}

// NewKeyFile writes a new random master key to path (64 hex digits, mode
// 0600, its directory made 0700 if missing) and returns it. An existing
// file is never overwritten: losing a key loses the store.
func NewKeyFile(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := WriteKeyFile(path, key); err != nil {
		return nil, err
	}
	return key, nil
}

// WriteKeyFile writes key to a new key file at path, as NewKeyFile does (a
// restore puts the backed-up store's key beside the restored store).
func WriteKeyFile(path string, key []byte) error {
	if len(key) != KeySize {
		return fmt.Errorf("%w: the key is %d bytes, want %d", ErrBadKeyFile, len(key), KeySize)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: new key file: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("store: new key file: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// KeyPlan says how a store is to be opened with respect to its key.
type KeyPlan struct {
	Key     []byte // nil: a plaintext store (one made before encryption)
	Created bool   // a new key was written to the key file
	Path    string // the key file
}

// PlanKey finds the master key for the store in dir:
//   - the key file exists: its key (the store, if any, must be encrypted
//     with it, which Open checks);
//   - no key file, no store yet, create: a new key is written to the key
//     file (a new store is always encrypted);
//   - no key file, a plaintext store (made before encryption at rest),
//     implicit: nil, and the caller warns that it is not encrypted;
//   - no key file, no store, !create: nil (Open reports ErrNoStore);
//   - otherwise an error naming the key file.
//
// explicit says the key file was named in the configuration (not the
// default path): then it must exist or be created.
func PlanKey(keyFile, dir string, explicit, create bool) (KeyPlan, error) {
	p := KeyPlan{Path: keyFile}
	_, err := os.Stat(keyFile)
	if err == nil {
		p.Key, err = ReadKey(keyFile)
		return p, err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return p, fmt.Errorf("%w %s: %w", ErrBadKeyFile, keyFile, err)
	}
	enc, exists, err := Encrypted(dir)
	if err != nil {
		return p, err
	}
	switch {
	case exists && enc:
		return p, fmt.Errorf("%w: key file %s does not exist", ErrKeyNeeded, keyFile)
	case exists && !explicit:
		return p, nil // plaintext, as it was
	case exists:
		return p, fmt.Errorf("%w %s: does not exist, and the store in %s is not encrypted (menweictl store encrypt encrypts it with a new key)", ErrBadKeyFile, keyFile, dir)
	case !create:
		return p, nil // no store and none to be made: Open says so (ErrNoStore)
	}
	if p.Key, err = NewKeyFile(keyFile); err != nil {
		return p, err
	}
	p.Created = true
	return p, nil
}
