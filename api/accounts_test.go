package api

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/controller/store"
)

// login signs name in and returns its bearer token.
func (a *testAPI) login(t *testing.T, name, password string) (int, string) {
	t.Helper()
	status, body := a.do(t, http.MethodPost, "/api/v1/login", "", `{"name":"`+name+`","password":"`+password+`"}`)
	if status != http.StatusOK {
		return status, body
	}
	var r LoginReply
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	return status, r.Token
}

// errCode is the error code of an error body.
func errCode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Error APIError `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &e), body)
	return e.Error.Code
}

// lastEvent is the newest event of a kind in the log.
func (a *testAPI) lastEvent(t *testing.T, kind string) controller.Event {
	t.Helper()
	evs, err := a.store.Events(controller.EventQuery{Limit: 1000})
	require.NoError(t, err)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == kind {
			return evs[i]
		}
	}
	t.Fatalf("no %s event", kind)
	return controller.Event{}
}

func TestAccountsListAddAndRoles(t *testing.T) {
	a := newTestServer(t)
	status, body := a.do(t, http.MethodGet, "/api/v1/accounts", a.tokens["admin"], "")
	require.Equal(t, http.StatusOK, status, body)
	var list AccountsReply
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	assert.Equal(t, store.Roles, list.Roles, "the roles offered are the store's one list")
	require.Len(t, list.Accounts, 3, "ada, gus and olga")
	assert.Equal(t, "ada", list.Accounts[0].Name)
	assert.Contains(t, list.Roles, store.RoleOffice, "the property office is a role an admin can give")
	assert.NotContains(t, body, "hash", "never a password hash")
	assert.NotContains(t, body, "salt")

	status, body = a.do(t, http.MethodPost, "/api/v1/accounts", a.tokens["admin"], `{"name":"wang","role":"guard","password":"`+pw+`"}`)
	require.Equal(t, http.StatusCreated, status, body)
	got, err := a.store.Account("wang")
	require.NoError(t, err)
	assert.Equal(t, store.RoleGuard, got.Role)
	assert.False(t, got.Disabled)
	e := a.lastEvent(t, "account.added")
	assert.Equal(t, "ada", e.Account, "who did it")
	assert.Equal(t, "wang", e.Name)
	assert.NotContains(t, e.Detail, pw, "never the password")
	status, _ = a.login(t, "wang", pw)
	assert.Equal(t, http.StatusOK, status, "the new account signs in")

	// Bad input names the field and changes nothing.
	for body, code := range map[string]string{
		`{"name":"wang","role":"guard","password":"` + pw + `"}`: "account_exists",
		`{"name":"x y","role":"guard","password":"` + pw + `"}`:  "bad_name",
		`{"name":"zhou","role":"boss","password":"` + pw + `"}`:  "bad_role",
		`{"name":"zhou","role":"guard","password":"short"}`:      "bad_password",
		`{"name":"zhou","role":"guard","password":"门卫密码门卫密码门卫"}`: "", // 10 characters (30 bytes): fine
		`{"name":"zhou2","role":"guard","password":"门卫密码门卫密码门"}`: "bad_password",
	} {
		status, resp := a.do(t, http.MethodPost, "/api/v1/accounts", a.tokens["admin"], body)
		if code == "" {
			assert.Equal(t, http.StatusCreated, status, resp)
			continue
		}
		assert.Equal(t, code, errCode(t, resp), body)
	}
	_, err = a.store.Account("zhou2")
	assert.ErrorIs(t, err, store.ErrNotFound)
	got, err = a.store.Account("wang")
	require.NoError(t, err)
	assert.Equal(t, store.RoleGuard, got.Role, "an existing account is not replaced")

	// A guard manages no accounts.
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/accounts", ""},
		{http.MethodPost, "/api/v1/accounts", `{"name":"evil","role":"admin","password":"` + pw + `"}`},
		{http.MethodPost, "/api/v1/accounts/ada/disable", ""},
		{http.MethodPost, "/api/v1/accounts/ada/password", `{"password":"a new password!"}`},
	} {
		status, body := a.do(t, r.method, r.path, a.tokens["guard"], r.body)
		assert.Equal(t, http.StatusForbidden, status, "%s %s: %s", r.method, r.path, body)
	}
	_, err = a.store.Account("evil")
	assert.ErrorIs(t, err, store.ErrNotFound)
	status, _ = a.login(t, "ada", pw)
	assert.Equal(t, http.StatusOK, status, "ada's password unchanged")
}

func TestDisabledAccountIsOutAtOnce(t *testing.T) {
	a := newTestServer(t)
	guard := a.tokens["guard"]
	status, _ := a.do(t, http.MethodGet, "/api/v1/doors", guard, "")
	require.Equal(t, http.StatusOK, status)

	status, body := a.do(t, http.MethodPost, "/api/v1/accounts/gus/disable", a.tokens["admin"], "")
	require.Equal(t, http.StatusOK, status, body)
	got, err := a.store.Account("gus")
	require.NoError(t, err)
	assert.True(t, got.Disabled)
	e := a.lastEvent(t, "account.disabled")
	assert.Equal(t, "ada", e.Account)
	assert.Equal(t, "gus", e.Name)

	status, body = a.do(t, http.MethodGet, "/api/v1/doors", guard, "")
	assert.Equal(t, http.StatusUnauthorized, status, "the session ended at once: %s", body)
	status, body = a.login(t, "gus", pw)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "account_disabled", errCode(t, body))
	status, body = a.login(t, "gus", "not the password")
	assert.Equal(t, "bad_login", errCode(t, body), "a wrong password does not learn that the account is disabled")
	assert.Equal(t, http.StatusUnauthorized, status)

	// A session made before the disabling that somehow survived (a
	// sign-in racing it) is refused too: the store checks the account.
	acct, err := a.store.Account("gus")
	require.NoError(t, err)
	token, _, err := a.store.NewSession(acct, time.Hour, time.Now())
	require.NoError(t, err)
	status, _ = a.do(t, http.MethodGet, "/api/v1/doors", token, "")
	assert.Equal(t, http.StatusUnauthorized, status)

	status, body = a.do(t, http.MethodPost, "/api/v1/accounts/gus/enable", a.tokens["admin"], "")
	require.Equal(t, http.StatusOK, status, body)
	status, _ = a.do(t, http.MethodGet, "/api/v1/doors", guard, "")
	assert.Equal(t, http.StatusUnauthorized, status, "enabling does not bring the old sessions back")
	status, _ = a.login(t, "gus", pw)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ada", a.lastEvent(t, "account.enabled").Account)
}

func TestNoAdminLeftBehind(t *testing.T) {
	a := newTestServer(t)
	admin := a.tokens["admin"]
	status, body := a.do(t, http.MethodPost, "/api/v1/accounts/ada/disable", admin, "")
	assert.Equal(t, http.StatusConflict, status)
	assert.Equal(t, "self_disable", errCode(t, body))

	// A second admin: ada may disable bo, and then bo cannot disable the
	// last enabled admin (ada) — not even from bo's own session, which
	// ended when bo was disabled; nor can another admin re-enabled later
	// disable ada while ada is the last one.
	status, body = a.do(t, http.MethodPost, "/api/v1/accounts", admin, `{"name":"bo","role":"admin","password":"`+pw+`"}`)
	require.Equal(t, http.StatusCreated, status, body)
	_, bo := a.login(t, "bo", pw)
	status, body = a.do(t, http.MethodPost, "/api/v1/accounts/bo/disable", admin, "")
	require.Equal(t, http.StatusOK, status, body)
	status, _ = a.do(t, http.MethodPost, "/api/v1/accounts/ada/disable", bo, "")
	assert.Equal(t, http.StatusUnauthorized, status)

	// In the store: the last enabled admin cannot be disabled by anyone.
	_, err := a.store.SetAccountDisabled("ada", true)
	assert.ErrorIs(t, err, store.ErrLastAdmin)
	got, err := a.store.Account("ada")
	require.NoError(t, err)
	assert.False(t, got.Disabled)
	status, _ = a.do(t, http.MethodGet, "/api/v1/accounts", admin, "")
	assert.Equal(t, http.StatusOK, status, "ada is still signed in")

	// With bo enabled again, bo can disable ada (not the last one).
	status, _ = a.do(t, http.MethodPost, "/api/v1/accounts/bo/enable", admin, "")
	require.Equal(t, http.StatusOK, status)
	_, bo = a.login(t, "bo", pw)
	status, body = a.do(t, http.MethodPost, "/api/v1/accounts/ada/disable", bo, "")
	require.Equal(t, http.StatusOK, status, body)
	status, body = a.do(t, http.MethodPost, "/api/v1/accounts/bo/disable", bo, "")
	assert.Equal(t, "self_disable", errCode(t, body))
	status, body = a.do(t, http.MethodPost, "/api/v1/accounts/nobody/disable", bo, "")
	assert.Equal(t, http.StatusNotFound, status, body)
}

func TestPasswordResetAndChange(t *testing.T) {
	a := newTestServer(t)
	const next = "a brand new password"
	// An admin resets the guard's password: the guard's sessions end.
	status, body := a.do(t, http.MethodPost, "/api/v1/accounts/gus/password", a.tokens["admin"], `{"password":"short"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "bad_password", errCode(t, body))
	status, _ = a.do(t, http.MethodGet, "/api/v1/doors", a.tokens["guard"], "")
	require.Equal(t, http.StatusOK, status, "a refused reset changes nothing")
	status, body = a.do(t, http.MethodPost, "/api/v1/accounts/gus/password", a.tokens["admin"], `{"password":"`+next+`"}`)
	require.Equal(t, http.StatusNoContent, status, body)
	status, _ = a.do(t, http.MethodGet, "/api/v1/doors", a.tokens["guard"], "")
	assert.Equal(t, http.StatusUnauthorized, status)
	status, _ = a.login(t, "gus", pw)
	assert.Equal(t, http.StatusUnauthorized, status, "the old password is gone")
	e := a.lastEvent(t, "account.password_reset")
	assert.Equal(t, "ada", e.Account)
	assert.Equal(t, "gus", e.Name)
	assert.NotContains(t, e.Detail, next)

	// The guard changes their own password from one of two sessions.
	_, one := a.login(t, "gus", next)
	_, two := a.login(t, "gus", next)
	status, body = a.do(t, http.MethodPost, "/api/v1/session/password", one, `{"old":"wrong","new":"yet another password"}`)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "wrong_password", errCode(t, body))
	status, _ = a.do(t, http.MethodGet, "/api/v1/doors", two, "")
	assert.Equal(t, http.StatusOK, status, "a wrong old password changes nothing")
	status, body = a.do(t, http.MethodPost, "/api/v1/session/password", one, `{"old":"`+next+`","new":"short"}`)
	assert.Equal(t, "bad_password", errCode(t, body))
	status, body = a.do(t, http.MethodPost, "/api/v1/session/password", one, `{"old":"`+next+`","new":"yet another password"}`)
	require.Equal(t, http.StatusNoContent, status, body)
	status, _ = a.do(t, http.MethodGet, "/api/v1/doors", one, "")
	assert.Equal(t, http.StatusOK, status, "the session that changed it stays")
	status, _ = a.do(t, http.MethodGet, "/api/v1/doors", two, "")
	assert.Equal(t, http.StatusUnauthorized, status, "the other session ended")
	status, _ = a.login(t, "gus", "yet another password")
	assert.Equal(t, http.StatusOK, status)
	e = a.lastEvent(t, "account.password_changed")
	assert.Equal(t, "gus", e.Account)
	assert.NotContains(t, e.Detail, "yet another")

	// A phone is not an account: it changes no password.
	status, _ = a.do(t, http.MethodPost, "/api/v1/session/password", a.auth(store.RoleDevice), `{"old":"x","new":"yet another password"}`)
	assert.Equal(t, http.StatusForbidden, status)
}

func TestSessionSaysWhenItEnds(t *testing.T) {
	a := newTestServer(t)
	status, body := a.do(t, http.MethodGet, "/api/v1/session", a.tokens["guard"], "")
	require.Equal(t, http.StatusOK, status)
	var s struct {
		Account string    `json:"account"`
		Expires time.Time `json:"expires"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &s))
	assert.Equal(t, "gus", s.Account)
	assert.WithinDuration(t, time.Now().Add(sessionTTL), s.Expires, time.Minute)

	status, _ = a.do(t, http.MethodPost, "/api/v1/logout", a.tokens["guard"], "")
	require.Equal(t, http.StatusNoContent, status)
	assert.Equal(t, "gus", a.lastEvent(t, "auth.logout").Account)
	status, _ = a.do(t, http.MethodGet, "/api/v1/session", a.tokens["guard"], "")
	assert.Equal(t, http.StatusUnauthorized, status)
}
