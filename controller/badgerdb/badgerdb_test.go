package badgerdb

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func options(dir string) badger.Options {
	return badger.DefaultOptions(dir).WithLogger(nil).WithSyncWrites(true).
		WithMemTableSize(8 << 20).WithValueLogFileSize(1 << 20).WithBlockCacheSize(1 << 20).WithIndexCacheSize(1 << 20)
}

// seed makes a closed database in a new directory holding key "k".
func seed(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	db, err := badger.Open(options(dir))
	require.NoError(t, err)
	require.NoError(t, db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("k"), []byte("v")) }))
	require.NoError(t, db.Close())
	return dir
}

func listing(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	m := map[string]int64{}
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		m[e.Name()] = info.Size()
	}
	return m
}

func mustGet(t *testing.T, db *badger.DB) {
	t.Helper()
	require.NoError(t, db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte("k"))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		assert.Equal(t, "v", string(v))
		return err
	}))
}

// The two files a crash inside Badger's two-step create can leave empty:
// plain badger.Open refuses each one, Open removes it and opens.
func TestOpenAfterEmptyNewestFile(t *testing.T) {
	for _, name := range []string{"000099.vlog", "00099.mem"} {
		t.Run(name, func(t *testing.T) {
			dir := seed(t)
			planted := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(planted, nil, 0o644))

			_, err := badger.Open(options(dir))
			require.Error(t, err, "plain badger.Open fails on an empty %s (the defect)", name)
			// That failed open wrote a header, which is why a second start
			// worked before; plant the empty file again.
			require.NoError(t, os.Truncate(planted, 0))

			db, removed, err := Open(options(dir), nil)
			require.NoError(t, err, "the first open after the crash works")
			assert.Equal(t, []Removed{{planted, "creating it"}}, removed)
			mustGet(t, db)
			require.NoError(t, db.Close())
		})
	}
}

func TestOpenAfterBothEmpty(t *testing.T) {
	dir := seed(t)
	vlog, mem := filepath.Join(dir, "000050.vlog"), filepath.Join(dir, "00050.mem")
	require.NoError(t, os.WriteFile(vlog, nil, 0o644))
	require.NoError(t, os.WriteFile(mem, nil, 0o644))
	db, removed, err := Open(options(dir), nil)
	require.NoError(t, err)
	assert.ElementsMatch(t, []Removed{{mem, "creating it"}, {vlog, "creating it"}}, removed)
	mustGet(t, db)
	require.NoError(t, db.Close())
}

// A file Badger was deleting (truncated to zero, not yet unlinked) may be
// of any number: removed too, and the store opens.
func TestOpenAfterEmptyOlderFile(t *testing.T) {
	for _, names := range [][2]string{{"000098.vlog", "000099.vlog"}, {"00098.mem", "00099.mem"}} {
		t.Run(names[0], func(t *testing.T) {
			dir := seed(t)
			older := filepath.Join(dir, names[0])
			require.NoError(t, os.WriteFile(older, nil, 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, names[1]), nil, 0o644))
			_, err := badger.Open(options(dir))
			require.Error(t, err, "plain badger.Open fails on it")
			require.NoError(t, os.Truncate(older, 0))
			require.NoError(t, os.Truncate(filepath.Join(dir, names[1]), 0))

			db, removed, err := Open(options(dir), nil)
			require.NoError(t, err)
			assert.Contains(t, removed, Removed{older, "deleting it"})
			mustGet(t, db)
			require.NoError(t, db.Close())
		})
	}
}

// A non-empty file is never touched, whatever is in it.
func TestOpenLeavesEverythingElse(t *testing.T) {
	t.Run("non-empty newest", func(t *testing.T) {
		dir := seed(t)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "000099.vlog"), []byte{1}, 0o644))
		before := listing(t, dir)
		removed, err := RemoveEmpty(dir)
		require.NoError(t, err)
		assert.Empty(t, removed)
		assert.Equal(t, before, listing(t, dir))
	})
	t.Run("not Badger's", func(t *testing.T) {
		dir := seed(t)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.vlog"), nil, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "MANIFEST.bak"), nil, 0o644))
		before := listing(t, dir)
		removed, err := RemoveEmpty(dir)
		require.NoError(t, err)
		assert.Empty(t, removed)
		assert.Equal(t, before, listing(t, dir))
	})
	t.Run("missing dir", func(t *testing.T) {
		removed, err := RemoveEmpty(filepath.Join(t.TempDir(), "nope"))
		require.NoError(t, err)
		assert.Empty(t, removed)
	})
}
