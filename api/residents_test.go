package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/controller/policy"
	"menwei/controller/store"
)

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(body), &v), body)
	return v
}

// The office finds residents by a part of the name, the flat, or a card
// number however it is written; guards see the list with masked cards.
func TestResidentsSearchAndPaging(t *testing.T) {
	a := newTestServer(t)
	office := a.officeLogin(t)
	for _, r := range []PersonRequest{
		{ID: "zhang-wei", Name: "张伟", Unit: "3-201", Phone: "138 0013 8000"},
		{ID: "wang-fang", Name: "王芳", Unit: "3-202"},
		{ID: "liu-yang", Name: "刘洋", Unit: "5-1101"},
	} {
		b, _ := json.Marshal(r)
		status, body := a.do(t, http.MethodPost, "/api/v1/residents", office, string(b))
		require.Equal(t, http.StatusCreated, status, body)
	}
	status, body := a.do(t, http.MethodPost, "/api/v1/residents/wang-fang/cards", office, `{"card":"0012345678","format":"8h10d","bits":34}`)
	require.Equal(t, http.StatusCreated, status, body)
	cv := decode[CardView](t, body)
	assert.Equal(t, "h10306:188:24910", cv.Key)
	assert.Equal(t, "0012345678", cv.Forms.Dec10)
	assert.Equal(t, "188,24910", cv.Forms.W26)
	status, body = a.do(t, http.MethodPost, "/api/v1/residents/liu-yang/cards", office, `{"card":"003,45678","format":"w26"}`)
	require.Equal(t, http.StatusCreated, status, body)

	search := func(token, q string, extra string) ResidentsPage {
		t.Helper()
		status, body := a.do(t, http.MethodGet, "/api/v1/residents?q="+url.QueryEscape(q)+extra, token, "")
		require.Equal(t, http.StatusOK, status, body)
		return decode[ResidentsPage](t, body)
	}
	ids := func(p ResidentsPage) []string {
		var out []string
		for _, v := range p.People {
			out = append(out, v.ID)
		}
		return out
	}
	assert.Equal(t, []string{"zhang-wei"}, ids(search(office, "张", "")), "by name")
	assert.Equal(t, []string{"zhang-wei", "wang-fang"}, ids(search(office, "3-20", "")), "by flat, ordered by flat")
	assert.Equal(t, []string{"wang-fang"}, ids(search(office, "0012345678", "")), "by the printed number")
	assert.Equal(t, []string{"wang-fang"}, ids(search(office, "00BC614E", "")), "by hex")
	assert.Equal(t, []string{"wang-fang"}, ids(search(office, "188,24910", "")), "by facility,card: the W34 card too")
	assert.Equal(t, []string{"liu-yang"}, ids(search(office, "003,45678", "")))
	assert.Equal(t, []string{"liu-yang"}, ids(search(office, "0000242286", "")), "the 10 digits of a card kept from a W26 frame (3<<16|45678)")
	assert.Equal(t, []string{"liu-yang"}, ids(search(office, "h10301:3:45678", "")))
	assert.Empty(t, ids(search(office, "9999999999", "")))

	all := search(office, "", "&limit=2")
	assert.Equal(t, 4, all.Total, "Li Wei too")
	assert.Len(t, all.People, 2)
	next := search(office, "", "&limit=2&offset=2")
	assert.Len(t, next.People, 2)
	assert.NotEqual(t, ids(all), ids(next))
	assert.Empty(t, search(office, "", "&offset=10").People)

	got := search(office, "王芳", "").People[0]
	require.Len(t, got.CardList, 1)
	assert.Equal(t, "h10306:188:24910", got.CardList[0].Key, "the office sees the number")
	guard := search(a.tokens["guard"], "王芳", "").People[0]
	require.Len(t, guard.CardList, 1)
	assert.Empty(t, guard.CardList[0].Key, "a guard sees the card masked")
	assert.Equal(t, "h10306:…10", guard.CardList[0].Hint)
	assert.Equal(t, got.CardList[0].Ref, guard.CardList[0].Ref)
	raw, _ := json.Marshal(guard)
	assert.NotContains(t, string(raw), "24910")

	for _, bad := range []string{"limit=0", "limit=501", "offset=-1", "limit=x", "q=%01"} {
		status, body := a.do(t, http.MethodGet, "/api/v1/residents?"+bad, office, "")
		assert.Equal(t, http.StatusBadRequest, status, bad)
		assert.Contains(t, body, `"code":"bad_`, bad)
	}
}

