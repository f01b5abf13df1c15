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
// Badger also deletes such files in two steps, in ristretto's
// MmapFile.Delete: ftruncate to zero, then unlink. It deletes a value-log
// file that holds nothing live (an empty one at open, one rewritten by
// value-log GC) and a memtable's write-ahead log once the memtable is
// flushed into a table. A kill between the two leaves a zero-length file of
// any number, older ones included (seen once in 1,000 kills of
// TestKillsAtStartupNeverKeepTheGateDown: an old value log left empty).
//
// So Open removes every zero-length *.vlog and *.mem file before calling
// badger.Open:
//
//   - a zero-length file holds no header and no entry, so no value pointer,
//     no WAL record and no manifest entry (the manifest tracks only tables)
//     can refer to it: it is a file Badger was creating (the newest of its
//     kind; Badger then creates the same number again) or deleting
//     (Badger had already decided that nothing needs it);
//   - removing it changes nothing Badger could read: the only other way to
//     get an empty file is a medium that lost a whole synced file, and that
//     loss is the same whether the empty name stays or goes; keeping it
//     would only keep the gate down;
//   - a non-empty file is never touched, whatever its size or content.
//
// Each removal is logged, saying which case it was, and returned so the
// caller can count it.
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

// The two kinds of file Badger creates and deletes in two steps.
var kinds = []string{".vlog", ".mem"}

// Open repairs what a crash inside Badger's file creation or deletion
// leaves behind (see the package comment) and opens the database. It
// returns the files it removed, each already logged, so the caller can
// count them.
func Open(opt badger.Options, log *slog.Logger) (*badger.DB, []Removed, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var removed []Removed
	if !opt.InMemory {
		dirs := []string{opt.Dir}
		if opt.ValueDir != "" && opt.ValueDir != opt.Dir {
			dirs = append(dirs, opt.ValueDir)
		}
		for _, dir := range dirs {
			r, err := RemoveEmpty(dir)
			removed = append(removed, r...)
			for _, f := range r {
				log.Warn("removed an empty file left by a crash while Badger was "+f.Why, "file", f.Path)
			}
			if err != nil {
				return nil, removed, err
			}
		}
	}
	db, err := badger.Open(opt)
	return db, removed, err
}

// Removed is an empty file Open removed.
type Removed struct {
	Path string
	Why  string // "creating it" (the newest of its kind) or "deleting it"
}

// RemoveEmpty removes the zero-length value-log and memtable files in dir,
// syncs the directory, and returns what it removed. A missing dir is not an
// error (Badger creates it).
func RemoveEmpty(dir string) ([]Removed, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("badgerdb: read %s: %w", dir, err)
	}
	var removed []Removed
	for _, ext := range kinds {
		files, err := numbered(dir, entries, ext)
		if err != nil {
			return removed, err
		}
		for i, f := range files {
			if f.size != 0 {
				continue
			}
			if err := os.Remove(f.path); err != nil {
				return removed, fmt.Errorf("badgerdb: remove empty %s: %w", f.path, err)
			}
			why := "deleting it"
			if i == len(files)-1 {
				why = "creating it"
			}
			removed = append(removed, Removed{f.path, why})
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
