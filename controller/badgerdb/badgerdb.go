// Package badgerdb opens menwei's Badger database so that it always comes
// back after a kill or a power cut on the first try.
//
// Badger v4 creates each value-log (NNNNNN.vlog) and memtable write-ahead
// log (NNNNN.mem) file in two steps: open(2) with O_CREATE, then ftruncate
// to its full size and write a 20-byte header (key id and IV), inside
// ristretto's z.OpenMmapFileUsing and Badger's logFile.bootstrap. A kill
// between the two leaves a zero-length file. On the next start Badger opens
// every existing file with the "open existing" path, which sizes the empty
// file, reports it as z.NewFile, and that path treats z.NewFile as an error:
// badger.Open fails with "Create a new file" and the gate stays dark. (A
// second start works only because the failed one wrote the header.)
//
// Badger makes a new value-log file at every open and a new memtable file at
// every open and whenever a memtable fills, one at a time, each with the
// next number; so the only file a crash can leave empty is the newest of its
// kind. Open removes exactly that case before calling badger.Open:
//
//   - a zero-length file holds no header and no entry, so no value pointer,
//     no WAL record and no manifest entry (the manifest tracks only tables)
//     can refer to it; removing it puts the directory back as it was before
//     the create call, and Badger then creates the same number again;
//   - a non-empty file is never touched, whatever its size;
//   - a zero-length file that is not the newest of its kind is not something
//     Badger's own crash can leave, so it is reported as an error naming the
//     file and nothing is changed: a person has to look.
package badgerdb

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// The two kinds of file Badger creates in two steps.
var kinds = []string{".vlog", ".mem"}

// ErrEmptyFile is returned when a zero-length value-log or memtable file is
// found that is not the newest of its kind.
var ErrEmptyFile = errors.New("badgerdb: empty file that is not the newest of its kind")

// Open repairs what a crash during file creation leaves behind (see the
// package comment) and opens the database. It returns the files it removed,
// each already logged, so the caller can count them.
func Open(opt badger.Options, log *slog.Logger) (*badger.DB, []string, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var removed []string
	if !opt.InMemory {
		var err error
		dirs := []string{opt.Dir}
		if opt.ValueDir != "" && opt.ValueDir != opt.Dir {
			dirs = append(dirs, opt.ValueDir)
		}
		for _, dir := range dirs {
			r, err2 := RemoveEmptyNewest(dir)
			removed = append(removed, r...)
			if err = err2; err != nil {
				return nil, removed, err
			}
		}
		for _, f := range removed {
			log.Warn("removed an empty file left by a crash while Badger was creating it", "file", f)
		}
	}
	db, err := badger.Open(opt)
	return db, removed, err
}

// RemoveEmptyNewest removes the newest value-log and the newest memtable
// file in dir when it has zero length, syncs the directory, and returns the
// paths removed. A missing dir is not an error (Badger creates it).
func RemoveEmptyNewest(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("badgerdb: read %s: %w", dir, err)
	}
	var removed []string
	for _, ext := range kinds {
		files, err := numbered(dir, entries, ext)
		if err != nil {
			return removed, err
		}
		for i, f := range files {
			if f.size != 0 {
				continue
			}
			if i != len(files)-1 {
				return removed, fmt.Errorf("%w: %s (%d newer %s files follow it; restore from a backup or move it away by hand)",
					ErrEmptyFile, f.path, len(files)-1-i, ext)
			}
			if err := os.Remove(f.path); err != nil {
				return removed, fmt.Errorf("badgerdb: remove empty %s: %w", f.path, err)
			}
			removed = append(removed, f.path)
		}
	}
	if len(removed) > 0 {
		if err := syncDir(dir); err != nil {
			return removed, err
		}
	}
	return removed, nil
}

type numberedFile struct {
	n    int64
	path string
	size int64
}

// numbered lists dir's files named <number><ext>, oldest first.
func numbered(dir string, entries []os.DirEntry, ext string) ([]numberedFile, error) {
	var files []numberedFile
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ext) {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(name, ext), 10, 64)
		if err != nil {
			continue // not one of Badger's; Badger itself decides about it
		}
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("badgerdb: stat %s: %w", name, err)
		}
		files = append(files, numberedFile{n: n, path: filepath.Join(dir, name), size: info.Size()})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].n < files[j].n })
	return files, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("badgerdb: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("badgerdb: sync %s: %w", dir, err)
	}
	return nil
}
