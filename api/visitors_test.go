package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/biometric/faceindex"
	"menwei/controller/policy"
	"menwei/controller/store"
)

// faceEnroller reads a photo's "descriptor" from its first byte (photos
// with the same first byte are the same face), stores faces in the store
// and searches them by brute force, as the real index would answer.
type faceEnroller struct{ fakeEnroller }

func descriptorOf(photo []byte) [128]float32 {
	var d [128]float32
	d[int(photo[0])%128] = 1
	return d
}

func (f *faceEnroller) FaceOf(_ context.Context, photo []byte) ([128]float32, error) {
	return descriptorOf(photo), nil
}

func (f *faceEnroller) EnrollDescriptor(identity, id string, d [128]float32) error {
	return f.s.PutFace(store.FaceRecord{Identity: identity, ID: id, Vector: d})
}

func (f *faceEnroller) SameFace(d [128]float32) (string, bool) {
	who := ""
	_ = f.s.Faces(func(r store.FaceRecord) bool {
		if faceindex.Distance(r.Vector, d) < 0.5 {
			who = r.Identity
			return false
		}
		return true
	})
	return who, who != ""
}

func newFaceServer(t *testing.T) *testAPI {
	return newTestServerWith(t, func(s *store.Store) Enroller { return &faceEnroller{fakeEnroller{s}} })
}

func (a *testAPI) visitors(t *testing.T, query string) VisitorsPage {
	t.Helper()
	status, body := a.do(t, http.MethodGet, "/api/v1/visitors"+query, a.tokens["guard"], "")
	require.Equal(t, http.StatusOK, status, body)
	var p VisitorsPage
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	return p
}

// The same face registered twice: the second registration succeeds and
// its answer names the first visitor; a different face gets no warning.
func TestVisitorSameFaceWarning(t *testing.T) {
	a := newFaceServer(t)
	form := func(name string) map[string]string {
		return map[string]string{"name": name, "host": "li", "until": time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "consent": "face-v1"}
	}
	var first, second, other VisitorReply
	status, body := a.postVisitor(t, form("张三"), []byte{7, 1})
	require.Equal(t, http.StatusCreated, status, body)
	require.NoError(t, json.Unmarshal([]byte(body), &first))
	assert.Nil(t, first.Warning)
	status, body = a.postVisitor(t, form("张三丰"), []byte{7, 2})
	require.Equal(t, http.StatusCreated, status, body)
	require.NoError(t, json.Unmarshal([]byte(body), &second))
	require.NotNil(t, second.Warning, "the same face")
	assert.Equal(t, FaceWarning{Code: "same_face", Identity: first.ID, Name: "张三", Kind: policy.Visitor, State: PassActive}, *second.Warning)
	status, body = a.postVisitor(t, form("李四"), []byte{9})
	require.Equal(t, http.StatusCreated, status, body)
	require.NoError(t, json.Unmarshal([]byte(body), &other))
	assert.Nil(t, other.Warning, "another face")
	assert.Equal(t, []string{"li"}, a.lastEvent(t, "visitor.registered").Mentions, "the audit event names the host")
	_, err := a.store.Identity(second.ID)
	assert.NoError(t, err, "registered despite the warning")
}

