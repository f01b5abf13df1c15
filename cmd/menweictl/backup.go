package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"menwei/controller/store"
)

// The backup of a running gate goes through its API (menweid keeps the
// store open); a restore makes a new store from backup files, offline.

// remoteBackup: menweictl -api URL backup [-since N] [-out FILE] (default
// standard output). What it wrote is said on standard error when the
// backup goes to standard output.
func remoteBackup(r *remote, fs *flag.FlagSet) func() error {
	since := fs.Uint64("since", 0, "only what changed after this version (an earlier backup's until)")
	out := fs.String("out", "", "the file to write (default: standard output)")
	return func() error {
		path := "/api/v1/backup"
		if *since > 0 {
			path += "?since=" + strconv.FormatUint(*since, 10)
		}
		resp, err := r.do(http.MethodGet, path, nil, "")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		w, msgs := r.out, io.Writer(os.Stderr)
		var f *os.File
		if *out != "" {
			if f, err = os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
				return err
			}
			w, msgs = f, r.out
		}
		fail := func(err error) error {
			if f != nil {
				f.Close()
				os.Remove(*out)
			}
			return fmt.Errorf("backup incomplete: %w", err)
		}
		// The file is what the gate sent, byte for byte; its header, kept
		// as it goes by, says what it holds.
		cw := &countWriter{w: w}
		if _, err := io.Copy(cw, resp.Body); err != nil {
			return fail(err)
		}
		h, _, err := store.ReadBackupHeader(bytes.NewReader(cw.head))
		if err != nil {
			return fail(err)
		}
		if f != nil {
			if err := f.Sync(); err != nil {
				return fail(err)
			}
			if err := f.Close(); err != nil {
				return fail(err)
			}
		}
		kind := "full backup"
		if h.Since > 0 {
			kind = fmt.Sprintf("incremental backup since %d", h.Since)
		}
		enc := "encrypted with the store's key"
		if !h.Encrypted {
			enc = "NOT encrypted (the store is not encrypted at rest): keep it safe"
		}
		fmt.Fprintf(msgs, "%s up to version %d, %d bytes, %s; the next incremental: backup -since %d\n", kind, h.Until, cw.n, enc, h.Until)
		return nil
	}
}

// countWriter counts what goes through and keeps its first 4 KiB (the
// backup's header).
type countWriter struct {
	w    io.Writer
	n    int64
	head []byte
}

func (c *countWriter) Write(p []byte) (int, error) {
	if room := 4096 - len(c.head); room > 0 {
		c.head = append(c.head, p[:min(room, len(p))]...)
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// restore: menweictl restore -data DIR [-key FILE] BACKUP [INCREMENTAL...]
// (flags before or after the files). The store is made in DIR/store, which
// must not exist or be empty, with the key in DIR/keys/store.key: a copy of
// -key (the key file of the store the backups came from), or a new key for
// a plaintext backup.
func restore(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "the new data directory (its store/ must not exist or be empty): menweid's data_dir")
	keyFile := fs.String("key", "", "the key file of the store the backup was taken from (needed for an encrypted backup)")
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return printHelp(out, fs, "menweictl restore "+restoreUsage)
			}
			return usageError{fmt.Sprintf("restore: %v\nusage: menweictl restore %s", err, restoreUsage)}
		}
		if fs.NArg() == 0 {
			break
		}
		files, args = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	switch {
	case *data == "":
		return usageError{"restore: -data DIR is required\nusage: menweictl restore " + restoreUsage}
	case len(files) == 0:
		return usageError{"restore: name the backup file(s)\nusage: menweictl restore " + restoreUsage}
	}
	dir := filepath.Join(*data, "store")
	keyPath := filepath.Join(*data, "keys", "store.key")
	if _, err := os.Stat(keyPath); err == nil {
		return fmt.Errorf("restore: %s exists: restore makes a new data directory; choose another -data", keyPath)
	}
	readers := make([]io.Reader, 0, len(files))
	encrypted := false
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		h, _, err := store.ReadBackupHeader(f)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		encrypted = encrypted || h.Encrypted
		readers = append(readers, bufio.NewReader(f))
	}
	var key []byte
	made := false
	switch {
	case *keyFile != "":
		k, err := store.ReadKey(*keyFile)
		if err != nil {
			return err
		}
		key = k
	case encrypted:
		return usageError{"restore: the backup is encrypted: give -key FILE, the key file of the store it was taken from (the copy kept apart from the box)"}
	default:
		k, err := store.NewKeyFile(keyPath)
		if err != nil {
			return err
		}
		key, made = k, true
	}
	rep, err := store.Restore(dir, key, readers, nil)
	if err != nil {
		if made {
			os.Remove(keyPath)
		}
		return err
	}
	if !made {
		if err := store.WriteKeyFile(keyPath, key); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "restored %d backup file(s) into %s: %d events, hash chain verified; the next incremental backup: -since %d\n", rep.Files, dir, rep.Events, rep.Until)
	fmt.Fprintf(out, "its key is %s; start menweid with data_dir: %s\n", keyPath, *data)
	return nil
}

const restoreUsage = "-data DIR [-key FILE] BACKUP [INCREMENTAL...]   (a new store from backups; offline)"
