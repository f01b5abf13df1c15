package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/biometric/face"
	"menwei/controller"
	"menwei/controller/door"
	"menwei/controller/policy"
	"menwei/controller/store"
)

const pw = "correct horse battery"

type fakeDoors struct{ modes map[string]door.Mode }

func (f *fakeDoors) Doors() []controller.DoorStatus {
	return []controller.DoorStatus{{Name: "main-gate", Mode: f.modes["main-gate"].String()}}
}

func (f *fakeDoors) SetDoorModes(_ context.Context, names []string, m door.Mode, _ string) error {
	for _, name := range names {
		if name != "main-gate" {
			return fmt.Errorf("%w: door %q", store.ErrNotFound, name)
		}
	}
	for _, name := range names {
		f.modes[name] = m
	}
	return nil
}

type fakeOpener struct {
	opened []string
	lock   controller.LockResult // what the lock does ("" = confirmed)
}

func (f *fakeOpener) lockResult() controller.LockResult {
	if f.lock == "" {
		return controller.LockConfirmed
	}
	return f.lock
}

func (f *fakeOpener) PhoneOpen(_ context.Context, door, device string) (controller.Decision, error) {
	if door != "main-gate" {
		return controller.Decision{}, store.ErrNotFound
	}
	f.opened = append(f.opened, device)
	var d controller.Decision
	d.Granted, d.Reason, d.Lock = true, "granted", f.lockResult()
	return d, nil
}

func (f *fakeOpener) GuardOpen(_ context.Context, door, account string) (controller.LockResult, error) {
	if door != "main-gate" {
		return "", store.ErrNotFound
	}
	f.opened = append(f.opened, account)
	return f.lockResult(), nil
}

// fakeEnroller enrols no real faces (no dlib here): every photo is refused
// as having no face, which is what a photo of a wall gives — except a
// "photo" starting with fakeFace, whose face is stored (so the store's
// rules, such as consent, apply as on a gate).
type fakeEnroller struct{ s *store.Store }

const fakeFace = "FAKE-FACE"

func (f *fakeEnroller) FaceOf(_ context.Context, photo []byte) ([128]float32, error) {
	if bytes.HasPrefix(photo, []byte(fakeFace)) {
		return [128]float32{0.1, 0.2}, nil
	}
	return [128]float32{}, fmt.Errorf("fake: %w", face.ErrNoFace)
}

func (f *fakeEnroller) EnrollDescriptor(identity, id string, d [128]float32) error {
	return f.s.PutFace(store.FaceRecord{Identity: identity, ID: id, Vector: d})
}

func (f *fakeEnroller) WithdrawConsent(_ context.Context, id string, b policy.Factor, by string) (store.Consent, int, error) {
	return f.s.WithdrawConsent(id, b, by, time.Now())
}

func (f *fakeEnroller) SameFace([128]float32) (string, bool) { return "", false }

func (f *fakeEnroller) EnrollFinger(context.Context, string, string) (int, error) {
	return 0, errors.New("fake: no fingerprint modules")
}

func (f *fakeEnroller) ErasePerson(ctx context.Context, id, by string) (controller.ErasureReport, error) {
	if err := f.s.DeleteIdentity(id); err != nil {
		return controller.ErasureReport{}, err
	}
	res, err := f.s.Erase(ctx, id, "erased-test", by)
	return controller.ErasureReport{Pseudonym: "erased-test", Events: res.Events, Erasures: res.Erasures}, err
}

func (f *fakeEnroller) RemoveIdentity(_ context.Context, id string) error {
	return f.s.DeleteIdentity(id)
}

// fakeCapturer hands out card, or waits out the capture, at "gate-reader".
type fakeCapturer struct {
	card    string // "" = nobody presents a card
	readers []string
}

func (f *fakeCapturer) CaptureCard(ctx context.Context, reader string, n int, wait time.Duration) (store.Card, error) {
	f.readers = append(f.readers, fmt.Sprintf("%s/%d/%s", reader, n, wait))
	if reader != "gate-reader" {
		return store.Card{}, fmt.Errorf("%w: reader %q", store.ErrNotFound, reader)
	}
	if f.card == "" {
		return store.Card{}, controller.ErrCaptureTimeout
	}
	return store.ParseCard(f.card)
}

type testAPI struct {
	*httptest.Server
	store  *store.Store
	opener *fakeOpener
	capt   *fakeCapturer
	tokens map[string]string // role → bearer token; "device": a paired phone's token
}

func (a *testAPI) auth(role string) string {
	if role == store.RoleDevice {
		return "Device " + a.tokens[role]
	}
	if a.tokens[role] == "" {
		return ""
	}
	return "Bearer " + a.tokens[role]
}

func newTestServer(t *testing.T) *testAPI { t.Helper(); return newTestServerWith(t, nil) }

// newTestServerWith is newTestServer with an enroller made for the test's
// store (nil: fakeEnroller).
func newTestServerWith(t *testing.T, enroller func(*store.Store) Enroller) *testAPI {
	t.Helper()
	return newTestServerOpts(t, enroller, nil)
}