// Revoking keeps the visitor's record (revoked, with its uses), deletes
// their faces, and is refused twice; the list filters by state and pages.
func TestVisitorRevokeAndList(t *testing.T) {
	a := newFaceServer(t)
	var ids []string
	for i, name := range []string{"甲", "乙", "丙"} {
		status, body := a.postVisitor(t, map[string]string{"name": name, "host": "li", "uses": "2", "consent": "face-v1",
			"from":  time.Now().Add(time.Duration(i-3) * time.Minute).UTC().Format(time.RFC3339),
			"until": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, []byte{byte(i)})
		require.Equal(t, http.StatusCreated, status, body)
		var v VisitorReply
		require.NoError(t, json.Unmarshal([]byte(body), &v))
		ids = append(ids, v.ID)
	}
	require.NoError(t, a.store.UsePass(ids[0]))
	// One of Li's phone invitations is a visitor too, with its doors.
	status, body := a.do(t, http.MethodPost, "/api/v1/phone/invite", a.auth(store.RoleDevice), `{"name":"丁","hours":2,"uses":1,"doors":["main-gate"]}`)
	require.Equal(t, http.StatusCreated, status, body)
	var inv VisitorReply
	require.NoError(t, json.Unmarshal([]byte(body), &inv))
	assert.Equal(t, []string{"main-gate"}, inv.Pass.Doors)
	status, body = a.do(t, http.MethodPost, "/api/v1/phone/invite", a.auth(store.RoleDevice), `{"name":"戊","hours":2,"doors":["moon-gate"]}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, body, `doors: no door \"moon-gate\"`)

	p := a.visitors(t, "")
	require.Equal(t, 4, p.Total)
	assert.Equal(t, inv.ID, p.People[0].ID, "newest pass first")
	assert.Equal(t, "Li Wei", p.People[0].HostName)
	assert.Equal(t, ids[0], p.People[3].ID)
	assert.Equal(t, 1, p.People[3].Pass.Uses)

	status, body = a.do(t, http.MethodPost, "/api/v1/visitors/"+ids[0]+"/revoke", a.tokens["guard"], "")
	require.Equal(t, http.StatusOK, status, body)
	v, err := a.store.Identity(ids[0])
	require.NoError(t, err, "the record stays")
	require.NotNil(t, v.Pass.Revoked)
	assert.Equal(t, "gus", v.Pass.RevokedBy)
	assert.Equal(t, 1, v.Pass.Uses, "its uses stay")
	faces := 0
	require.NoError(t, a.store.Faces(func(r store.FaceRecord) bool {
		if r.Identity == ids[0] {
			faces++
		}
		return true
	}))
	assert.Zero(t, faces, "the revoked visitor's face is deleted")
	e := a.lastEvent(t, "visitor.revoked")
	assert.Equal(t, "gus", e.Account)
	assert.Equal(t, ids[0], e.Identity)
	status, body = a.do(t, http.MethodPost, "/api/v1/visitors/"+ids[0]+"/revoke", a.tokens["guard"], "")
	assert.Equal(t, http.StatusConflict, status)
	assert.Equal(t, "already_revoked", errCode(t, body))
	status, _ = a.do(t, http.MethodPost, "/api/v1/visitors/li/revoke", a.tokens["guard"], "")
	assert.Equal(t, http.StatusNotFound, status, "a resident has no pass to revoke")
	li, err := a.store.Identity("li")
	require.NoError(t, err)
	assert.Nil(t, li.Pass)
	// A revoked pass stays revoked when the record is written again.
	v.Pass.Revoked = nil
	require.NoError(t, a.store.PutIdentity(v))
	v, err = a.store.Identity(ids[0])
	require.NoError(t, err)
	assert.NotNil(t, v.Pass.Revoked)

	past := a.visitors(t, "?state=past")
	require.Equal(t, 1, past.Total)
	assert.Equal(t, ids[0], past.People[0].ID)
	assert.Equal(t, PassRevoked, past.People[0].State)
	current := a.visitors(t, "?state=current")
	assert.Equal(t, 3, current.Total)
	for _, v := range current.People {
		assert.Equal(t, PassActive, v.State)
	}
	paged := a.visitors(t, "?limit=2&offset=2")
	assert.Equal(t, 4, paged.Total)
	require.Len(t, paged.People, 2)
	assert.Equal(t, ids[1], paged.People[0].ID)
	assert.Equal(t, 1, a.visitors(t, "?q=乙").Total)
	for _, q := range []string{"?state=gone", "?limit=0", "?limit=501", "?offset=-1"} {
		status, body := a.do(t, http.MethodGet, "/api/v1/visitors"+q, a.tokens["guard"], "")
		assert.Equal(t, http.StatusBadRequest, status, q)
		assert.Equal(t, "bad_query", errCode(t, body), q)
	}
}

// The phone page's own routes: who the phone belongs to, and unpairing
// from the phone, which revokes its credential on the server.
func TestPhoneMeAndUnpair(t *testing.T) {
	a := newTestServer(t)
	require.NoError(t, a.store.PutIdentity(store.Identity{ID: "li", Kind: policy.Resident, Name: "李伟", Unit: "3-201"}))
	status, body := a.do(t, http.MethodGet, "/api/v1/phone/me", a.auth(store.RoleDevice), "")
	require.Equal(t, http.StatusOK, status, body)
	var me PhoneMe
	require.NoError(t, json.Unmarshal([]byte(body), &me))
	assert.Equal(t, "李伟", me.Name)
	assert.Equal(t, "3-201", me.Unit)
	assert.NotEmpty(t, me.Device)
	status, _ = a.do(t, http.MethodGet, "/api/v1/phone/me", a.tokens["guard"], "")
	assert.Equal(t, http.StatusForbidden, status, "a guard is not a phone")

	status, body = a.do(t, http.MethodDelete, "/api/v1/phone/device", a.auth(store.RoleDevice), "")
	require.Equal(t, http.StatusNoContent, status, body)
	status, _ = a.do(t, http.MethodGet, "/api/v1/phone/doors", a.auth(store.RoleDevice), "")
	assert.Equal(t, http.StatusUnauthorized, status, "the credential is refused at once")
	status, _ = a.do(t, http.MethodPost, "/api/v1/doors/main-gate/open", a.auth(store.RoleDevice), "")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Empty(t, a.opener.opened, "nothing opened")
	creds, err := a.store.Credentials("li")
	require.NoError(t, err)
	for _, c := range creds {
		assert.NotEqual(t, policy.Phone, c.Kind, "the phone credential is gone")
	}
	e := a.lastEvent(t, "device.unpaired")
	assert.Equal(t, "li", e.Identity)
	assert.Empty(t, e.Account, "a phone is not a console account")
	assert.NotContains(t, e.Detail, a.tokens[store.RoleDevice])
}
