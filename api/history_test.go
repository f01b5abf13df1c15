package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/controller/alarms"
	"menwei/controller/door"
	"menwei/controller/store"
)

func (a *testAPI) page(t *testing.T, query string) EventsPage {
	t.Helper()
	status, body := a.do(t, http.MethodGet, "/api/v1/events?"+query, a.tokens["guard"], "")
	require.Equal(t, http.StatusOK, status, body)
	var p EventsPage
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	return p
}

func seqsOf(evs []Event) []uint64 {
	out := []uint64{}
	for _, e := range evs {
		out = append(out, e.Seq)
	}
	return out
}

// The history's filters (door, person, result, kind families, time range)
// on the list and the export, checked against the events appended; a bad
// filter is refused naming it.
func TestEventFilters(t *testing.T) {
	a := newTestServer(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	add := func(e controller.Event, min int) uint64 {
		e.Time = t0.Add(time.Duration(min) * time.Minute)
		got, err := a.store.Append(ctx, e)
		require.NoError(t, err)
		return got.Seq
	}
	g1 := add(controller.Event{Kind: controller.KindGranted, Door: "east", Identity: "li", Name: "Li Wei"}, 0)
	d1 := add(controller.Event{Kind: controller.KindDenied, Door: "east", Reason: "unknown_card"}, 10)
	g2 := add(controller.Event{Kind: controller.KindGranted, Door: "west", Identity: "wang", Name: "王芳"}, 20)
	o1 := add(controller.Event{Kind: controller.KindDoorOpened, Door: "east"}, 30)
	c1 := add(controller.Event{Kind: controller.KindDoorClosed, Door: "east"}, 40)
	d2 := add(controller.Event{Kind: controller.KindDenied, Door: "west", Identity: "li", Name: "Li Wei", Reason: "not_allowed_at_door"}, 50)

	for q, want := range map[string][]uint64{
		"door=east&kind=access.*,door.*": {g1, d1, o1, c1},
		"result=granted":                 {g1, g2},
		"result=denied&door=west":        {d2},
		"person=li":                      {g1, d2},
		"person=" + url.QueryEscape("王"): {g2},
		"person=" + url.QueryEscape("li wei") + "&result=granted": {g1},
		"kind=door.*":                            {o1, c1},
		"kind=door.opened,door.closed&door=east": {o1, c1},
		"result=granted&kind=door.*":             {}, // nothing can match
		"since=" + url.QueryEscape(t0.Add(10*time.Minute).Format(time.RFC3339)) + "&until=" + url.QueryEscape(t0.Add(40*time.Minute).Format(time.RFC3339)) + "&door=east": {d1, o1},
	} {
		p := a.page(t, q)
		assert.Equal(t, want, seqsOf(p.Events), q)
		assert.False(t, p.More, q)
		// The newest first: the same, reversed.
		p = a.page(t, q+"&order=desc")
		rev := make([]uint64, len(want))
		for i, s := range want {
			rev[len(want)-1-i] = s
		}
		assert.Equal(t, rev, seqsOf(p.Events), q+" desc")

		// The export applies the same filters.
		status, body := a.do(t, http.MethodGet, "/api/v1/events/export?format=csv&"+q, a.tokens["guard"], "")
		require.Equal(t, http.StatusOK, status, body)
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		require.NoError(t, err)
		var got []uint64
		for _, r := range rows[1:] {
			var s uint64
			require.NoError(t, json.Unmarshal([]byte(r[0]), &s))
			got = append(got, s)
		}
		if got == nil {
			got = []uint64{}
		}
		assert.Equal(t, want, got, "export "+q)
	}

	// Paging the newest first by two: every denied event once.
	p := a.page(t, "result=denied&order=desc&limit=1")
	require.Equal(t, []uint64{d2}, seqsOf(p.Events))
	assert.True(t, p.More)
	p = a.page(t, "result=denied&order=desc&limit=1&before="+jsonNum(p.Next))
	require.Equal(t, []uint64{d1}, seqsOf(p.Events))

	for q, field := range map[string]string{
		"result=maybe": "result",
		"since=" + url.QueryEscape(t0.Format(time.RFC3339)) + "&until=" + url.QueryEscape(t0.Format(time.RFC3339)): "until",
		"since=yesterday":  "since",
		"person=%01x":      "person",
		"kind=door.%0aone": "kind",
	} {
		for _, path := range []string{"/api/v1/events?", "/api/v1/events/export?format=csv&"} {
			status, body := a.do(t, http.MethodGet, path+q, a.tokens["guard"], "")
			assert.Equal(t, http.StatusBadRequest, status, q)
			assert.Contains(t, body, `"message":"`+field, q)
		}
	}
}

func jsonNum(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// An exported CSV never starts a cell with a formula character.
func TestExportEscapesFormulas(t *testing.T) {
	a := newTestServer(t)
	_, err := a.store.Append(context.Background(), controller.Event{Kind: controller.KindDenied, Door: "main-gate", Name: `=HYPERLINK("http://evil","x")`, Detail: "+1 call", Reason: "@x"})
	require.NoError(t, err)
	status, body := a.do(t, http.MethodGet, "/api/v1/events/export?format=csv&result=denied", a.tokens["guard"], "")
	require.Equal(t, http.StatusOK, status)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, `'=HYPERLINK("http://evil","x")`, rows[1][6])
	assert.Equal(t, "'@x", rows[1][12])
	assert.Equal(t, "'+1 call", rows[1][13])
}

// bookAlarms is the controller's alarm panel without a controller: a book
// following the store's log.
type bookAlarms struct {
	b  *alarms.Book
	st *store.Store
}

func (x bookAlarms) Alarms() ([]controller.Alarm, bool) { return x.b.Open() }
func (x bookAlarms) AckAlarm(ctx context.Context, seq uint64, account, note string) (controller.Event, error) {
	return x.b.Ack(ctx, x.st, seq, account, note, time.Now())
}

// alarmServer serves the store in dir with an alarm book, signed in as
// the guard gus; stop closes everything.
func alarmServer(t *testing.T, dir string, first bool) (a *testAPI, stop func()) {
	st, err := store.Open(store.Options{Dir: dir})
	require.NoError(t, err)
	if first {
		require.NoError(t, st.PutAccount("gus", store.RoleGuard, pw))
	}
	b := alarms.NewBook()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Follow(ctx, st) }()
	srv := httptest.NewServer(New(Options{Events: st, Auth: st, Audit: st, Alarms: bookAlarms{b, st}, Doors: &fakeDoors{modes: map[string]door.Mode{}}}).Handler())
	a = &testAPI{Server: srv, store: st, tokens: map[string]string{}}
	status, body := a.do(t, http.MethodPost, "/api/v1/login", "", `{"name":"gus","password":"`+pw+`"}`)
	require.Equal(t, http.StatusOK, status, body)
	var r LoginReply
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	a.tokens["guard"] = r.Token
	require.Eventually(t, func() bool { s, _ := a.do(t, http.MethodGet, "/api/v1/alarms", r.Token, ""); return s == http.StatusOK }, 5*time.Second, 5*time.Millisecond)
	return a, func() { srv.Close(); cancel(); require.NoError(t, <-done); require.NoError(t, st.Close()) }
}