// newTestServerOpts is newTestServerWith with set applied to the
// server's options (nil: none).
func newTestServerOpts(t *testing.T, enroller func(*store.Store) Enroller, set func(*Options)) *testAPI {
	t.Helper()
	st, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.PutAccount("ada", store.RoleAdmin, pw))
	require.NoError(t, st.PutAccount("gus", store.RoleGuard, pw))
	require.NoError(t, st.PutAccount("olga", store.RoleOffice, pw))
	require.NoError(t, st.PutIdentity(store.Identity{ID: "li", Kind: "resident", Name: "Li Wei"}))
	opener, capt := &fakeOpener{}, &fakeCapturer{}
	var enr Enroller = &fakeEnroller{st}
	if enroller != nil {
		enr = enroller(st)
	}
	o := Options{Events: st, Auth: st, Audit: st, Phones: st, Accounts: st, Backup: st, Opener: opener, Doors: &fakeDoors{modes: map[string]door.Mode{}},
		Metrics: http.NotFoundHandler(), People: st, Enroller: enr, Capture: capt,
		PDs: func() []controller.PDStatus {
			return []controller.PDStatus{{Name: "gate-reader", Bus: "gate", Addr: 101, Online: true, Secure: true}}
		}}
	if set != nil {
		set(&o)
	}
	srv := httptest.NewServer(New(o).Handler())
	t.Cleanup(srv.Close)
	a := &testAPI{Server: srv, store: st, opener: opener, capt: capt, tokens: map[string]string{}}
	for role, name := range map[string]string{store.RoleAdmin: "ada", store.RoleGuard: "gus"} {
		status, body := a.do(t, http.MethodPost, "/api/v1/login", "", `{"name":"`+name+`","password":"`+pw+`"}`)
		require.Equal(t, http.StatusOK, status, body)
		var r LoginReply
		require.NoError(t, json.Unmarshal([]byte(body), &r))
		a.tokens[role] = r.Token
	}
	code, _, err := st.NewPairingCode("li", "gus", time.Now())
	require.NoError(t, err)
	_, token, err := st.Pair(code, "test phone", time.Now())
	require.NoError(t, err)
	a.tokens[store.RoleDevice] = token
	return a
}

// officeLogin signs the property office's account (olga) in. It is not
// signed in by newTestServer: the login limits count every sign-in.
func (a *testAPI) officeLogin(t *testing.T) string {
	t.Helper()
	status, body := a.do(t, http.MethodPost, "/api/v1/login", "", `{"name":"olga","password":"`+pw+`"}`)
	require.Equal(t, http.StatusOK, status, body)
	var r LoginReply
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	a.tokens[store.RoleOffice] = r.Token
	return r.Token
}