// Cards are entered in the installers' forms; a refusal names the field
// and changes nothing; a card is removed or blacklisted by its ref.
func TestCardFormsAndRefs(t *testing.T) {
	a := newTestServer(t)
	office := a.officeLogin(t)
	path := "/api/v1/residents/li/cards"
	for _, tt := range []struct{ body, field string }{
		{`{"card":"12345678901","format":"8h10d"}`, "card:"},
		{`{"card":"256,1","format":"w26"}`, "card:"},
		{`{"card":"003,45678","format":"w26","bits":34}`, "bits:"},
		{`{"card":"0012345678","format":"8h10d","bits":37}`, "bits:"},
		{`{"card":"1","format":"6h8d"}`, "format:"},
		{`{"card":"1:2","bits":26}`, "bits:"},
		{`{"card":"nonsense"}`, "card:"},
		{`{"card":""}`, "card:"},
		{`{"card":"1:2","ref":"abc"}`, "ref:"},
	} {
		status, body := a.do(t, http.MethodPost, path, office, tt.body)
		assert.Equal(t, http.StatusBadRequest, status, tt.body)
		assert.Contains(t, body, `"message":"`+tt.field, tt.body)
	}
	creds, err := a.store.Credentials("li")
	require.NoError(t, err)
	for _, c := range creds {
		assert.NotEqual(t, policy.Card, c.Kind, "no card was added")
	}

	status, body := a.do(t, http.MethodPost, path, office, `{"card":"00BC614E","format":"hex"}`)
	require.Equal(t, http.StatusCreated, status, body)
	cv := decode[CardView](t, body)
	assert.Equal(t, "h10301:188:24910", cv.Key, "26 bits by default")
	c, owner, err := a.store.Lookup(policy.Card, "h10301:188:24910")
	require.NoError(t, err)
	assert.Equal(t, "li", owner.ID)
	assert.False(t, c.Blacklisted)

	require.NoError(t, a.store.PutIdentity(store.Identity{ID: "wu", Kind: policy.Resident, Name: "Wu"}))
	status, body = a.do(t, http.MethodPost, "/api/v1/residents/wu/cards", office, `{"card":"188,24910","format":"w26"}`)
	assert.Equal(t, http.StatusConflict, status, "Li's card, written another way: %s", body)
	status, _ = a.do(t, http.MethodPost, "/api/v1/residents/nobody/cards", office, `{"card":"1:5"}`)
	assert.Equal(t, http.StatusNotFound, status)

	// A guard blacklists it by ref, without knowing the number.
	status, body = a.do(t, http.MethodPost, path+"/blacklist", a.tokens["guard"], `{"ref":"`+cv.Ref+`"}`)
	require.Equal(t, http.StatusNoContent, status, body)
	c, _, _ = a.store.Lookup(policy.Card, "h10301:188:24910")
	assert.True(t, c.Blacklisted)
	status, _ = a.do(t, http.MethodPost, "/api/v1/residents/wu/cards/blacklist", a.tokens["guard"], `{"ref":"`+cv.Ref+`"}`)
	assert.Equal(t, http.StatusNotFound, status, "a ref names one of the person's own cards")
	status, _ = a.do(t, http.MethodPost, path+"/blacklist", a.tokens["guard"], `{"ref":"000000000000"}`)
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = a.do(t, http.MethodPost, path+"/blacklist", a.tokens["guard"], `{"ref":"`+cv.Ref+`","card":"1:1"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = a.do(t, http.MethodDelete, path, a.tokens["guard"], `{"ref":"`+cv.Ref+`"}`)
	assert.Equal(t, http.StatusForbidden, status, "a guard does not remove cards")
	status, body = a.do(t, http.MethodDelete, path, office, `{"ref":"`+cv.Ref+`"}`)
	require.Equal(t, http.StatusNoContent, status, body)
	_, _, err = a.store.Lookup(policy.Card, "h10301:188:24910")
	assert.ErrorIs(t, err, store.ErrNotFound)

	evs, err := a.store.Events(controller.EventQuery{Limit: 100})
	require.NoError(t, err)
	raw, _ := json.Marshal(evs)
	assert.NotContains(t, string(raw), "24910", "no card number in the audit trail")
	assert.NotContains(t, string(raw), "BC614E")
}

// A card captured at a reader comes back in every form, with its owner if
// it has one; no card in time is a 504 the page can say as a sentence.
func TestCaptureCardRoute(t *testing.T) {
	a := newTestServer(t)
	office := a.officeLogin(t)
	a.capt.card = "h10306:188:24910"
	status, body := a.do(t, http.MethodPost, "/api/v1/readers/gate-reader/capture?reader=1&wait=5", office, "")
	require.Equal(t, http.StatusOK, status, body)
	r := decode[CaptureReply](t, body)
	assert.Equal(t, "h10306:188:24910", r.Key)
	assert.Equal(t, "0012345678", r.Forms.Dec10)
	assert.Empty(t, r.Owner)
	assert.Equal(t, "gate-reader/1/5s", a.capt.readers[len(a.capt.readers)-1])

	require.NoError(t, a.store.AddCredential(store.Credential{Kind: policy.Card, Key: "h10306:188:24910", Identity: "li"}))
	_, body = a.do(t, http.MethodPost, "/api/v1/readers/gate-reader/capture", office, "")
	r = decode[CaptureReply](t, body)
	assert.Equal(t, "li", r.Owner)
	assert.Equal(t, "Li Wei", r.OwnerName)
	assert.Equal(t, "gate-reader/0/20s", a.capt.readers[len(a.capt.readers)-1], "reader 0, 20 s by default")

	a.capt.card = ""
	status, body = a.do(t, http.MethodPost, "/api/v1/readers/gate-reader/capture?wait=1", office, "")
	assert.Equal(t, http.StatusGatewayTimeout, status)
	assert.Contains(t, body, "capture_timeout")
	status, body = a.do(t, http.MethodPost, "/api/v1/readers/nowhere/capture", office, "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, body, "name:")
	for _, q := range []string{"wait=0", "wait=61", "reader=256", "reader=x"} {
		status, _ := a.do(t, http.MethodPost, "/api/v1/readers/gate-reader/capture?"+q, office, "")
		assert.Equal(t, http.StatusBadRequest, status, q)
	}
	status, _ = a.do(t, http.MethodPost, "/api/v1/readers/gate-reader/capture", a.tokens["guard"], "")
	assert.Equal(t, http.StatusForbidden, status)
}

// A resident's phones with their last use; revoking one keeps it listed
// as revoked, and it opens nothing.
func TestPhonesListAndLastUse(t *testing.T) {
	a := newTestServer(t)
	office := a.officeLogin(t)
	list := func(token string) []DeviceView {
		t.Helper()
		status, body := a.do(t, http.MethodGet, "/api/v1/residents/li/devices", token, "")
		require.Equal(t, http.StatusOK, status, body)
		return decode[struct {
			Devices []DeviceView `json:"devices"`
		}](t, body).Devices
	}
	ds := list(office)
	require.Len(t, ds, 1)
	assert.Nil(t, ds[0].LastUsed, "never used")
	assert.Equal(t, "test phone", ds[0].Name)
	before := time.Now()
	status, body := a.do(t, http.MethodPost, "/api/v1/doors/main-gate/open", a.auth(store.RoleDevice), "")
	require.Equal(t, http.StatusOK, status, body)
	ds = list(a.tokens["guard"])
	require.NotNil(t, ds[0].LastUsed)
	assert.False(t, ds[0].LastUsed.Before(before.Add(-time.Second)))
	raw, _ := json.Marshal(ds)
	assert.NotContains(t, string(raw), "secret")

	status, _ = a.do(t, http.MethodDelete, "/api/v1/devices/"+ds[0].ID, office, "")
	require.Equal(t, http.StatusNoContent, status)
	ds = list(office)
	require.Len(t, ds, 1)
	assert.True(t, ds[0].Revoked)
	status, _ = a.do(t, http.MethodPost, "/api/v1/doors/main-gate/open", a.auth(store.RoleDevice), "")
	assert.Equal(t, http.StatusUnauthorized, status, "a revoked phone is no one")
	status, _ = a.do(t, http.MethodGet, "/api/v1/residents/nobody/devices", office, "")
	assert.Equal(t, http.StatusNotFound, status)
}

// Editing a resident: every field kept, a bad one named, a schedule must
// exist; the office changes people but opens no door.
func TestResidentEditAndOfficeLimits(t *testing.T) {
	a := newTestServer(t)
	office := a.officeLogin(t)
	require.NoError(t, a.store.PutSchedule(store.Schedule{ID: "day", Name: "白天", Periods: []string{"mon-sun 06:00-22:00"}}))
	status, body := a.do(t, http.MethodPut, "/api/v1/residents/li", office,
		`{"name":"李伟","unit":"3-201","phone":"+86 138 0013 8000","groups":["building-3"],"schedule":"day"}`)
	require.Equal(t, http.StatusOK, status, body)
	li, err := a.store.Identity("li")
	require.NoError(t, err)
	assert.Equal(t, store.Identity{ID: "li", Kind: policy.Resident, Name: "李伟", Unit: "3-201", Phone: "+86 138 0013 8000",
		Groups: []string{"building-3"}, Schedule: "day", Created: li.Created}, li)

	for _, tt := range []struct{ body, field string }{
		{`{"name":"李伟","phone":"call me"}`, "phone"},
		{`{"name":"李伟","schedule":"night"}`, "schedule"},
		{`{"name":""}`, "name"},
		{`{"name":"李伟","groups":["a b"]}`, "group"},
		{`{"name":"李\u0007伟"}`, "name"},
	} {
		status, body := a.do(t, http.MethodPut, "/api/v1/residents/li", office, tt.body)
		assert.Equal(t, http.StatusBadRequest, status, tt.body)
		assert.Contains(t, body, tt.field, tt.body)
	}
	after, _ := a.store.Identity("li")
	assert.Equal(t, li, after, "a refused change changes nothing")

	status, body = a.do(t, http.MethodGet, "/api/v1/schedules", office, "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"id":"day"`)

	require.NoError(t, a.store.PutIdentity(store.Identity{ID: "v1", Kind: policy.Visitor, Name: "Guest",
		Pass: &store.Pass{From: time.Now(), Until: time.Now().Add(time.Hour)}}))
	status, _ = a.do(t, http.MethodPut, "/api/v1/residents/v1", office, `{"name":"x"}`)
	assert.Equal(t, http.StatusNotFound, status, "a visitor is not changed into a resident")
	status, _ = a.do(t, http.MethodGet, "/api/v1/residents/v1", office, "")
	assert.Equal(t, http.StatusNotFound, status)

	opened := len(a.opener.opened)
	status, _ = a.do(t, http.MethodPost, "/api/v1/doors/main-gate/open", office, "")
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = a.do(t, http.MethodPost, "/api/v1/emergency", office, `{"mode":"emergency_unlock"}`)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, opened, len(a.opener.opened))
	status, _ = a.do(t, http.MethodGet, "/api/v1/events", office, "")
	assert.Equal(t, http.StatusOK, status, "the office reads events")
	status, _ = a.do(t, http.MethodPut, "/api/v1/residents/li", a.tokens["guard"], `{"name":"x"}`)
	assert.Equal(t, http.StatusForbidden, status, "a guard sees residents but does not change them")
	status, body = a.do(t, http.MethodGet, "/api/v1/session", office, "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `"role":"office"`)
}
