package store

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"time"

	"filippo.io/age"
	"github.com/dgraph-io/badger/v4"
)

// A backup is a copy of the whole store (or of what changed since an
// earlier backup) taken while menweid runs, from a consistent snapshot
// (Badger's backup stream reads at one timestamp, and the event log writes
// an event and its head in one transaction, so a backup never holds half
// an append).
//
// File format, version 1:
//
//	menwei-backup 1\n
//	{"created":…,"since":…,"until":…,"schema":"1","encrypted":true}\n
//	the Badger backup stream — encrypted with age when the store is
//
// Badger's stream holds the records decrypted, so a backup of an encrypted
// store is encrypted again (age, scrypt recipient) with a passphrase derived
// from the store's master key: the backup is as unreadable as the store,
// and restoring it needs the same key file. The header is not secret: it
// says what the file is and which versions it covers.

// ErrNotBackup: the file is not a menwei backup (or a newer format).
var ErrNotBackup = errors.New("store: not a menwei backup")

const backupMagic = "menwei-backup 1\n"

// BackupHeader describes a backup file.
type BackupHeader struct {
	Created time.Time `json:"created"`
	// Since and Until are Badger versions: the backup holds what was written
	// after Since (0 = everything) and at least up to Until. The next
	// incremental backup is taken since this one's Until (an overlap is
	// harmless: a restore applies a record once per version).
	Since     uint64 `json:"since"`
	Until     uint64 `json:"until"`
	Schema    string `json:"schema"`
	Encrypted bool   `json:"encrypted"`
}