func (a *testAPI) do(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, a.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		if !strings.Contains(token, " ") {
			token = "Bearer " + token
		}
		req.Header.Set("Authorization", token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") == "text/event-stream" {
		return resp.StatusCode, "" // a live stream: the status is the answer
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}

func TestEventsEndpoint(t *testing.T) {
	a := newTestServer(t)
	ctx := context.Background()
	base, err := a.store.Events(controller.EventQuery{Limit: 1000}) // the logins
	require.NoError(t, err)
	for i := range 5 {
		kind := controller.KindGranted
		if i%2 == 1 {
			kind = controller.KindDenied
		}
		_, err := a.store.Append(ctx, controller.Event{Kind: kind, Door: "main-gate"})
		require.NoError(t, err)
	}
	var page EventsPage
	status, body := a.do(t, http.MethodGet, "/api/v1/events?limit=1000", a.tokens["guard"], "")
	require.Equal(t, 200, status)
	require.NoError(t, json.Unmarshal([]byte(body), &page))
	assert.Len(t, page.Events, len(base)+5)

	status, body = a.do(t, http.MethodGet, "/api/v1/events?kind=access.denied", a.tokens["guard"], "")
	require.Equal(t, 200, status)
	require.NoError(t, json.Unmarshal([]byte(body), &page))
	assert.Len(t, page.Events, 2)

	status, body = a.do(t, http.MethodGet, "/api/v1/events?after=2&limit=2", a.tokens["guard"], "")
	require.Equal(t, 200, status)
	require.NoError(t, json.Unmarshal([]byte(body), &page))
	require.Len(t, page.Events, 2)
	assert.Equal(t, uint64(3), page.Events[0].Seq)
	assert.Equal(t, uint64(4), page.Next)
}

// order=desc gives the newest events first (a guard wants the last N), and
// paging back with before=next reaches every event once.
func TestEventsNewestFirst(t *testing.T) {
	a := newTestServer(t)
	for range 12 {
		_, err := a.store.Append(context.Background(), controller.Event{Kind: controller.KindGranted, Door: "main-gate"})
		require.NoError(t, err)
	}
	all, err := a.store.Events(controller.EventQuery{Limit: 1000})
	require.NoError(t, err)
	var page EventsPage
	status, body := a.do(t, http.MethodGet, "/api/v1/events?order=desc&limit=5", a.tokens["guard"], "")
	require.Equal(t, 200, status, body)
	require.NoError(t, json.Unmarshal([]byte(body), &page))
	require.Len(t, page.Events, 5)
	assert.Equal(t, all[len(all)-1].Seq, page.Events[0].Seq, "the newest first")
	assert.Equal(t, all[len(all)-5].Seq, page.Events[4].Seq)
	assert.Equal(t, page.Events[4].Seq, page.Next, "next is the before= of the page after")

	var seen []uint64
	for before := uint64(0); ; {
		status, body := a.do(t, http.MethodGet, fmt.Sprintf("/api/v1/events?order=desc&limit=4&before=%d", before), a.tokens["guard"], "")
		require.Equal(t, 200, status, body)
		var p EventsPage
		require.NoError(t, json.Unmarshal([]byte(body), &p))
		if len(p.Events) == 0 {
			assert.Equal(t, before, p.Next, "an empty page keeps its bound")
			break
		}
		for _, e := range p.Events {
			seen = append(seen, e.Seq)
		}
		before = p.Next
	}
	require.Len(t, seen, len(all))
	for i, seq := range seen {
		assert.Equal(t, all[len(all)-1-i].Seq, seq)
	}
	for _, q := range []string{"order=newest", "before=x", "before=-3"} {
		status, body := a.do(t, http.MethodGet, "/api/v1/events?"+q, a.tokens["guard"], "")
		assert.Equal(t, http.StatusBadRequest, status, q)
		assert.Contains(t, body, "bad_query", q)
	}
}

// A guard blacklists a resident's lost card over the API: recorded (with
// the masked card only), idempotent, and only an admin takes it off.
func TestBlacklistCard(t *testing.T) {
	a := newTestServer(t)
	require.NoError(t, a.store.AddCredential(store.Credential{Kind: policy.Card, Key: "1:4242", Identity: "li"}))
	require.NoError(t, a.store.PutIdentity(store.Identity{ID: "wu", Kind: policy.Resident, Name: "Wu"}))
	blacklisted := func() bool {
		c, _, err := a.store.Lookup(policy.Card, "h10301:1:4242")
		require.NoError(t, err)
		return c.Blacklisted
	}
	path := "/api/v1/residents/li/cards/blacklist"
	status, body := a.do(t, http.MethodPost, path, a.tokens["guard"], `{"card":"1:4242"}`)
	require.Equal(t, http.StatusNoContent, status, body)
	assert.True(t, blacklisted())
	status, _ = a.do(t, http.MethodPost, path, a.tokens["guard"], `{"card":"h10301:1:4242"}`)
	assert.Equal(t, http.StatusNoContent, status, "again, in another spelling: still blacklisted")

	evs, err := a.store.Events(controller.EventQuery{Kind: "credential.blacklisted", Limit: 10})
	require.NoError(t, err)
	require.Len(t, evs, 2)
	assert.Equal(t, "li", evs[0].Identity)
	assert.Equal(t, "h10301:…42", evs[0].Card)
	assert.Contains(t, evs[0].Detail, "by gus")
	raw, _ := json.Marshal(evs)
	assert.NotContains(t, string(raw), "4242", "never the card number")

	for _, tt := range []struct {
		path, body string
		status     int
		code       string
	}{
		{"/api/v1/residents/wu/cards/blacklist", `{"card":"1:4242"}`, http.StatusNotFound, "not_found"}, // someone else's card
		{"/api/v1/residents/nobody/cards/blacklist", `{"card":"1:4242"}`, http.StatusNotFound, "not_found"},
		{path, `{"card":"1:9999"}`, http.StatusNotFound, "not_found"},
		{path, `{"card":"1:4242x"}`, http.StatusBadRequest, "bad_request"},
		{path, `{}`, http.StatusBadRequest, "bad_request"},
	} {
		status, body := a.do(t, http.MethodPost, tt.path, a.tokens["guard"], tt.body)
		assert.Equal(t, tt.status, status, "%s %s: %s", tt.path, tt.body, body)
		assert.Contains(t, body, tt.code)
	}
	status, _ = a.do(t, http.MethodDelete, path, a.tokens["guard"], `{"card":"1:4242"}`)
	assert.Equal(t, http.StatusForbidden, status, "a guard cannot clear it")
	assert.True(t, blacklisted())
	status, body = a.do(t, http.MethodDelete, path, a.tokens["admin"], `{"card":"1:4242"}`)
	require.Equal(t, http.StatusNoContent, status, body)
	assert.False(t, blacklisted())
	evs, err = a.store.Events(controller.EventQuery{Kind: "credential.unblacklisted", Limit: 10})
	require.NoError(t, err)
	assert.Len(t, evs, 1)
}

func TestBadQueriesGetOneErrorShape(t *testing.T) {
	a := newTestServer(t)
	for _, q := range []string{"after=-1", "after=x", "limit=0", "limit=5000", "since=yesterday", "until=2026-13-01"} {
		status, body := a.do(t, http.MethodGet, "/api/v1/events?"+q, a.tokens["guard"], "")
		assert.Equal(t, http.StatusBadRequest, status, q)
		var e struct {
			Error APIError `json:"error"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &e), body)
		assert.Equal(t, "bad_query", e.Error.Code, q)
		assert.NotEmpty(t, e.Error.Message, q)
	}
	status, body := a.do(t, http.MethodGet, "/api/v1/nope", a.tokens["admin"], "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, body, `"code":"not_found"`)
	for _, bad := range []string{`{"mode":"party"}`, `{"mode":"normal","x":1}`, `{"mode":3}`, `{`, `{"mode":"normal"} {}`, `{"mode":"normal","doors":["nowhere"]}`} {
		status, body := a.do(t, http.MethodPost, "/api/v1/emergency", a.tokens["guard"], bad)
		assert.True(t, status >= 400 && status < 500, "%s → %d %s", bad, status, body)
		assert.Contains(t, body, `"error":{"code"`, bad)
	}
	status, _ = a.do(t, http.MethodPost, "/api/v1/emergency", a.tokens["guard"], `{"mode":"`+strings.Repeat("x", 70<<10)+`"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)
	for _, q := range []string{"format=", "format=xml"} {
		status, body := a.do(t, http.MethodGet, "/api/v1/events/export?"+q, a.tokens["guard"], "")
		assert.Equal(t, http.StatusBadRequest, status, q)
		assert.Contains(t, body, "format: jsonl or csv", q)
	}
}

// Text that is not valid UTF-8 or holds control characters is refused with
// a 400 naming the field, and nothing is stored.
func TestTextFieldsRefuseBadText(t *testing.T) {
	a := newTestServer(t)
	before, err := a.store.Identity("li")
	require.NoError(t, err)
	cards, err := a.store.Credentials("li")
	require.NoError(t, err)
	tests := []struct {
		method, path, body, field string
	}{
		{http.MethodPut, "/api/v1/residents/li", "{\"id\":\"li\",\"name\":\"Li\xff\xfe\"}", "name"},
		{http.MethodPost, "/api/v1/residents", `{"id":"zhang","name":"\u0000"}`, "name"},
		{http.MethodPost, "/api/v1/residents", `{"id":"zhang","name":"Zhang","unit":"3-201\n"}`, "unit"},
		{http.MethodPost, "/api/v1/residents", `{"id":"zhang","name":"Zhang","groups":["ok","b\u001bad"]}`, "groups[1]"},
		{http.MethodPost, "/api/v1/residents/li/cards", `{"card":"1:4444\u0000"}`, "card"},
		{http.MethodPost, "/api/v1/emergency", `{"mode":"normal","reason":"fire\u0007"}`, "reason"},
	}
	for _, tt := range tests {
		status, body := a.do(t, tt.method, tt.path, a.tokens["admin"], tt.body)
		assert.Equal(t, http.StatusBadRequest, status, "%s %s", tt.path, tt.body)
		assert.Contains(t, body, `"message":"`+tt.field+`: `, tt.body)
	}
	li, err := a.store.Identity("li")
	require.NoError(t, err)
	assert.Equal(t, before, li, "unchanged")
	_, err = a.store.Identity("zhang")
	assert.ErrorIs(t, err, store.ErrNotFound, "not created")
	creds, err := a.store.Credentials("li")
	require.NoError(t, err)
	assert.Equal(t, cards, creds, "no card stored")
}

// Every route × {anonymous, guard, admin}: only the intended callers pass.
func TestAuthorizationMatrix(t *testing.T) {
	a := newTestServer(t)
	a.officeLogin(t)
	s := New(Options{Phones: a.store, Opener: a.opener, Metrics: http.NotFoundHandler(), People: a.store, Enroller: &fakeEnroller{a.store}, Accounts: a.store, Capture: a.capt, Backup: a.store})
	allowed := func(who []string, role string) bool {
		for _, w := range who {
			if w == anyone || (w == signedIn && role != "" && role != store.RoleDevice) || w == role {
				return true
			}
		}
		return false
	}
	bodies := map[string]string{"/api/v1/login": `{"name":"gus","password":"` + pw + `"}`, "/api/v1/emergency": `{"mode":"normal"}`,
		"/api/v1/doors/:name/mode": `{"mode":"normal"}`, "/api/v1/pair": `{"code":"AAAA-BBBB","name":"x"}`,
		"/api/v1/residents/:id/cards/blacklist": `{"card":"1:77"}`,
		"/api/v1/residents/:id/erase":           `{"confirm":"erasing"}`}
	require.NoError(t, a.store.AddCredential(store.Credential{Kind: policy.Card, Key: "1:77", Identity: "li"}))
	// A lost card is urgent: guards may blacklist it; only the office and
	// admins clear it. The office manages people but opens no door and
	// changes no mode; guards see residents but do not change them.
	office, all := []string{store.RoleOffice, store.RoleAdmin}, []string{store.RoleGuard, store.RoleOffice, store.RoleAdmin}
	gate := []string{store.RoleGuard, store.RoleAdmin}
	want := map[string][]string{
		"POST /api/v1/residents/:id/cards/blacklist":   all,
		"DELETE /api/v1/residents/:id/cards/blacklist": office,
		"GET /api/v1/residents":                        all,
		"GET /api/v1/residents/:id":                    all,
		"POST /api/v1/residents":                       office,
		"PUT /api/v1/residents/:id":                    office,
		"DELETE /api/v1/residents/:id":                 office,
		"PUT /api/v1/residents/:id/pin":                office,
		"POST /api/v1/residents/:id/cards":             office,
		"DELETE /api/v1/residents/:id/cards":           office,
		"POST /api/v1/residents/:id/face":              office,
		"POST /api/v1/residents/:id/fingerprint":       office,
		"POST /api/v1/readers/:name/capture":           office,
		"GET /api/v1/residents/:id/devices":            all,
		"DELETE /api/v1/devices/:id":                   all,
		"GET /api/v1/events":                           all,
		"POST /api/v1/doors/:name/mode":                gate,
		"POST /api/v1/emergency":                       gate,
		"POST /api/v1/doors/:name/open":                {store.RoleDevice, store.RoleGuard, store.RoleAdmin},
		"GET /api/v1/accounts":                         {store.RoleAdmin},
		"POST /api/v1/accounts":                        {store.RoleAdmin},
		"POST /api/v1/accounts/:name/disable":          {store.RoleAdmin},
		"POST /api/v1/accounts/:name/enable":           {store.RoleAdmin},
		"POST /api/v1/accounts/:name/password":         {store.RoleAdmin},
		"POST /api/v1/session/password":                {signedIn},
		"DELETE /api/v1/phone/device":                  {store.RoleDevice},
		"GET /api/v1/residents/:id/export":             office,
		"POST /api/v1/residents/:id/erase":             office,
	}
	for _, r := range s.routes {
		if w, ok := want[r.Method+" "+r.Path]; ok {
			assert.ElementsMatch(t, w, r.Who, "%s %s", r.Method, r.Path)
			delete(want, r.Method+" "+r.Path)
		}
	}
	assert.Empty(t, want, "routes missing")
	for _, r := range s.routes {
		path := strings.NewReplacer(":name", "main-gate", ":seq", "1", ":id", "li", ":biometric", "face").Replace(r.Path)
		if r.Path == "/api/v1/readers/:name/capture" {
			path = "/api/v1/readers/gate-reader/capture?wait=1"
		}
		for _, role := range []string{"", store.RoleGuard, store.RoleOffice, store.RoleAdmin, store.RoleDevice} {
			if (r.Path == "/api/v1/logout" && role != store.RoleDevice) || r.Path == "/api/v1/devices/:id" ||
				(r.Path == "/api/v1/phone/device" && role == store.RoleDevice) {
				continue // would end the sessions the other rows use
			}
			if r.Method == http.MethodDelete && r.Path == "/api/v1/residents/:id" {
				// Moving Li out would take the phone the device rows use.
				require.NoError(t, a.store.PutIdentity(store.Identity{ID: "leaving", Kind: policy.Resident, Name: "Leaving"}))
				path = "/api/v1/residents/leaving"
			}
			if r.Path == "/api/v1/residents/:id/erase" {
				// Erasing Li would take the phone the device rows use too.
				require.NoError(t, a.store.PutIdentity(store.Identity{ID: "erasing", Kind: policy.Resident, Name: "Erasing"}))
				path = "/api/v1/residents/erasing/erase"
			}
			status, body := a.do(t, r.Method, path, a.auth(role), bodies[r.Path])
			if r.Path == "/api/v1/pair" {
				assert.Equal(t, http.StatusUnauthorized, status, "a wrong code, for anyone: %s", body)
				assert.Contains(t, body, "bad_code")
			} else if allowed(r.Who, role) {
				assert.NotContains(t, []int{401, 403}, status, "%s %s as %q: %s", r.Method, r.Path, role, body)
			} else if role == "" {
				assert.Equal(t, http.StatusUnauthorized, status, "%s %s anonymous", r.Method, r.Path)
			} else {
				assert.Equal(t, http.StatusForbidden, status, "%s %s as %s", r.Method, r.Path, role)
			}
		}
	}
	assert.GreaterOrEqual(t, len(s.routes), 13)
}

func TestPairingAndPhoneOpen(t *testing.T) {
	a := newTestServer(t)
	status, body := a.do(t, http.MethodPost, "/api/v1/residents/li/pairing", a.tokens["guard"], "")
	require.Equal(t, http.StatusCreated, status, body)
	var pc PairingCode
	require.NoError(t, json.Unmarshal([]byte(body), &pc))
	assert.Len(t, pc.Code, 9)

	status, body = a.do(t, http.MethodPost, "/api/v1/pair", "", `{"code":"`+strings.ToLower(pc.Code)+`","name":"Li's phone"}`)
	require.Equal(t, http.StatusCreated, status, body)
	var pr PairReply
	require.NoError(t, json.Unmarshal([]byte(body), &pr))
	assert.Equal(t, "li", pr.Identity)

	status, _ = a.do(t, http.MethodPost, "/api/v1/pair", "", `{"code":"`+pc.Code+`","name":"again"}`)
	assert.Equal(t, http.StatusUnauthorized, status, "a code works once")

	status, body = a.do(t, http.MethodPost, "/api/v1/doors/main-gate/open", "Device "+pr.Token, "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"granted":true`)
	assert.Equal(t, pr.Device, a.opener.opened[len(a.opener.opened)-1])

	status, _ = a.do(t, http.MethodPost, "/api/v1/doors/main-gate/open", "Device "+pr.Token+"x", "")
	assert.Equal(t, http.StatusUnauthorized, status, "a wrong secret")
	status, _ = a.do(t, http.MethodDelete, "/api/v1/devices/"+pr.Device, a.tokens["admin"], "")
	require.Equal(t, http.StatusNoContent, status)
	status, _ = a.do(t, http.MethodPost, "/api/v1/doors/main-gate/open", "Device "+pr.Token, "")
	assert.Equal(t, http.StatusUnauthorized, status, "a revoked phone opens nothing")

	status, _ = a.do(t, http.MethodPost, "/api/v1/residents/nobody/pairing", a.tokens["guard"], "")
	assert.Equal(t, http.StatusNotFound, status)
	evs, err := a.store.Events(controller.EventQuery{Limit: 1000})
	require.NoError(t, err)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
		assert.NotContains(t, e.Detail, pr.Token, "tokens never recorded")
		assert.NotContains(t, e.Detail, pc.Code, "codes never recorded")
	}
	assert.Contains(t, kinds, "device.pairing_issued")
	assert.Contains(t, kinds, "device.paired")
	assert.Contains(t, kinds, "device.revoked")
}

func TestCookieSessionsNeedCSRF(t *testing.T) {
	a := newTestServer(t)
	resp, err := http.Post(a.URL+"/api/v1/login", "application/json", strings.NewReader(`{"name":"gus","password":"`+pw+`"}`))
	require.NoError(t, err)
	var r LoginReply
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	require.NotNil(t, cookie)
	assert.True(t, cookie.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, cookie.SameSite)

	post := func(csrf string) int {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/api/v1/emergency", strings.NewReader(`{"mode":"normal"}`))
		req.AddCookie(cookie)
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusForbidden, post(""))
	assert.Equal(t, http.StatusForbidden, post("wrong"))
	assert.Equal(t, http.StatusOK, post(r.CSRF))
	req, _ := http.NewRequest(http.MethodGet, a.URL+"/api/v1/doors", nil)
	req.AddCookie(cookie)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "reads need no CSRF token")
}

func TestLoginLimits(t *testing.T) {
	a := newTestServer(t) // two good logins already spent from this address
	codes := map[int]int{}
	for range 12 {
		status, _ := a.do(t, http.MethodPost, "/api/v1/login", "", `{"name":"gus","password":"wrong password"}`)
		codes[status]++
	}
	assert.Equal(t, 8, codes[http.StatusUnauthorized], "wrong passwords are refused")
	assert.Equal(t, 4, codes[http.StatusTooManyRequests], "then the address is slowed down")
	evs, err := a.store.Events(controller.EventQuery{Kind: "auth.login_failed"})
	require.NoError(t, err)
	assert.Len(t, evs, 8, "failed logins are audit events")
	for _, e := range evs {
		assert.NotContains(t, e.Detail, "wrong password", "passwords never recorded")
	}
}

func TestHealthAndSession(t *testing.T) {
	a := newTestServer(t)
	status, body := a.do(t, http.MethodGet, "/healthz", "", "")
	assert.Equal(t, 200, status)
	assert.Contains(t, body, "ok")
	status, body = a.do(t, http.MethodGet, "/api/v1/session", a.tokens["admin"], "")
	assert.Equal(t, 200, status)
	assert.Contains(t, body, `"role":"admin"`)
	status, _ = a.do(t, http.MethodPost, "/api/v1/logout", a.tokens["admin"], "")
	assert.Equal(t, http.StatusNoContent, status)
	status, _ = a.do(t, http.MethodGet, "/api/v1/session", a.tokens["admin"], "")
	assert.Equal(t, http.StatusUnauthorized, status, "the token is dead after logout")
}

// Every route is in the OpenAPI document, with its method, and nothing is
// documented that does not exist.
// openAPIPath is the document's spelling of an echo route path.
func openAPIPath(route string) string {
	for _, p := range []string{"name", "seq", "id", "biometric"} {
		route = strings.ReplaceAll(route, ":"+p, "{"+p+"}")
	}
	return route
}

// allRoutes is a server with every optional part, so that every route is registered.
func allRoutes(a *testAPI) []routeInfo {
	s := New(Options{Phones: a.store, Opener: a.opener, Metrics: http.NotFoundHandler(), People: a.store, Enroller: &fakeEnroller{a.store}, Accounts: a.store, Capture: a.capt, Backup: a.store})
	return s.routes
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	a := newTestServer(t)
	status, body := a.do(t, http.MethodGet, "/api/v1/openapi.json", "", "")
	require.Equal(t, http.StatusOK, status)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &doc))
	assert.Equal(t, "3.0.3", doc.OpenAPI)
	seen := map[string]bool{}
	for _, r := range allRoutes(a) {
		path := openAPIPath(r.Path)
		ops, ok := doc.Paths[path]
		require.True(t, ok, "route %s %s is not in openapi.json", r.Method, path)
		_, ok = ops[strings.ToLower(r.Method)]
		assert.True(t, ok, "method %s of %s is not in openapi.json", r.Method, path)
		seen[strings.ToLower(r.Method)+" "+path] = true
	}
	for path, ops := range doc.Paths {
		for m := range ops {
			assert.True(t, seen[m+" "+path], "openapi.json documents %s %s, which the server does not serve", m, path)
		}
	}
}

// What make lint-openapi checks of the operations, kept true without the
// linter and tied to the routes: every operation has a unique camelCase
// operationId (client generators name methods after it), every route behind
// the guard documents the guard's 401 and 403, and every operation documents
// a 4xx but the four public reads that nothing a client sends can make fail
// (the same four are in .redocly.lint-ignore.yaml).
func TestOpenAPIOperations(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string                     `json:"operationId"`
			Responses   map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(openAPI, &doc))
	noClientError := map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "GET /api/v1/openapi.json": true}
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	ids := map[string]string{}
	for _, r := range allRoutes(newTestServer(t)) {
		name := r.Method + " " + openAPIPath(r.Path)
		op := doc.Paths[openAPIPath(r.Path)][strings.ToLower(r.Method)]
		if assert.Regexp(t, camel, op.OperationID, "%s: operationId", name) {
			if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %s is also %s's", name, op.OperationID, other)
			}
			ids[op.OperationID] = name
		}
		if len(r.Who) != 1 || r.Who[0] != anyone {
			assert.Contains(t, op.Responses, "401", "%s: the guard answers 401 without a session", name)
			assert.Contains(t, op.Responses, "403", "%s: the guard answers 403 to a role it does not allow", name)
		}
		has4xx := false
		for code := range op.Responses {
			has4xx = has4xx || code[0] == '4'
		}
		assert.True(t, has4xx || noClientError[name], "%s documents no 4xx response", name)
	}
}

