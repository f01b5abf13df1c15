package api

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/controller/policy"
	"menwei/controller/store"
)

// postFace uploads a resident's face photo, with the form's other fields.
func (a *testAPI) postFace(t *testing.T, id string, form map[string]string, photo []byte) (int, string) {
	t.Helper()
	return a.postPhoto(t, "/api/v1/residents/"+id+"/face", store.RoleAdmin, form, photo)
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

// A resident's copy of their data: a zip with person.json (no secret: the
// card masked, no PIN, no token) and their face crops; taking it is an
// audit event with the account. Erasure then removes them and
// pseudonymises their events, and the event chain still verifies.
func TestPersonExportAndErasure(t *testing.T) {
	a := newTestServer(t)
	ctx := t.Context()
	require.NoError(t, a.store.AddCredential(store.Credential{Kind: policy.Card, Key: "1:4321", Identity: "li"}))
	require.NoError(t, a.store.SetPIN("li", "2580", false))
	ev, err := a.store.Append(ctx, controller.Event{Kind: controller.KindDenied, Identity: "li", Name: "Li Wei", Door: "main-gate", Reason: "liveness_too_low"})
	require.NoError(t, err)
	require.NoError(t, a.store.PutCrop(ev.Seq, []byte("\xff\xd8 a crop")))

	req, _ := http.NewRequest(http.MethodGet, a.URL+"/api/v1/residents/li/export", nil)
	req.Header.Set("Authorization", a.auth(store.RoleGuard))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "guards do not export a person")

	req.Header.Set("Authorization", a.auth(store.RoleAdmin))
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "application/zip", resp.Header.Get("Content-Type"))
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	require.NoError(t, err)
	files := map[string][]byte{}
	for _, f := range z.File {
		r, err := f.Open()
		require.NoError(t, err)
		files[f.Name], _ = io.ReadAll(r)
		r.Close()
	}
	require.Contains(t, files, "person.json")
	assert.Equal(t, []byte("\xff\xd8 a crop"), files[fmt.Sprintf("crops/%d.jpg", ev.Seq)])
	var doc PersonExport
	require.NoError(t, json.Unmarshal(files["person.json"], &doc))
	assert.Equal(t, "Li Wei", doc.Person.Identity.Name)
	assert.True(t, doc.Person.Identity.HasPIN)
	assert.Equal(t, "ada", doc.By)
	var cards []string
	for _, c := range doc.Person.Credentials {
		cards = append(cards, c.Card)
	}
	assert.Contains(t, cards, "h10301:…21", "the card masked")
	assert.NotContains(t, string(files["person.json"]), "4321", "never the card number")
	assert.NotContains(t, string(files["person.json"]), "argon", "never a PIN hash")
	assert.NotContains(t, string(files["person.json"]), `"secret"`)
	assert.Equal(t, []uint64{ev.Seq}, doc.Person.Crops)
	require.NotEmpty(t, doc.Person.Events)

	// Viewing a crop is an audit event too.
	status, _ := a.do(t, http.MethodGet, fmt.Sprintf("/api/v1/events/%d/crop", ev.Seq), a.auth(store.RoleGuard), "")
	require.Equal(t, http.StatusOK, status)

	status, body2 := a.do(t, http.MethodPost, "/api/v1/residents/li/erase", a.auth(store.RoleGuard), `{"confirm":"li"}`)
	assert.Equal(t, http.StatusForbidden, status, body2)
	status, body2 = a.do(t, http.MethodPost, "/api/v1/residents/li/erase", a.auth(store.RoleAdmin), `{"confirm":"wang"}`)
	assert.Equal(t, http.StatusBadRequest, status, "the confirmation names someone else: %s", body2)
	_, err = a.store.Identity("li")
	require.NoError(t, err, "nothing erased")
	status, body2 = a.do(t, http.MethodPost, "/api/v1/residents/li/erase", a.auth(store.RoleAdmin), `{"confirm":"li"}`)
	require.Equal(t, http.StatusOK, status, body2)
	_, err = a.store.Identity("li")
	assert.ErrorIs(t, err, store.ErrNotFound)
	n, err := a.store.VerifyChain()
	require.NoError(t, err, "the chain verifies after the erasure")
	assert.Positive(t, n)

	evs, err := a.store.Events(controller.EventQuery{Limit: 1000})
	require.NoError(t, err)
	var kinds []string
	for _, e := range evs {
		assert.NotEqual(t, "li", e.Identity, "%s still names li", e.Kind)
		assert.NotContains(t, e.Name, "Li Wei")
		if e.Kind == controller.KindPersonExported || e.Kind == controller.KindCropViewed || e.Kind == controller.KindPersonErased {
			kinds = append(kinds, e.Kind)
		}
	}
	assert.Equal(t, []string{controller.KindPersonExported, controller.KindCropViewed, controller.KindPersonErased}, kinds)
}

// The residents list says who consented to which biometric, who withdrew
// or declined, and how each enters without one.
func TestResidentsListShowsConsentAndWaysIn(t *testing.T) {
	a := newTestServer(t)
	require.NoError(t, a.store.PutIdentity(store.Identity{ID: "wang", Kind: policy.Resident, Name: "Wang Fang"}))
	require.NoError(t, a.store.AddCredential(store.Credential{Kind: policy.Card, Key: "1:55", Identity: "wang"}))
	require.NoError(t, a.store.GiveConsent(store.Consent{Identity: "li", Biometric: policy.Face, Text: "face-v1", Account: "ada"}))
	require.NoError(t, a.store.GiveConsent(store.Consent{Identity: "li", Biometric: policy.Finger, Text: "finger-v1", Account: "ada"}))
	_, _, err := a.store.WithdrawConsent("li", policy.Finger, "ada", time.Now())
	require.NoError(t, err)

	status, body := a.do(t, http.MethodGet, "/api/v1/residents", a.auth(store.RoleGuard), "")
	require.Equal(t, http.StatusOK, status, body)
	var page ResidentsPage
	require.NoError(t, json.Unmarshal([]byte(body), &page))
	got := map[string]PersonView{}
	for _, p := range page.People {
		got[p.ID] = p
	}
	assert.Equal(t, map[policy.Factor]string{policy.Face: "given", policy.Finger: "withdrawn"}, got["li"].Consent)
	assert.Contains(t, got["li"].WaysIn, policy.Phone, "li has a paired phone")
	assert.Empty(t, got["wang"].Consent, "wang declined both")
	assert.Equal(t, []policy.Factor{policy.Card}, got["wang"].WaysIn, "and enters by card")

	status, body = a.do(t, http.MethodGet, "/api/v1/residents/li", a.auth(store.RoleGuard), "")
	require.Equal(t, http.StatusOK, status, body)
	var one PersonView
	require.NoError(t, json.Unmarshal([]byte(body), &one))
	assert.Equal(t, "given", one.Consent[policy.Face], "one resident's page too")
}
