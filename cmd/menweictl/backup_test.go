package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/api"
	"menwei/controller/eventlog"
	"menwei/controller/policy"
	"menwei/controller/store"
)

// menweictl -api URL backup from a running API over an encrypted store,
// then menweictl restore into a new data directory with the store's key.
func TestBackupAndRestore(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	data := t.TempDir()
	keyFile := filepath.Join(data, "keys", "store.key")
	key, err := store.NewKeyFile(keyFile)
	require.NoError(t, err)
	s, err := store.Open(store.Options{Dir: filepath.Join(data, "store"), Key: key})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutAccount("ada", store.RoleAdmin, "a long password"))
	require.NoError(t, s.PutAccount("gus", store.RoleGuard, "a long password"))
	require.NoError(t, s.PutIdentity(store.Identity{ID: "li", Kind: policy.Resident, Name: "李伟", Unit: "3-201"}))
	srv := httptest.NewServer(api.New(api.Options{Events: s, Auth: s, Audit: s, Backup: s}).Handler())
	defer srv.Close()
	remote := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(append([]string{"-api", srv.URL}, args...), &out)
		return out.String(), err
	}

	file := filepath.Join(t.TempDir(), "gate.mwb")
	login(t, remote, "gus")
	_, err = remote("backup", "-out", file)
	assert.ErrorContains(t, err, "forbidden", "a guard takes no backup")
	assert.NoFileExists(t, file)
	login(t, remote, "ada")
	out, err := remote("backup", "-out", file)
	require.NoError(t, err)
	assert.Contains(t, out, "full backup up to version")
	assert.Contains(t, out, "encrypted with the store's key")
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "李伟")
	st, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	restored := filepath.Join(t.TempDir(), "data")
	var msg bytes.Buffer
	err = run([]string{"restore", file, "-data", restored}, &msg)
	assert.ErrorContains(t, err, "give -key FILE", "an encrypted backup needs the store's key")
	assert.NoDirExists(t, filepath.Join(restored, "keys"))
	err = run([]string{"restore", file, "-data", restored, "-key", keyFile}, &msg)
	require.NoError(t, err)
	assert.Contains(t, msg.String(), "hash chain verified")
	err = run([]string{"restore", "-data", restored, "-key", keyFile, file}, &msg)
	assert.ErrorContains(t, err, "restore makes a new data directory", "never over a restored store")

	r, err := store.Open(store.Options{Dir: filepath.Join(restored, "store"), Key: key, MustExist: true})
	require.NoError(t, err)
	defer r.Close()
	i, err := r.Identity("li")
	require.NoError(t, err)
	assert.Equal(t, "李伟", i.Name)
	got, err := store.ReadKey(filepath.Join(restored, "keys", "store.key"))
	require.NoError(t, err)
	assert.Equal(t, key, got, "the key is beside the restored store")
	evs, err := s.Events(eventlog.Query{Kind: "store.backup", Limit: 10})
	require.NoError(t, err)
	require.Len(t, evs, 1, "the backup is an audit event")
	assert.Equal(t, "ada", evs[0].Account)
}
