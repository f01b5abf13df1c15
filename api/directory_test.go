package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/policy"
	"menwei/controller/store"
)

// directorySnapshot is everything a refused edit must leave as it was.
func directorySnapshot(t *testing.T, st *store.Store) map[string]*store.DirectoryPerson {
	t.Helper()
	p, err := st.DirectoryPeople()
	require.NoError(t, err)
	return p
}

// TestAJoinedGateRefusesDirectoryEdits: on a gate joined to an estate
// every edit of people, cards, biometrics, consents and visitors is
// refused with 409 directory_at_office and changes nothing; reading, the
// doors, pairing and the guard's own work stay.
func TestAJoinedGateRefusesDirectoryEdits(t *testing.T) {
	a := newTestServerFull(t, nil, func(o *Options, _ *store.Store) { o.DirectoryAtOffice = true })
	st := a.store
	require.NoError(t, st.AddCredential(store.Credential{Kind: policy.Card, Key: "h10301:1:1234", Identity: "li"}))
	now := time.Now().UTC()
	require.NoError(t, st.PutIdentity(store.Identity{ID: "guest", Kind: policy.Visitor, Name: "访客", Host: "li",
		Pass: &store.Pass{From: now, Until: now.Add(time.Hour)}}))
	before := directorySnapshot(t, st)
	admin, device := a.auth(store.RoleAdmin), a.auth(store.RoleDevice)
	tests := []struct{ family, method, path, token, body string }{
		{"residents", http.MethodPost, "/api/v1/residents", admin, `{"id":"wang","name":"王芳"}`},
		{"residents", http.MethodPut, "/api/v1/residents/li", admin, `{"id":"li","name":"李伟"}`},
		{"residents", http.MethodDelete, "/api/v1/residents/li", admin, ""},
		{"residents", http.MethodPost, "/api/v1/residents/import", admin, "id,name\nzhao,赵六\n"},
		{"cards", http.MethodPost, "/api/v1/residents/li/cards", admin, `{"card":"1:99"}`},
		{"cards", http.MethodDelete, "/api/v1/residents/li/cards", admin, `{"card":"1:1234"}`},
		{"blacklist", http.MethodPost, "/api/v1/residents/li/cards/blacklist", admin, `{"card":"1:1234"}`},
		{"blacklist", http.MethodDelete, "/api/v1/residents/li/cards/blacklist", admin, `{"card":"1:1234"}`},
		{"pin", http.MethodPut, "/api/v1/residents/li/pin", admin, `{"pin":"2468"}`},
		{"biometrics", http.MethodPost, "/api/v1/residents/li/face", admin, ""},
		{"biometrics", http.MethodPost, "/api/v1/residents/li/fingerprint", admin, `{"module":"fp1"}`},
		{"consents", http.MethodPost, "/api/v1/residents/li/consents", admin, `{"biometric":"face","text":"v1"}`},
		{"consents", http.MethodDelete, "/api/v1/residents/li/consents/face", admin, ""},
		{"erase", http.MethodPost, "/api/v1/residents/li/erase", admin, `{}`},
		{"visitors", http.MethodPost, "/api/v1/visitors", admin, `{"name":"访客","host":"li","hours":2}`},
		{"visitors", http.MethodPost, "/api/v1/visitors/guest/revoke", admin, ""},
		{"visitors", http.MethodDelete, "/api/v1/visitors/guest", admin, ""},
		{"phone invite", http.MethodPost, "/api/v1/phone/invite", device, `{"name":"朋友","hours":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.family+" "+tt.method+" "+tt.path, func(t *testing.T) {
			status, body := a.do(t, tt.method, tt.path, tt.token, tt.body)
			assert.Equal(t, http.StatusConflict, status, body)
			e := decode[map[string]APIError](t, body)["error"]
			assert.Equal(t, "directory_at_office", e.Code)
			assert.Contains(t, e.Message, "office")
			assert.Equal(t, before, directorySnapshot(t, st), "nothing changed")
		})
	}
	// Reading and the gate's own work stay local.
	for _, r := range []struct{ method, path, token, body string }{
		{http.MethodGet, "/api/v1/residents", admin, ""},
		{http.MethodGet, "/api/v1/residents/li", admin, ""},
		{http.MethodGet, "/api/v1/visitors", admin, ""},
		{http.MethodPost, "/api/v1/emergency", admin, `{"mode":"emergency_unlock"}`},
		{http.MethodPost, "/api/v1/doors/main-gate/mode", admin, `{"mode":"normal"}`},
		{http.MethodPost, "/api/v1/residents/li/pairing", admin, ""},
	} {
		status, body := a.do(t, r.method, r.path, r.token, r.body)
		assert.Less(t, status, 300, "%s %s: %s", r.method, r.path, body)
	}
	// Without a joined estate the same edit is made (the test can fail).
	b := newTestServer(t)
	status, body := b.do(t, http.MethodPost, "/api/v1/residents", b.auth(store.RoleAdmin), `{"id":"wang","name":"王芳"}`)
	assert.Equal(t, http.StatusCreated, status, body)
}