func (a *testAPI) alarms(t *testing.T) AlarmsReply {
	t.Helper()
	status, body := a.do(t, http.MethodGet, "/api/v1/alarms", a.tokens["guard"], "")
	require.Equal(t, http.StatusOK, status, body)
	var r AlarmsReply
	require.NoError(t, json.Unmarshal([]byte(body), &r))
	return r
}

// Alarms are listed until a guard acknowledges them with a note; the
// acknowledgement is an event naming the alarm, the guard and the note;
// refusals record nothing; the open alarms are the same after the server
// restarts on the same store.
func TestAlarmAckAndRestart(t *testing.T) {
	dir := t.TempDir()
	a, stop := alarmServer(t, dir, true)
	ctx := context.Background()
	forced, err := a.store.Append(ctx, controller.Event{Kind: controller.KindForcedOpen, Door: "main-gate", Alarm: true})
	require.NoError(t, err)
	_, err = a.store.Append(ctx, controller.Event{Kind: "alert.door_forced", Door: "main-gate", Alarm: true})
	require.NoError(t, err)
	tamper, err := a.store.Append(ctx, controller.Event{Kind: controller.KindPDTamper, PD: "gate-reader", Alarm: true})
	require.NoError(t, err)
	closed, err := a.store.Append(ctx, controller.Event{Kind: controller.KindDoorClosed, Door: "main-gate"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return a.alarms(t).Total == 2 }, 5*time.Second, 5*time.Millisecond)
	r := a.alarms(t)
	assert.Equal(t, []uint64{tamper.Seq, forced.Seq}, []uint64{r.Alarms[0].Event.Seq, r.Alarms[1].Event.Seq}, "newest first, one per incident")
	require.NotNil(t, r.Alarms[1].Cleared, "the door closed again: shown, still open")
	assert.Equal(t, closed.Seq, r.Alarms[1].Cleared.Seq)
	assert.Nil(t, r.Alarms[0].Cleared)

	head := func() uint64 {
		evs, err := a.store.Events(controller.EventQuery{Newest: true, Limit: 1})
		require.NoError(t, err)
		return evs[0].Seq
	}
	before := head()
	path := "/api/v1/alarms/" + jsonNum(forced.Seq) + "/ack"
	for body, want := range map[string][2]string{
		`{}`:             {"note_required", "note"},
		`{"note":"   "}`: {"note_required", "note"},
		`{"note":"` + strings.Repeat("长", 201) + `"}`: {"bad_request", "note"},
		`{"note":"x\u0007"}`:                          {"bad_request", "note"},
		`{"note":"x","extra":1}`:                      {"bad_request", "extra"},
	} {
		status, resp := a.do(t, http.MethodPost, path, a.tokens["guard"], body)
		assert.Equal(t, http.StatusBadRequest, status, body)
		assert.Contains(t, resp, `"code":"`+want[0]+`"`, body)
		assert.Contains(t, resp, want[1], body)
	}
	for p, want := range map[string]int{
		"/api/v1/alarms/" + jsonNum(closed.Seq) + "/ack":   http.StatusConflict, // not an alarm
		"/api/v1/alarms/" + jsonNum(forced.Seq+1) + "/ack": http.StatusConflict, // the watcher's copy
		"/api/v1/alarms/99999/ack":                         http.StatusNotFound,
		"/api/v1/alarms/abc/ack":                           http.StatusBadRequest,
	} {
		status, resp := a.do(t, http.MethodPost, p, a.tokens["guard"], `{"note":"looked"}`)
		assert.Equal(t, want, status, "%s: %s", p, resp)
	}
	status, _ := a.do(t, http.MethodPost, path, "", `{"note":"looked"}`)
	assert.Equal(t, http.StatusUnauthorized, status, "signed-in staff only")
	assert.Equal(t, before, head(), "refusals record nothing")

	status, resp := a.do(t, http.MethodPost, path, a.tokens["guard"], `{"note":"  门已关好，快递员误开  "}`)
	require.Equal(t, http.StatusOK, status, resp)
	var ack controller.Event
	require.NoError(t, json.Unmarshal([]byte(resp), &ack))
	stored, err := a.store.Events(controller.EventQuery{After: ack.Seq - 1, Limit: 1})
	require.NoError(t, err)
	require.Len(t, stored, 1)
	assert.Equal(t, controller.KindAlarmAcknowledged, stored[0].Kind)
	assert.Equal(t, forced.Seq, stored[0].Ref)
	assert.Equal(t, "gus", stored[0].Account)
	assert.Equal(t, "门已关好，快递员误开", stored[0].Detail)
	assert.Equal(t, "main-gate", stored[0].Door)
	r = a.alarms(t)
	require.Equal(t, 1, r.Total)
	assert.Equal(t, tamper.Seq, r.Alarms[0].Event.Seq)
	status, resp = a.do(t, http.MethodPost, path, a.tokens["guard"], `{"note":"again"}`)
	assert.Equal(t, http.StatusConflict, status)
	assert.Contains(t, resp, "already_acknowledged")
	_, err = a.store.VerifyChain()
	require.NoError(t, err)

	// A restart on the same store: the tamper alarm is still open, the
	// acknowledged one is not.
	stop()
	a, stop = alarmServer(t, dir, false)
	defer stop()
	r = a.alarms(t)
	require.Equal(t, 1, r.Total)
	assert.Equal(t, tamper.Seq, r.Alarms[0].Event.Seq)
}