func TestEventStream(t *testing.T) {
	a := newTestServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.URL+"/api/v1/events/stream?after=0", nil)
	req.Header.Set("Authorization", "Bearer "+a.tokens["guard"])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	_, err = a.store.Append(context.Background(), controller.Event{Kind: controller.KindGranted, Door: "main-gate", Identity: "li"})
	require.NoError(t, err)
	sc := bufio.NewScanner(resp.Body)
	var kinds []string
	for sc.Scan() && len(kinds) < 10 {
		line := sc.Text()
		if k, ok := strings.CutPrefix(line, "event: "); ok {
			kinds = append(kinds, k)
			if k == controller.KindGranted {
				break
			}
		}
	}
	assert.Contains(t, kinds, "auth.login", "replayed from the start")
	assert.Equal(t, controller.KindGranted, kinds[len(kinds)-1], "then live")
}

// Bad input to the people endpoints: always a 4xx with a message, never a
// 5xx, and nothing changes in the store.
func TestPeopleBadInput(t *testing.T) {
	a := newTestServer(t)
	admin := a.tokens["admin"]
	status, body := a.do(t, http.MethodPost, "/api/v1/residents", admin, `{"id":"wang","name":"Wang Fang","unit":"5-502"}`)
	require.Equal(t, http.StatusCreated, status, body)
	before, err := a.store.Identities("")
	require.NoError(t, err)

	cases := []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/residents", `{"id":"x","name":"X","age":3}`},                // unknown field
		{http.MethodPost, "/api/v1/residents", `{"id":"x","name":7}`},                          // wrong type
		{http.MethodPost, "/api/v1/residents", `{"id":"x","name":"X"`},                         // malformed
		{http.MethodPost, "/api/v1/residents", `{"id":"bad id","name":"X"}`},                   // invalid id
		{http.MethodPost, "/api/v1/residents", `{"id":"wang","name":"Again"}`},                 // exists
		{http.MethodPost, "/api/v1/residents", `{"id":"x","name":""}`},                         // no name
		{http.MethodPut, "/api/v1/residents/nobody", `{"name":"X"}`},                           // not found
		{http.MethodPut, "/api/v1/residents/wang", `{"id":"other","name":"X"}`},                // id mismatch
		{http.MethodPost, "/api/v1/residents/wang/cards", `{"card":"nonsense"}`},               // bad card
		{http.MethodPost, "/api/v1/residents/wang/cards", `{"card":1234}`},                     // wrong type
		{http.MethodPut, "/api/v1/residents/wang/pin", `{"pin":"12"}`},                         // short PIN
		{http.MethodPut, "/api/v1/residents/wang/pin", `{"pin":"abcd"}`},                       // not digits
		{http.MethodPost, "/api/v1/residents/wang/face", `not multipart`},                      // no photo
		{http.MethodPost, "/api/v1/visitors", `{}`},                                            // no photo
		{http.MethodDelete, "/api/v1/visitors/wang", ``},                                       // a resident is not a visitor
		{http.MethodPost, "/api/v1/residents", `{"id":"` + strings.Repeat("y", 70<<10) + `"}`}, // huge
	}
	for _, c := range cases {
		status, body := a.do(t, c.method, c.path, admin, c.body)
		assert.True(t, status >= 400 && status < 500, "%s %s %.60s → %d %s", c.method, c.path, c.body, status, body)
		assert.Contains(t, body, `"error":{"code"`, "%s %s", c.method, c.path)
		assert.NotContains(t, body, store.ErrBadRequest.Error(), "%s %s: the message, not the package's prefix", c.method, c.path)
	}
	after, err := a.store.Identities("")
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing changed")

	// A non-image upload: refused by the face engine, and the visitor is not left half-made.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("name", "Guest")
	_ = mw.WriteField("host", "wang")
	_ = mw.WriteField("until", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	_ = mw.WriteField("consent", "face-v1")
	fw, _ := mw.CreateFormFile("photo", "x.jpg")
	fw.Write([]byte("this is not a photo"))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/api/v1/visitors", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+a.tokens["guard"])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	vs, err := a.store.Identities(policy.Visitor)
	require.NoError(t, err)
	assert.Empty(t, vs)
}

