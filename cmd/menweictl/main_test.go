package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/controller/store"
)

func ctl(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(append([]string{"-store", dir}, args...), &out)
	return out.String(), err
}

// openKeyed opens a store menweictl made, with its key (beside it, as
// menweictl -store DIR finds it).
func openKeyed(t *testing.T, dir string) (*store.Store, error) {
	t.Helper()
	plan, err := store.PlanKey(filepath.Join(filepath.Dir(filepath.Clean(dir)), "keys", "store.key"), dir, false, false)
	if err != nil {
		return nil, err
	}
	return store.Open(store.Options{Dir: dir, Key: plan.Key})
}

func TestCommands(t *testing.T) {
	dir := t.TempDir()
	steps := [][]string{
		{"residents", "add", "-id", "li", "-name", "Li Wei", "-unit", "3-201", "-card", "1:1234", "-group", "b3"},
		{"staff", "add", "-id", "zhao", "-name", "Zhao", "-card", "1:3"},
		{"visitors", "add", "-id", "v1", "-name", "Guest", "-host", "li", "-until", "2030-01-01T00:00:00Z", "-uses", "2"},
		{"cards", "add", "-id", "li", "-card", "raw:40:0102030405"},
		{"cards", "blacklist", "-card", "raw:40:0102030405"},
		{"pin", "set", "-id", "li", "-pin", "2580"},
		{"pin", "set", "-id", "li", "-pin", "9111", "-duress"},
		{"schedules", "set", "-id", "office", "-period", "mon-fri 08:00-18:00", "-holiday-period", "10:00-12:00"},
		{"holidays", "add", "-date", "2026-10-01", "-name", "National Day"},
		{"identities", "disable", "-id", "zhao"},
	}
	for _, s := range steps {
		_, err := ctl(t, dir, s...)
		require.NoError(t, err, strings.Join(s, " "))
	}
	out, err := ctl(t, dir, "identities", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "Li Wei")
	assert.Contains(t, out, "disabled")
	assert.Contains(t, out, "pass until")
	out, err = ctl(t, dir, "identities", "list", "-json")
	require.NoError(t, err)
	assert.NotContains(t, out, "hash", "PIN hashes never printed")
	out, err = ctl(t, dir, "schedules", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "mon-fri 08:00-18:00")
	out, err = ctl(t, dir, "holidays", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "2026-10-01\tNational Day")

	s, err := openKeyed(t, dir)
	require.NoError(t, err)
	creds, err := s.Credentials("li")
	require.NoError(t, err)
	assert.Len(t, creds, 2)
	require.NoError(t, s.Close())

	_, err = ctl(t, dir, "identities", "remove", "-id", "v1")
	require.NoError(t, err)
	out, err = ctl(t, dir, "events", "export", "-format", "csv")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, "seq,time,kind"), out)
	out, err = ctl(t, dir, "verify")
	require.NoError(t, err)
	assert.Contains(t, out, "chain verified")
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	var ue usageError
	_, err := ctl(t, dir)
	assert.True(t, errors.As(err, &ue), "no command is a usage error")
	_, err = ctl(t, dir, "launch", "rockets")
	assert.ErrorContains(t, err, "unknown command")
	_, err = ctl(t, dir, "residents", "add", "-idd", "x")
	assert.True(t, errors.As(err, &ue))
	_, err = ctl(t, dir, "residents", "add", "-id", "bad id", "-name", "x")
	assert.ErrorIs(t, err, store.ErrBadRequest)
	_, err = ctl(t, dir, "cards", "add", "-id", "nobody", "-card", "1:1")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = ctl(t, dir, "visitors", "add", "-id", "v", "-name", "x", "-host", "nobody", "-until", "2030-01-01T00:00:00Z")
	assert.ErrorContains(t, err, "-host")
	_, err = ctl(t, dir, "pin", "set", "-id", "x", "-pin", "12")
	assert.ErrorIs(t, err, store.ErrBadRequest)

	// While menweid (here: another open store) holds the directory.
	s, err := openKeyed(t, dir)
	require.NoError(t, err)
	defer s.Close()
	_, err = ctl(t, dir, "identities", "list")
	assert.ErrorContains(t, err, "is menweid running")
}

