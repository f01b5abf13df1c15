package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyStore(t *testing.T) {
	k := keyStore{dir: filepath.Join(t.TempDir(), "keys")}
	require.NoError(t, k.prepare())
	key, err := k.load(5)
	require.NoError(t, err)
	assert.Nil(t, key, "nothing kept yet")

	want := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	require.NoError(t, k.save(5, want))
	fi, err := os.Stat(k.path(5))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	key, err = k.load(5)
	require.NoError(t, err)
	assert.Equal(t, want, key)

	require.NoError(t, k.save(5, nil))
	assert.NoFileExists(t, k.path(5))
	require.NoError(t, k.save(5, nil), "removing twice is fine")
	entries, err := os.ReadDir(k.dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no temporary files left")

	require.NoError(t, os.WriteFile(k.path(6), []byte("0102\n"), 0o600))
	_, err = k.load(6)
	assert.Error(t, err)

	none := keyStore{}
	require.NoError(t, none.prepare())
	require.NoError(t, none.save(1, want))
	key, err = none.load(1)
	require.NoError(t, err)
	assert.Nil(t, key)
}