// postVisitor sends a visitor registration with the given form and photo.
func (a *testAPI) postVisitor(t *testing.T, form map[string]string, photo []byte) (int, string) {
	t.Helper()
	return a.postPhoto(t, "/api/v1/visitors", store.RoleGuard, form, photo)
}

// postPhoto sends a multipart form with a photo to path as role.
func (a *testAPI) postPhoto(t *testing.T, path, role string, form map[string]string, photo []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range form {
		require.NoError(t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("photo", "p.jpg")
	require.NoError(t, err)
	fw.Write(photo)
	require.NoError(t, mw.Close())
	req, _ := http.NewRequest(http.MethodPost, a.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+a.tokens[role])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A refused visitor leaves no trace but the refusal: no identity, and no
// "identity.removed" for one that was never announced. Status codes follow
// the cause and messages name the field.
func TestVisitorRefusals(t *testing.T) {
	a := newTestServer(t)
	_, head := a.store.Stats()
	good := func() map[string]string {
		return map[string]string{"name": "Guest", "host": "li", "until": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "consent": "face-v1"}
	}
	with := func(k, v string) map[string]string { f := good(); f[k] = v; return f }
	tests := []struct {
		form   map[string]string
		photo  []byte
		status int
		msg    string
	}{
		{good(), []byte("\xff\xd8 a photo with no face (the fake engine finds none)"), http.StatusUnprocessableEntity, "no face"},
		{good(), make([]byte, 9<<20), http.StatusRequestEntityTooLarge, "photo over 8 MiB"},
		{with("until", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)), []byte("x"), http.StatusBadRequest, "until: must be in the future"},
		{with("name", "G\x00uest"), []byte("x"), http.StatusBadRequest, "name: control character"},
		{with("name", "G\xffuest"), []byte("x"), http.StatusBadRequest, "name: not valid UTF-8"},
		{with("host", "nobody"), []byte("x"), http.StatusBadRequest, `host: no resident \"nobody\"`},
		{with("consent", ""), []byte(fakeFace), http.StatusBadRequest, `consent_required","message":"consent: the visitor's consent`},
		{with("consent", "face-v0"), []byte(fakeFace), http.StatusBadRequest, `bad_consent_text","message":"consent: the version of the consent text`},
	}
	for _, tt := range tests {
		status, body := a.postVisitor(t, tt.form, tt.photo)
		assert.Equal(t, tt.status, status, "%s: %s", tt.msg, body)
		assert.Contains(t, body, tt.msg)
	}
	vs, err := a.store.Identities(policy.Visitor)
	require.NoError(t, err)
	assert.Empty(t, vs)
	_, after := a.store.Stats()
	assert.Equal(t, head, after, "nothing recorded")
}

// A 404 names what was not found.
func TestNotFoundNamesKindAndID(t *testing.T) {
	a := newTestServer(t)
	for path, want := range map[string]string{
		"/api/v1/residents/nobody": `identity \"nobody\"`,
		"/api/v1/visitors/v-none":  `identity \"v-none\"`,
	} {
		method := http.MethodGet
		if strings.Contains(path, "visitors") {
			method = http.MethodDelete
		}
		status, body := a.do(t, method, path, a.tokens["admin"], "")
		assert.Equal(t, http.StatusNotFound, status, path)
		assert.Contains(t, body, want, path)
	}
	status, body := a.do(t, http.MethodDelete, "/api/v1/residents/li/cards", a.tokens["admin"], `{"card":"1:999"}`)
	assert.Equal(t, http.StatusNotFound, status, body)
	assert.Contains(t, body, "not one of li's cards")
	assert.NotContains(t, body, "999", "no card number in errors")
}

func TestExport(t *testing.T) {
	a := newTestServer(t)
	_, err := a.store.Append(context.Background(), controller.Event{Kind: controller.KindGranted, Door: "main-gate", Detail: "a, \"quoted\" detail"})
	require.NoError(t, err)
	status, body := a.do(t, http.MethodGet, "/api/v1/events/export?format=csv&kind=access.granted", a.tokens["guard"], "")
	require.Equal(t, http.StatusOK, status)
	lines := strings.Split(strings.TrimSpace(body), "\n")
	require.Len(t, lines, 2)
	assert.True(t, strings.HasPrefix(lines[0], "seq,time,kind"))
	assert.Contains(t, lines[1], `"a, ""quoted"" detail"`)
	status, body = a.do(t, http.MethodGet, "/api/v1/events/export?format=jsonl", a.tokens["guard"], "")
	require.Equal(t, http.StatusOK, status)
	for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
		var e controller.Event
		require.NoError(t, json.Unmarshal([]byte(l), &e))
	}
	status, _ = a.do(t, http.MethodGet, "/api/v1/events/export?format=xml", a.tokens["guard"], "")
	assert.Equal(t, http.StatusBadRequest, status)
}

// Expired sessions and pairing codes are refused like wrong ones.
func TestExpiredCredentials(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.PutAccount("gus", store.RoleGuard, pw))
	require.NoError(t, st.PutIdentity(store.Identity{ID: "li", Kind: "resident", Name: "Li Wei"}))
	now := time.Now()
	srv := httptest.NewServer(New(Options{Events: st, Auth: st, Phones: st, Opener: &fakeOpener{}, Now: func() time.Time { return now }}).Handler())
	defer srv.Close()
	a := &testAPI{Server: srv, store: st, tokens: map[string]string{}}
	status, body := a.do(t, http.MethodPost, "/api/v1/login", "", `{"name":"gus","password":"`+pw+`"}`)
	require.Equal(t, http.StatusOK, status)
	var r LoginReply
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	status, body = a.do(t, http.MethodPost, "/api/v1/residents/li/pairing", r.Token, "")
	require.Equal(t, http.StatusCreated, status)
	var pc PairingCode
	require.NoError(t, json.Unmarshal([]byte(body), &pc))

	now = now.Add(11 * time.Minute)
	status, _ = a.do(t, http.MethodPost, "/api/v1/pair", "", `{"code":"`+pc.Code+`","name":"late"}`)
	assert.Equal(t, http.StatusUnauthorized, status, "a pairing code lives 10 minutes")
	now = now.Add(13 * time.Hour)
	status, _ = a.do(t, http.MethodGet, "/api/v1/doors", r.Token, "")
	assert.Equal(t, http.StatusUnauthorized, status, "a session lives 12 hours")
}

