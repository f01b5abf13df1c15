package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/api"
	"menwei/controller"
	"menwei/controller/door"
	"menwei/controller/policy"
	"menwei/controller/store"
)

type doorsFake struct{ mode door.Mode }

func (d *doorsFake) Doors() []controller.DoorStatus {
	return []controller.DoorStatus{{Name: "main-gate", Mode: d.mode.String(), Locked: true}}
}
func (d *doorsFake) SetDoorModes(_ context.Context, _ []string, m door.Mode, _ string) error {
	d.mode = m
	return nil
}

type enrollerFake struct{ s *store.Store }

func (enrollerFake) FaceOf(context.Context, []byte) ([128]float32, error) {
	return [128]float32{1}, nil
}
func (e enrollerFake) EnrollDescriptor(identity, id string, d [128]float32) error {
	return e.s.PutFace(store.FaceRecord{Identity: identity, ID: id, Vector: d})
}
func (e enrollerFake) WithdrawConsent(_ context.Context, id string, b policy.Factor, by string) (store.Consent, int, error) {
	return e.s.WithdrawConsent(id, b, by, time.Now())
}
func (enrollerFake) EnrollFinger(context.Context, string, string) (int, error) {
	return 0, nil
}
func (e enrollerFake) RemoveIdentity(_ context.Context, id string) error {
	return e.s.DeleteIdentity(id)
}

// menweictl -api against a real API server and store.
func TestRemoteCommands(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	s, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutAccount("ada", store.RoleAdmin, "a long password"))
	doors := &doorsFake{}
	srv := httptest.NewServer(api.New(api.Options{Events: s, Auth: s, Audit: s, Doors: doors, People: s, Enroller: enrollerFake{s}}).Handler())
	defer srv.Close()
	remote := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(append([]string{"-api", srv.URL}, args...), &out)
		return out.String(), err
	}

	_, err = remote("doors")
	assert.ErrorContains(t, err, "sign in first")
	stdin = strings.NewReader("a long password\n")
	out, err := remote("login", "-name", "ada")
	require.NoError(t, err)
	assert.Contains(t, out, "signed in as ada (admin)")

	out, err = remote("doors")
	require.NoError(t, err)
	assert.Contains(t, out, "main-gate")
	_, err = remote("doors", "mode", "-door", "main-gate", "-mode", "lockdown", "-reason", "drill")
	require.NoError(t, err)
	assert.Equal(t, door.Lockdown, doors.mode)
	out, err = remote("doors", "-json")
	require.NoError(t, err)
	assert.Contains(t, out, `"Mode":"lockdown"`)

	_, err = remote("residents", "add", "-id", "li", "-name", "Li Wei", "-unit", "3-201")
	require.NoError(t, err)
	out, err = remote("residents")
	require.NoError(t, err)
	assert.Contains(t, out, "li\tLi Wei\t3-201")
	out, err = remote("events", "-limit", "100")
	require.NoError(t, err)
	assert.Contains(t, out, "auth.login")
	assert.Contains(t, out, "identity.saved")

	_, err = remote("residents", "add", "-id", "bad id", "-name", "x")
	assert.ErrorContains(t, err, "bad_request")
	_, err = remote("launch")
	assert.ErrorContains(t, err, "unknown remote command")
}

// remoteServer is a real API server and store for menweictl -api, with an
// admin (ada) and a guard (gus) account and the resident li.
func remoteServer(t *testing.T) (*store.Store, func(args ...string) (string, error)) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	s, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.PutAccount("ada", store.RoleAdmin, "a long password"))
	require.NoError(t, s.PutAccount("gus", store.RoleGuard, "a long password"))
	require.NoError(t, s.PutIdentity(store.Identity{ID: "li", Kind: policy.Resident, Name: "Li Wei", Unit: "3-201"}))
	srv := httptest.NewServer(api.New(api.Options{Events: s, Auth: s, Audit: s, Doors: &doorsFake{}, People: s, Enroller: enrollerFake{s}}).Handler())
	t.Cleanup(srv.Close)
	return s, func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(append([]string{"-api", srv.URL}, args...), &out)
		return out.String(), err
	}
}

func login(t *testing.T, remote func(...string) (string, error), name string) {
	t.Helper()
	stdin = strings.NewReader("a long password\n")
	_, err := remote("login", "-name", name)
	require.NoError(t, err)
}

// Remote visitors are listed with their host and pass, never "<nil>".
func TestRemoteVisitors(t *testing.T) {
	s, remote := remoteServer(t)
	login(t, remote, "gus")
	until := time.Date(2030, 1, 2, 15, 4, 0, 0, time.Local)
	require.NoError(t, s.PutIdentity(store.Identity{ID: "v-1", Kind: policy.Visitor, Name: "Guest", Host: "li",
		Pass: &store.Pass{From: time.Now().UTC(), Until: until.UTC(), MaxUses: 2}}))
	out, err := remote("visitors")
	require.NoError(t, err)
	assert.NotContains(t, out, "<nil>")
	assert.Contains(t, out, "v-1\tGuest\thost li\tuntil 2030-01-02 15:04\t0 of 2 uses")
	out, err = remote("residents")
	require.NoError(t, err)
	assert.NotContains(t, out, "<nil>")
}