func TestCert(t *testing.T) {
	dir := t.TempDir()
	out, err := ctl(t, dir, "cert", "-host", "gate.local,192.168.1.20", "-out", dir)
	require.NoError(t, err, out)
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	require.NoError(t, err)
	c, err := x509.ParseCertificate(pair.Certificate[0])
	require.NoError(t, err)
	assert.Equal(t, []string{"gate.local"}, c.DNSNames)
	assert.Equal(t, "192.168.1.20", c.IPAddresses[0].String())
	fi, err := os.Stat(filepath.Join(dir, "key.pem"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the key is private")
	_, err = ctl(t, dir, "cert")
	assert.ErrorContains(t, err, "-host")
}

func TestEstateNKey(t *testing.T) {
	dir := t.TempDir()
	out, err := ctl(t, dir, "estate", "nkey", "-gate", "gate-3a", "-out", dir)
	require.NoError(t, err, out)
	file := filepath.Join(dir, "gate-3a.nk")
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the seed is private")
	seed, err := os.ReadFile(file)
	require.NoError(t, err)
	kp, err := nkeys.FromSeed(bytes.TrimSpace(seed))
	require.NoError(t, err)
	pub, err := kp.PublicKey()
	require.NoError(t, err)
	assert.Contains(t, out, "- { name: gate-3a, nkey: "+pub+" }")
	assert.NotContains(t, out, string(bytes.TrimSpace(seed)), "the seed is never printed")
	_, err = ctl(t, dir, "estate", "nkey", "-gate", "gate-3a", "-out", dir)
	assert.ErrorContains(t, err, "exists", "a gate keeps its key")
	_, err = ctl(t, dir, "estate", "nkey", "-gate", "Gate.3")
	assert.ErrorContains(t, err, "-gate")
}

// A command that reads or changes a store never creates one: on a wrong
// path it fails, naming the path, and leaves nothing behind.
func TestMissingStoreIsNotCreated(t *testing.T) {
	for _, args := range [][]string{
		{"verify"},
		{"events"},
		{"identities", "list"},
		{"cards", "blacklist", "-card", "1:1234"},
		{"pin", "set", "-id", "li", "-pin", "2580"},
	} {
		missing := filepath.Join(t.TempDir(), "no-store")
		_, err := ctl(t, missing, args...)
		require.ErrorIs(t, err, store.ErrNoStore, args)
		assert.ErrorContains(t, err, missing, args)
		assert.NoDirExists(t, missing, args)

		empty := t.TempDir() // a directory, but no store in it
		_, err = ctl(t, empty, args...)
		require.ErrorIs(t, err, store.ErrNoStore, args)
		entries, err := os.ReadDir(empty)
		require.NoError(t, err)
		assert.Empty(t, entries, args)
	}
	// The first records of an install still make the store.
	dir := filepath.Join(t.TempDir(), "new")
	_, err := ctl(t, dir, "residents", "add", "-id", "li", "-name", "Li Wei")
	require.NoError(t, err)
	out, err := ctl(t, dir, "verify")
	require.NoError(t, err)
	assert.Contains(t, out, "intact")
}

// While menweid runs it holds the store: the error says to use the API.
func TestLockedStoreSaysUseTheAPI(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "menwei.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`
http: { listen: "gate.local:8443", cert: c.pem, key: k.pem }
buses: [{ name: b, device: tty, pds: [{ name: r, address: 1 }] }]
`), 0o600))
	s, err := openKeyed(t, filepath.Join(dir, "data", "store"))
	require.NoError(t, err)
	defer s.Close()
	var out bytes.Buffer
	err = run([]string{"-config", cfg, "cards", "blacklist", "-card", "1:1234"}, &out)
	require.ErrorIs(t, err, store.ErrStoreLocked)
	assert.ErrorContains(t, err, "menweictl -api https://gate.local:8443 cards blacklist")
	assert.NotContains(t, err.Error(), "1234", "no card number in the error")
}

// residents add with several cards saves all of them or nothing: a refused
// card leaves neither the resident nor the cards before it.
func TestAddWithCardsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	_, err := ctl(t, dir, "residents", "add", "-id", "zhao", "-name", "Zhao", "-card", "1:200")
	require.NoError(t, err)
	for _, tt := range []struct {
		name  string
		cards []string
		is    error
	}{
		{"malformed", []string{"1:100", "1:4444x"}, store.ErrBadRequest},
		{"someone else's", []string{"1:100", "1:200"}, store.ErrCardInUse},
	} {
		args := []string{"residents", "add", "-id", "li", "-name", "Li Wei"}
		for _, c := range tt.cards {
			args = append(args, "-card", c)
		}
		_, err := ctl(t, dir, args...)
		require.ErrorIs(t, err, tt.is, tt.name)
		assert.ErrorContains(t, err, "credential 2 of 2", tt.name)
		if tt.is == store.ErrCardInUse {
			assert.NotContains(t, err.Error(), "200", "a valid card's number is not in the error")
		}

		s, err := openKeyed(t, dir)
		require.NoError(t, err)
		_, err = s.Identity("li")
		assert.ErrorIs(t, err, store.ErrNotFound, "%s: the resident was not saved", tt.name)
		_, _, err = s.Lookup("card", "h10301:1:100")
		assert.ErrorIs(t, err, store.ErrNotFound, "%s: the first card was not saved", tt.name)
		require.NoError(t, s.Close())
	}
	// Changing an existing resident the same way changes nothing either.
	_, err = ctl(t, dir, "residents", "add", "-id", "zhao", "-name", "Zhao Renamed", "-card", "1:300", "-card", "raw:8")
	require.ErrorIs(t, err, store.ErrBadRequest)
	out, err := ctl(t, dir, "identities", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "Zhao ")
	assert.NotContains(t, out, "Renamed")
}

// events shows the newest N, newest last, also past one query's 1000.
func TestEventsShowsTheNewest(t *testing.T) {
	dir := t.TempDir()
	s, err := openKeyed(t, dir)
	require.NoError(t, err)
	for i := range 1100 {
		_, err := s.Append(context.Background(), controller.Event{Kind: "access.granted", Detail: fmt.Sprintf("event-%04d", i)})
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	out, err := ctl(t, dir, "events", "-limit", "3")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5, out) // header, 3 events, summary
	assert.Contains(t, lines[1], "event-1097")
	assert.Contains(t, lines[3], "event-1099")
	assert.Contains(t, lines[4], "the newest 3 event(s), newest last")
	out, err = ctl(t, dir, "events", "-limit", "5000", "-kind", "access.granted")
	require.NoError(t, err)
	assert.Equal(t, 1100, strings.Count(out, "event-"))
	assert.Contains(t, out, "all 1100 event(s)")
}

// A store made before encryption is encrypted in place with a new key
// file, then given a new key: each step says what it did, the old key no
// longer opens the store, and the records are all there.
func TestStoreEncryptAndRotateKey(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "store")
	keyFile := filepath.Join(root, "keys", "store.key")
	s, err := store.Open(store.Options{Dir: dir}) // a wave-1 plaintext store
	require.NoError(t, err)
	require.NoError(t, s.PutIdentity(store.Identity{ID: "li", Kind: "resident", Name: "Li Wei"}))
	require.NoError(t, s.Close())

	out, err := ctl(t, dir, "identities", "list")
	require.NoError(t, err, "a plaintext store still opens")
	assert.Contains(t, out, "Li Wei")
	out, err = ctl(t, dir, "store", "encrypt")
	require.NoError(t, err)
	assert.Contains(t, out, "encrypted")
	assert.Contains(t, out, keyFile)
	enc, _, err := store.Encrypted(dir)
	require.NoError(t, err)
	assert.True(t, enc)
	out, err = ctl(t, dir, "identities", "list")
	require.NoError(t, err, "opens with its key file")
	assert.Contains(t, out, "Li Wei")
	_, err = ctl(t, dir, "store", "encrypt")
	assert.ErrorIs(t, err, store.ErrAlreadyEncrypted)

	oldKey, err := store.ReadKey(keyFile)
	require.NoError(t, err)
	out, err = ctl(t, dir, "store", "rotate-key")
	require.NoError(t, err)
	assert.Contains(t, out, "new key")
	newKey, err := store.ReadKey(keyFile)
	require.NoError(t, err)
	assert.NotEqual(t, oldKey, newKey)
	assert.NoFileExists(t, keyFile+".new")
	_, err = store.Open(store.Options{Dir: dir, Key: oldKey})
	assert.ErrorIs(t, err, store.ErrWrongKey)
	out, err = ctl(t, dir, "identities", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "Li Wei")

	gen := filepath.Join(root, "other.key")
	out, err = ctl(t, dir, "store", "keygen", "-out", gen)
	require.NoError(t, err)
	assert.Contains(t, out, gen)
	_, err = store.ReadKey(gen)
	assert.NoError(t, err)
	_, err = ctl(t, dir, "store", "keygen", "-out", gen)
	assert.Error(t, err, "never overwrites a key")

	// -key names another key: the wrong one is refused, naming the problem.
	_, err = ctl(t, dir, "-key", gen, "identities", "list")
	assert.ErrorIs(t, err, store.ErrWrongKey)
}