// Every route that takes a body, given malformed JSON, unknown fields,
// wrong types or a huge body, answers 4xx with the error shape, never 5xx,
// and the store's people and credentials do not change.
func TestBadInputEveryRoute(t *testing.T) {
	a := newTestServer(t)
	s := New(Options{Phones: a.store, Opener: a.opener, Metrics: http.NotFoundHandler(), People: a.store, Enroller: &fakeEnroller{a.store}, Accounts: a.store, Capture: a.capt, Backup: a.store})
	noBody := map[string]bool{"/api/v1/logout": true, "/api/v1/residents/:id/pairing": true, "/api/v1/doors/:name/open": true, "/api/v1/readers/:name/capture": true}
	snapshot := func() string {
		ids, err := a.store.Identities("")
		require.NoError(t, err)
		creds, err := a.store.Credentials("")
		require.NoError(t, err)
		b, _ := json.Marshal([]any{ids, creds})
		return string(b)
	}
	before := snapshot()
	bad := map[string]string{
		"malformed":     `{"name": "x"`,
		"unknown field": `{"definitely_not_a_field": 1}`,
		"wrong type":    `{"name": 12, "mode": 3, "code": 4, "card": 5, "pin": 6, "hours": "x", "module": 7, "password": 8, "id": 9}`,
		"huge":          `{"name":"` + strings.Repeat("x", 70<<10) + `"}`,
		"not json":      `name=x`,
	}
	checked := 0
	for _, r := range s.routes {
		if (r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodDelete) || noBody[r.Path] {
			continue
		}
		if r.Method == http.MethodDelete && r.Path != "/api/v1/residents/:id/cards" {
			continue // deletes take no body
		}
		token := a.tokens["admin"]
		if len(r.Who) == 1 && r.Who[0] == store.RoleDevice {
			token = "Device " + a.tokens["device"]
		}
		path := strings.NewReplacer(":name", "main-gate", ":id", "li").Replace(r.Path)
		for what, body := range bad {
			status, resp := a.do(t, r.Method, path, token, body)
			assert.True(t, status >= 400 && status < 500, "%s %s with %s body → %d %s", r.Method, r.Path, what, status, resp)
			assert.Contains(t, resp, `"error":{"code"`, "%s %s with %s body", r.Method, r.Path, what)
		}
		checked++
	}
	assert.GreaterOrEqual(t, checked, 12)
	assert.Equal(t, before, snapshot(), "nothing changed in the store")
}