// Remote events show the newest N, newest last, and say so; a limit over
// the API's page size is fetched page by page.
func TestRemoteEventsNewest(t *testing.T) {
	s, remote := remoteServer(t)
	login(t, remote, "gus")
	const n = 1234
	for i := range n {
		_, err := s.Append(context.Background(), controller.Event{Kind: "access.granted", Door: "main-gate", Detail: fmt.Sprintf("event-%04d", i)})
		require.NoError(t, err)
	}
	details := func(out string) []string {
		var d []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if f := strings.Split(l, "\t"); len(f) == 7 && strings.HasPrefix(f[6], "event-") {
				d = append(d, f[6])
			}
		}
		return d
	}
	out, err := remote("events", "-limit", "5")
	require.NoError(t, err)
	assert.Equal(t, []string{"event-1229", "event-1230", "event-1231", "event-1232", "event-1233"}, details(out))
	assert.Contains(t, out, "the newest 5 event(s), newest last")

	out, err = remote("events", "-limit", "1000000", "-kind", "access.granted")
	require.NoError(t, err)
	got := details(out)
	require.Len(t, got, n, "every event, past the 1000 of one page")
	assert.Equal(t, "event-0000", got[0])
	assert.Equal(t, "event-1233", got[n-1])
	assert.Contains(t, out, fmt.Sprintf("all %d event(s), newest last", n))

	out, err = remote("events", "-after", "1000", "-limit", "3", "-kind", "access.granted")
	require.NoError(t, err)
	assert.Len(t, details(out), 3)
	assert.Contains(t, out, "oldest first")
}

// Every task on people and cards works against the running gate, and a
// guard can blacklist a lost card (but not clear it).
func TestRemotePeopleTasks(t *testing.T) {
	s, remote := remoteServer(t)
	login(t, remote, "ada")
	_, err := remote("cards", "add", "-id", "li", "-card", "1:1234")
	require.NoError(t, err)
	_, err = remote("cards", "add", "-id", "li", "-card", "1:5678")
	require.NoError(t, err)
	_, err = remote("cards", "remove", "-id", "li", "-card", "1:5678")
	require.NoError(t, err)
	creds, err := s.Credentials("li")
	require.NoError(t, err)
	require.Len(t, creds, 1)

	stdin = strings.NewReader("2580\n")
	out, err := remote("pin", "set", "-id", "li")
	require.NoError(t, err)
	assert.Contains(t, out, "PIN set for li")
	i, err := s.Identity("li")
	require.NoError(t, err)
	ok, _ := store.CheckPIN(i, "2580")
	assert.True(t, ok)
	_, err = remote("pin", "set", "-id", "li", "-pin", "9111", "-duress")
	require.NoError(t, err)

	login(t, remote, "gus")
	out, err = remote("cards", "blacklist", "-id", "li", "-card", "1:1234")
	require.NoError(t, err)
	assert.Contains(t, out, "card blacklisted for li")
	c, _, err := s.Lookup(policy.Card, "h10301:1:1234")
	require.NoError(t, err)
	assert.True(t, c.Blacklisted)
	_, err = remote("cards", "blacklist", "-id", "li", "-card", "1:1234", "-clear")
	assert.ErrorContains(t, err, "forbidden")
	_, err = remote("residents", "remove", "-id", "li")
	assert.ErrorContains(t, err, "forbidden", "removing a resident is for admins")

	login(t, remote, "ada")
	_, err = remote("cards", "blacklist", "-id", "li", "-card", "1:1234", "-clear")
	require.NoError(t, err)
	c, _, err = s.Lookup(policy.Card, "h10301:1:1234")
	require.NoError(t, err)
	assert.False(t, c.Blacklisted)
	out, err = remote("residents", "remove", "-id", "li")
	require.NoError(t, err)
	assert.Contains(t, out, "li removed")
	_, err = s.Identity("li")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, _, err = s.Lookup(policy.Card, "h10301:1:1234")
	assert.ErrorIs(t, err, store.ErrNotFound, "with their cards")
}

// A wrong time says which forms are accepted, not Go's layout string.
func TestTimeFlags(t *testing.T) {
	dir := t.TempDir()
	_, err := ctl(t, dir, "residents", "add", "-id", "li", "-name", "Li Wei")
	require.NoError(t, err)
	for _, args := range [][]string{
		{"visitors", "add", "-id", "v", "-name", "x", "-host", "li", "-until", "tomorrow"},
		{"visitors", "add", "-id", "v", "-name", "x", "-host", "li", "-until", "2030-01-01", "-from", "noon"},
		{"events", "export", "-until", "2026-13-01"},
	} {
		_, err := ctl(t, dir, args...)
		require.Error(t, err, args)
		assert.Contains(t, err.Error(), "RFC 3339 such as 2026-12-01T18:00:00+08:00", args)
		assert.NotContains(t, err.Error(), "2006", args)
	}
	for _, until := range []string{"2030-01-01T18:00:00+08:00", "2030-01-01 18:00", "2030-01-01"} {
		_, err := ctl(t, dir, "visitors", "add", "-id", "v", "-name", "x", "-host", "li", "-until", until)
		require.NoError(t, err, until)
	}
	_, err = ctl(t, dir, "visitors", "add", "-id", "v", "-name", "x", "-host", "li")
	assert.ErrorContains(t, err, "-until is required")
}
