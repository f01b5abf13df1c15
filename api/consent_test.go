package api

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/controller/policy"
	"menwei/controller/store"
)

// postFace uploads a resident's face photo, with the form's other fields.
func (a *testAPI) postFace(t *testing.T, id string, form map[string]string, photo []byte) (int, string) {
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
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/api/v1/residents/"+id+"/face", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+a.tokens["admin"])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (a *testAPI) faces(t *testing.T, id string) int {
	t.Helper()
	n := 0
	require.NoError(t, a.store.Faces(func(f store.FaceRecord) bool {
		if f.Identity == id {
			n++
		}
		return true
	}))
	return n
}

// A face is enrolled only with consent: refused without it (nothing
// stored), enrolled with the consent text the resident agreed to (the
// consent recorded with the account that took it, as an audit event);
// withdrawing deletes the face and records who; a visitor's consent is
// recorded with the guard who registered them.
func TestFaceEnrolmentNeedsConsent(t *testing.T) {
	a := newTestServer(t)
	status, body := a.postFace(t, "li", nil, []byte(fakeFace))
	assert.Equal(t, http.StatusConflict, status, body)
	assert.Contains(t, body, `"code":"consent_required"`)
	assert.Contains(t, body, "consent: face of li")
	assert.Zero(t, a.faces(t, "li"), "nothing stored")

	status, body = a.postFace(t, "li", map[string]string{"consent": "face-v9"}, []byte(fakeFace))
	assert.Equal(t, http.StatusBadRequest, status, body)
	assert.Contains(t, body, `"code":"bad_consent_text"`)
	cs, err := a.store.Consents("li")
	require.NoError(t, err)
	assert.Empty(t, cs, "a refused consent is not recorded")

	status, body = a.postFace(t, "li", map[string]string{"consent": "face-v1"}, []byte(fakeFace))
	require.Equal(t, http.StatusCreated, status, body)
	assert.Equal(t, 1, a.faces(t, "li"))
	status, body = a.do(t, http.MethodGet, "/api/v1/residents/li/consents", a.auth(store.RoleGuard), "")
	require.Equal(t, http.StatusOK, status, body)
	var list struct{ Consents []store.Consent }
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.Consents, 1)
	assert.Equal(t, "ada", list.Consents[0].Account, "taken by the signed-in admin")
	assert.Equal(t, "face-v1", list.Consents[0].Text)
	assert.Equal(t, policy.Face, list.Consents[0].Biometric)

	// A second face needs no new consent while it is in force.
	status, body = a.postFace(t, "li", nil, []byte(fakeFace))
	require.Equal(t, http.StatusCreated, status, body)
	assert.Equal(t, 2, a.faces(t, "li"))

	status, body = a.do(t, http.MethodDelete, "/api/v1/residents/li/consents/face", a.auth(store.RoleGuard), "")
	assert.Equal(t, http.StatusForbidden, status, "guards do not withdraw: %s", body)
	status, body = a.do(t, http.MethodDelete, "/api/v1/residents/li/consents/face", a.auth(store.RoleAdmin), "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"deleted":2`)
	assert.Zero(t, a.faces(t, "li"), "every face deleted")
	status, _ = a.do(t, http.MethodDelete, "/api/v1/residents/li/consents/face", a.auth(store.RoleAdmin), "")
	assert.Equal(t, http.StatusBadRequest, status, "already withdrawn")
	status, body = a.postFace(t, "li", nil, []byte(fakeFace))
	assert.Equal(t, http.StatusConflict, status, "no face after the withdrawal: %s", body)
	status, _ = a.do(t, http.MethodDelete, "/api/v1/residents/li/consents/iris", a.auth(store.RoleAdmin), "")
	assert.Equal(t, http.StatusBadRequest, status)

	// Consent through its own route, for a fingerprint.
	status, body = a.do(t, http.MethodPost, "/api/v1/residents/li/consents", a.auth(store.RoleAdmin), `{"biometric":"finger","text":"finger-v1"}`)
	require.Equal(t, http.StatusCreated, status, body)
	status, _ = a.do(t, http.MethodPost, "/api/v1/residents/li/consents", a.auth(store.RoleAdmin), `{"biometric":"finger","text":"face-v1"}`)
	assert.Equal(t, http.StatusBadRequest, status, "the face's text is not the fingerprint's")

	// A visitor: the guard who registers them takes the consent.
	status, body = a.postVisitor(t, map[string]string{"name": "Guest", "host": "li", "until": "2099-01-01T00:00:00Z", "consent": "face-v1"}, []byte(fakeFace))
	require.Equal(t, http.StatusCreated, status, body)
	var v struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	vc, err := a.store.Consents(v.ID)
	require.NoError(t, err)
	require.Len(t, vc, 1)
	assert.Equal(t, "gus", vc[0].Account)
	assert.Equal(t, 1, a.faces(t, v.ID))

	// The audit trail: who took and who withdrew each consent.
	evs, err := a.store.Events(controller.EventQuery{Limit: 1000})
	require.NoError(t, err)
	var audit []string
	for _, e := range evs {
		if e.Kind == controller.KindConsentGiven || e.Kind == controller.KindConsentWithdrawn {
			audit = append(audit, e.Kind+" "+e.Identity+" "+e.Detail)
		}
	}
	assert.Equal(t, []string{
		"consent.given li face consent, text face-v1 by ada",
		"consent.withdrawn li face consent withdrawn; biometric deleted by ada",
		"consent.given li finger consent, text finger-v1 by ada",
		"consent.given " + v.ID + " face consent, text face-v1 by gus",
	}, audit)
}
