package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/sys/unix"

	"menwei/controller/badgerdb"
)

// ErrAlreadyEncrypted: Encrypt on a store that is encrypted already.
var ErrAlreadyEncrypted = errors.New("store: the store is already encrypted")

// Encrypt turns the plaintext store in dir into one encrypted with key, by
// copy: every record is copied into a new encrypted store beside it
// (dir.encrypting), the copy is compared with the original record by
// record, and only then are the two directories exchanged in one atomic
// rename (renameat2 RENAME_EXCHANGE), so at every moment dir holds a whole
// store, the old one or the new one. The plaintext files are then removed
// unless keep, which leaves them in dir.plaintext. The store must not be
// open (menweid stopped): it is ErrStoreLocked otherwise. It returns the
// number of records copied.
func Encrypt(dir string, key []byte, keep bool, log *slog.Logger) (int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(key) != KeySize {
		return 0, fmt.Errorf("%w: the key is %d bytes, want %d", ErrBadKeyFile, len(key), KeySize)
	}
	enc, exists, err := Encrypted(dir)
	switch {
	case err != nil:
		return 0, err
	case !exists:
		return 0, fmt.Errorf("%w in %s", ErrNoStore, dir)
	case enc:
		return 0, fmt.Errorf("%w: %s", ErrAlreadyEncrypted, dir)
	}
	src, err := Open(Options{Dir: dir, MustExist: true, Log: log})
	if err != nil {
		return 0, err
	}
	defer func() {
		if src != nil {
			src.Close()
		}
	}()
	tmp := dir + ".encrypting"
	if err := os.RemoveAll(tmp); err != nil { // an interrupted run's copy
		return 0, err
	}
	dst, _, err := badgerdb.Open(badgerOptions(tmp, log).WithEncryptionKey(key), log)
	if err != nil {
		return 0, fmt.Errorf("store: new encrypted store: %w", err)
	}
	pr, pw := io.Pipe()
	go func() { _, err := src.db.Backup(pw, 0); pw.CloseWithError(err) }()
	err = dst.Load(pr, 256)
	pr.CloseWithError(err)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(tmp)
		return 0, fmt.Errorf("store: copying into the encrypted store: %w", err)
	}
	// The copy, reopened from disk with its key, must hold exactly the
	// original's records.
	check, err := Open(Options{Dir: tmp, MustExist: true, Key: key, Log: log})
	if err != nil {
		os.RemoveAll(tmp)
		return 0, fmt.Errorf("store: reopening the encrypted copy: %w", err)
	}
	n, err := sameRecords(src.db, check.db)
	check.Close()
	if err != nil {
		os.RemoveAll(tmp)
		return 0, err
	}
	src.Close()
	src = nil
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE); err != nil {
		os.RemoveAll(tmp)
		return 0, fmt.Errorf("store: exchanging %s and its encrypted copy (the store is unchanged): %w", dir, err)
	}
	if err := syncDir(filepath.Dir(dir)); err != nil {
		return n, err
	}
	// tmp now holds the plaintext store.
	if keep {
		return n, os.Rename(tmp, dir+".plaintext")
	}
	return n, os.RemoveAll(tmp)
}

// sameRecords compares the latest version of every key in a and b.
func sameRecords(a, b *badger.DB) (int, error) {
	n := 0
	err := a.View(func(ta *badger.Txn) error {
		return b.View(func(tb *badger.Txn) error {
			ia, ib := ta.NewIterator(badger.DefaultIteratorOptions), tb.NewIterator(badger.DefaultIteratorOptions)
			defer ia.Close()
			defer ib.Close()
			ia.Rewind()
			ib.Rewind()
			for ; ia.Valid(); ia.Next() {
				if !ib.Valid() || !bytes.Equal(ia.Item().Key(), ib.Item().Key()) {
					return fmt.Errorf("store: the encrypted copy differs at record %d (the store is unchanged)", n)
				}
				va, err := ia.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				vb, err := ib.Item().ValueCopy(nil)
				if err != nil {
					return err
				}
				if !bytes.Equal(va, vb) {
					return fmt.Errorf("store: the encrypted copy differs at record %d (the store is unchanged)", n)
				}
				n++
				ib.Next()
			}
			if ib.Valid() {
				return errors.New("store: the encrypted copy has more records than the store (the store is unchanged)")
			}
			return nil
		})
	})
	return n, err
}

// Rekey changes the master key of the encrypted store in dir from oldKey
// to newKey: Badger's key registry, which holds the data keys, is
// re-encrypted (written aside and renamed into place by Badger); the data
// itself stays encrypted with its data keys. The store must not be open.
func Rekey(dir string, oldKey, newKey []byte, log *slog.Logger) error {
	if len(newKey) != KeySize {
		return fmt.Errorf("%w: the new key is %d bytes, want %d", ErrBadKeyFile, len(newKey), KeySize)
	}
	// Opening checks the old key and that no one else has the store.
	s, err := Open(Options{Dir: dir, MustExist: true, Key: oldKey, Log: log})
	if err != nil {
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	opt := badger.KeyRegistryOptions{Dir: dir, ReadOnly: true, EncryptionKey: oldKey}
	kr, err := badger.OpenKeyRegistry(opt)
	if err != nil {
		return fmt.Errorf("store: key registry: %w", err)
	}
	defer kr.Close()
	opt.EncryptionKey = newKey
	if err := badger.WriteKeyRegistry(kr, opt); err != nil {
		return fmt.Errorf("store: writing the key registry with the new key: %w", err)
	}
	s, err = Open(Options{Dir: dir, MustExist: true, Key: newKey, Log: log})
	if err != nil {
		return fmt.Errorf("store: reopening with the new key: %w", err)
	}
	return s.Close()
}