// A door that was granted but whose lock did not release is never answered
// as opened: the status and the body say what the lock did.
func TestOpenAnswersWhatTheLockDid(t *testing.T) {
	a := newTestServer(t)
	tests := []struct {
		lock   controller.LockResult
		status int
		body   string
	}{
		{controller.LockConfirmed, http.StatusOK, `"opened":true`},
		{controller.LockHeldOpen, http.StatusOK, `"opened":true`},
		{controller.LockUnconfirmed, http.StatusAccepted, `"opened":false`},
		{controller.LockOffline, http.StatusServiceUnavailable, `"code":"lock_offline"`},
		{controller.LockNoReply, http.StatusServiceUnavailable, `"code":"lock_no_reply"`},
		{controller.LockRefused, http.StatusBadGateway, `"code":"lock_refused"`},
	}
	for _, tt := range tests {
		a.opener.lock = tt.lock
		status, body := a.do(t, http.MethodPost, "/api/v1/doors/main-gate/open", a.tokens["guard"], "")
		assert.Equal(t, tt.status, status, "%s: %s", tt.lock, body)
		assert.Contains(t, body, tt.body, tt.lock)
		if !tt.lock.Opened() {
			assert.NotContains(t, body, `"opened":true`, tt.lock)
		}
	}
}