// backupPassphrase is the age passphrase of an encrypted store's backups:
// an HMAC of a fixed label under the master key, so the key itself is
// never used for anything but Badger.
func backupPassphrase(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("menwei backup v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// backupWorkFactor is age's scrypt cost (log2 N). The passphrase is 256
// random bits, so the cost adds no strength; it is kept small for a gate
// box (2^10 × 1 KiB = 1 MiB of memory).
const backupWorkFactor = 10

// Backup writes a backup of everything written after version since (0 =
// the whole store) to w while the store stays in use.
func (s *Store) Backup(w io.Writer, since uint64) (BackupHeader, error) {
	h := BackupHeader{Created: time.Now().UTC(), Since: since, Until: s.db.MaxVersion(), Schema: schema, Encrypted: s.key != nil}
	head, err := json.Marshal(h)
	if err != nil {
		return h, err
	}
	if _, err := io.WriteString(w, backupMagic+string(head)+"\n"); err != nil {
		return h, err
	}
	body := io.Writer(w)
	var enc io.WriteCloser
	if s.key != nil {
		r, err := age.NewScryptRecipient(backupPassphrase(s.key))
		if err != nil {
			return h, err
		}
		r.SetWorkFactor(backupWorkFactor)
		if enc, err = age.Encrypt(w, r); err != nil {
			return h, fmt.Errorf("store: backup: %w", err)
		}
		body = enc
	}
	if _, err := s.db.Backup(body, since); err != nil {
		return h, fmt.Errorf("store: backup: %w", err)
	}
	if enc != nil {
		if err := enc.Close(); err != nil {
			return h, fmt.Errorf("store: backup: %w", err)
		}
	}
	return h, nil
}

// ReadBackupHeader reads a backup's header and returns the stream after it.
func ReadBackupHeader(r io.Reader) (BackupHeader, *bufio.Reader, error) {
	var h BackupHeader
	br := bufio.NewReader(r)
	magic := make([]byte, len(backupMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != backupMagic {
		return h, nil, fmt.Errorf("%w (it does not start with %q)", ErrNotBackup, backupMagic[:len(backupMagic)-1])
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return h, nil, fmt.Errorf("%w: header: %w", ErrNotBackup, err)
	}
	if err := json.Unmarshal(line, &h); err != nil {
		return h, nil, fmt.Errorf("%w: header: %w", ErrNotBackup, err)
	}
	return h, br, nil
}

// RestoreReport says what a restore did.
type RestoreReport struct {
	Files  int    // backup files applied, in order
	Events uint64 // events in the restored log, all on an intact chain
	Until  uint64 // the last file's Until: the next incremental backup's since
}

// Restore makes a new store in dir — which must not exist or be empty —
// from backup files applied in order: a full backup, then optionally the
// incrementals taken after it, each since the previous one's Until. The new
// store is encrypted with key (which must be the key of the store the
// backups were taken from when they are encrypted; a plaintext backup is
// restored into an encrypted store all the same). The event log's hash
// chain is verified before Restore reports success; on any error dir is
// left empty and nothing else is changed.
func Restore(dir string, key []byte, files []io.Reader, log *slog.Logger) (rep RestoreReport, err error) {
	if len(files) == 0 {
		return rep, errors.New("store: restore: no backup file")
	}
	if len(key) != KeySize {
		return rep, fmt.Errorf("%w: the key is %d bytes, want %d", ErrBadKeyFile, len(key), KeySize)
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return rep, fmt.Errorf("store: restore into %s: %w", dir, err)
	case len(entries) > 0:
		return rep, fmt.Errorf("store: restore into %s: the directory is not empty (restore makes a new store; choose an empty directory)", dir)
	}
	s, err := Open(Options{Dir: dir, Key: key, Log: log})
	if err != nil {
		return rep, err
	}
	defer func() {
		if cerr := s.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			clearDir(dir)
		}
	}()
	var last BackupHeader
	for i, f := range files {
		h, body, err := ReadBackupHeader(f)
		if err != nil {
			return rep, fmt.Errorf("backup file %d: %w", i+1, err)
		}
		switch {
		case schemaAfter(h.Schema, schema):
			return rep, fmt.Errorf("backup file %d: %w: store schema %s, this menweid knows up to %s", i+1, ErrNewerSchema, h.Schema, schema)
		case i > 0 && h.Schema != last.Schema:
			return rep, fmt.Errorf("backup file %d is at store schema %s, the one before it at %s: restore the backups of one menweid version together", i+1, h.Schema, last.Schema)
		case i == 0 && h.Since != 0:
			return rep, fmt.Errorf("backup file 1 is an incremental backup (since %d): restore starts from a full backup", h.Since)
		case i > 0 && h.Since > last.Until:
			return rep, fmt.Errorf("backup file %d starts after version %d but the file before it ends at %d: a backup in between is missing", i+1, h.Since, last.Until)
		}
		stream := io.Reader(body)
		if h.Encrypted {
			id, err := age.NewScryptIdentity(backupPassphrase(key))
			if err != nil {
				return rep, err
			}
			id.SetMaxWorkFactor(backupWorkFactor)
			if stream, err = age.Decrypt(body, id); err != nil {
				return rep, fmt.Errorf("backup file %d: %w (is this the key of the store it was taken from?)", i+1, ErrWrongKey)
			}
		}
		// A fresh event log must not be writing while records load under
		// it: it is closed for the load and opened again after.
		s.Log.Close()
		if err := s.db.Load(stream, 256); err != nil {
			return rep, fmt.Errorf("backup file %d: %w", i+1, err)
		}
		if err := s.reopenLog(); err != nil {
			return rep, err
		}
		last = h
	}
	// The records are at the backup's schema: upgraded as at any start.
	err = s.db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(keySchema), []byte(last.Schema)) })
	if err == nil {
		err = s.upgrade(migrations)
	}
	if err != nil {
		return rep, err
	}
	n, err := s.VerifyChain()
	if err != nil {
		return rep, fmt.Errorf("store: restored event log: %w", err)
	}
	return RestoreReport{Files: len(files), Events: n, Until: last.Until}, nil
}

// schemaAfter reports whether schema a is newer than b (a schema that is
// not a number is taken as newer: it cannot be read).
func schemaAfter(a, b string) bool {
	na, erra := strconv.Atoi(a)
	nb, _ := strconv.Atoi(b)
	return erra != nil || na > nb
}

// clearDir empties dir (a failed restore leaves it as it found it: empty).
func clearDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(dir + "/" + e.Name())
	}
}