// Wrong passwords from one address lock the account for that address only:
// a stranger cannot lock the owner out from elsewhere.
func TestLockoutCannotBeTurnedAgainstTheOwner(t *testing.T) {
	st, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	require.NoError(t, st.PutAccount("ada", store.RoleAdmin, pw))
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := New(Options{Auth: st, Audit: st, Now: func() time.Time { return now }})
	login := func(addr, password string) int {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/login", strings.NewReader(`{"name":"ada","password":"`+password+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = addr + ":40000"
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 30 {
		now = now.Add(7 * time.Second) // under the per-address rate limit
		status := login("10.9.9.9", "guess")
		if i < 10 {
			assert.Equal(t, http.StatusUnauthorized, status, "guess %d", i)
		} else {
			assert.Equal(t, http.StatusTooManyRequests, status, "guess %d: locked for this address", i)
		}
	}
	assert.Equal(t, http.StatusTooManyRequests, login("10.9.9.9", pw), "even the right password, from the guessing address")
	assert.Equal(t, http.StatusOK, login("10.0.0.5", pw), "the owner, from the gatehouse PC, signs in")
	now = now.Add(16 * time.Minute)
	assert.Equal(t, http.StatusOK, login("10.9.9.9", pw), "the lock ends after 15 minutes")
}
