package api

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/controller/alarms"
	"menwei/controller/door"
	"menwei/controller/estate"
	"menwei/controller/store"
)

// fakeGates is the office's command channel: each gate answers with
// reply(cmd), or is unreachable.
type fakeGates struct {
	mu    sync.Mutex
	sent  []estate.Command
	gates map[string]func(estate.Command) estate.Reply // nil func: unreachable
	slow  string                                       // a gate that does not answer
}

func (f *fakeGates) Command(_ context.Context, gate string, c estate.Command) (estate.Reply, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.gates[gate]
	if !ok {
		return estate.Reply{}, estate.ErrUnknownGate
	}
	f.sent = append(f.sent, c)
	if gate == f.slow {
		return estate.Reply{}, estate.ErrNoAnswer
	}
	if h == nil {
		return estate.Reply{}, estate.ErrUnreachable
	}
	return h(c), nil
}

func (f *fakeGates) Links() []estate.GateLink {
	seen := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return []estate.GateLink{
		{Name: "gate-a", Up: true, LastSeen: seen, Doors: json.RawMessage(`{"doors":[{"name":"east-1","mode":"normal"}]}`), DoorsAt: seen},
		{Name: "gate-b"},
		{Name: "gate-c"},
	}
}

// newOffice is a test server as an office with gate-a and gate-b's events
// received (made in their own logs at the times given, in minutes after
// t0) and own events at the times given, every event of kind door.mode.
func newOffice(t *testing.T, fg *fakeGates, own []int, gates map[string][]int) (*testAPI, time.Time) {
	t.Helper()
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	a := newTestServerFull(t, nil, func(o *Options, st *store.Store) {
		o.Received, o.GateLinks = st.Received(), fg
	})
	ctx := context.Background()
	for _, m := range own {
		_, err := a.store.Append(ctx, controller.Event{Kind: "door.mode", Door: "office-door", Time: t0.Add(time.Duration(m) * time.Minute)})
		require.NoError(t, err)
	}
	for gate, mins := range gates {
		g, err := store.Open(store.Options{InMemory: true})
		require.NoError(t, err)
		for _, m := range mins {
			_, err := g.Append(ctx, controller.Event{Kind: "door.mode", Door: gate + "-door", Time: t0.Add(time.Duration(m) * time.Minute)})
			require.NoError(t, err)
		}
		evs, err := g.Events(controller.EventQuery{Limit: 1000})
		require.NoError(t, err)
		require.NoError(t, g.Close())
		_, err = a.store.Received().Apply(gate, evs)
		require.NoError(t, err)
	}
	return a, t0
}

// where is an event's place: its source and its minute.
func where(t0 time.Time, evs []Event) []string {
	out := []string{}
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%s@%d", e.Gate, int(e.Time.Sub(t0).Minutes())))
	}
	return out
}

// TestTheOfficeMergesEveryGatesEventsByTime: events of the office and two
// gates, merged by time (ties: the office's first, then gates by name),
// paged by a cursor with every event once whatever the page size, each
// with its gate; ?gate= keeps one source.
func TestTheOfficeMergesEveryGatesEventsByTime(t *testing.T) {
	a, t0 := newOffice(t, &fakeGates{}, []int{3, 10}, map[string][]int{"gate-a": {1, 3, 5, 7}, "gate-b": {2, 3, 4, 11}})
	want := []string{"gate-a@1", "gate-b@2", "@3", "gate-a@3", "gate-b@3", "gate-b@4", "gate-a@5", "gate-a@7", "@10", "gate-b@11"}
	p := a.page(t, "kind=door.mode")
	assert.Equal(t, want, where(t0, p.Events))
	assert.False(t, p.More)

	for _, limit := range []int{1, 2, 3, 4, 7} {
		for _, order := range []string{"asc", "desc"} {
			var got []string
			cur := ""
			for range 20 {
				p := a.page(t, fmt.Sprintf("kind=door.mode&order=%s&limit=%d&cursor=%s", order, limit, cur))
				assert.LessOrEqual(t, len(p.Events), limit)
				got = append(got, where(t0, p.Events)...)
				if !p.More {
					break
				}
				require.NotEmpty(t, p.Cursor)
				cur = p.Cursor
			}
			exp := append([]string(nil), want...)
			if order == "desc" {
				for i, j := 0, len(exp)-1; i < j; i, j = i+1, j-1 {
					exp[i], exp[j] = exp[j], exp[i]
				}
			}
			assert.Equal(t, exp, got, "limit %d %s", limit, order)
		}
	}

	p = a.page(t, "kind=door.mode&gate=gate-a&order=desc&limit=2")
	assert.Equal(t, []string{"gate-a@7", "gate-a@5"}, where(t0, p.Events))
	assert.True(t, p.More)
	p = a.page(t, fmt.Sprintf("kind=door.mode&gate=gate-a&order=desc&limit=2&before=%d", p.Next))
	assert.Equal(t, []string{"gate-a@3", "gate-a@1"}, where(t0, p.Events))
	p = a.page(t, "kind=door.mode&gate=office")
	assert.Equal(t, []string{"@3", "@10"}, where(t0, p.Events))
	p = a.page(t, "kind=door.mode&gate=gate-c") // configured, nothing heard yet
	assert.Empty(t, p.Events)

	for q, code := range map[string]string{"gate=gate-z": "bad_query", "cursor=nonsense": "bad_query", "after=3": "bad_query"} {
		status, body := a.do(t, http.MethodGet, "/api/v1/events?"+q, a.tokens["guard"], "")
		assert.Equal(t, http.StatusBadRequest, status, q)
		assert.Contains(t, body, code, q)
	}

	// The export crosses gates too, with a gate column.
	status, body := a.do(t, http.MethodGet, "/api/v1/events/export?format=csv&kind=door.mode", a.tokens["guard"], "")
	require.Equal(t, http.StatusOK, status, body)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+len(want))
	assert.Equal(t, []string{"gate", "seq", "time"}, rows[0][:3])
	var gates []string
	for _, r := range rows[1:] {
		gates = append(gates, r[0])
	}
	assert.Equal(t, []string{"gate-a", "gate-b", "office", "gate-a", "gate-b", "gate-b", "gate-a", "gate-a", "office", "gate-b"}, gates)
}

// TestAGateIsNotAnOffice: a gate refuses the office's parameters.
func TestAGateIsNotAnOffice(t *testing.T) {
	a := newTestServer(t)
	for _, q := range []string{"/api/v1/events?gate=gate-a", "/api/v1/events?cursor=.:1", "/api/v1/events/export?gate=gate-a"} {
		status, _ := a.do(t, http.MethodGet, q, a.tokens["guard"], "")
		assert.Equal(t, http.StatusBadRequest, status, q)
	}
	status, _ := a.do(t, http.MethodGet, "/api/v1/gates", a.tokens["guard"], "")
	assert.Equal(t, http.StatusNotFound, status)
}

func TestTheOfficeRoutesDoorCommandsToTheGate(t *testing.T) {
	fg := &fakeGates{gates: map[string]func(estate.Command) estate.Reply{
		"gate-a": func(c estate.Command) estate.Reply {
			switch {
			case c.Cmd == estate.CmdOpen:
				return estate.Reply{V: 1, Status: 200, Body: json.RawMessage(`{"granted":true,"opened":true,"reason":"opened_by_guard","lock":"confirmed"}`)}
			case len(c.Doors) == 1 && c.Doors[0] == "west":
				return estate.Reply{V: 1, Status: 404, Code: "not_found", Message: `"west": no such door; no door was changed`}
			}
			return estate.Reply{V: 1, Status: 200, Body: json.RawMessage(`{"doors":[{"name":"east-1","mode":"emergency_unlock"}]}`)}
		},
		"gate-b": nil,
		"gate-c": nil,
	}, slow: "gate-c"}
	a, _ := newOffice(t, fg, nil, map[string][]int{"gate-a": {1}})

	// The gates: link, last seen, chain, doors from the last answer.
	status, body := a.do(t, http.MethodGet, "/api/v1/gates", a.tokens["guard"], "")
	require.Equal(t, http.StatusOK, status, body)
	var gs struct{ Gates []GateInfo }
	require.NoError(t, json.Unmarshal([]byte(body), &gs))
	require.Len(t, gs.Gates, 3)
	ga := gs.Gates[0]
	assert.Equal(t, "gate-a", ga.Name)
	assert.Equal(t, "up", ga.Link)
	assert.Equal(t, GateChain{State: "verified", Verified: 1, Received: 1, Highest: 1}, ga.Chain)
	require.Len(t, ga.Doors, 1)
	assert.Equal(t, "east-1", ga.Doors[0].Name)
	assert.Equal(t, "down", gs.Gates[1].Link)
	assert.Nil(t, gs.Gates[1].LastSeen)
	assert.Equal(t, "none", gs.Gates[1].Chain.State)
	assert.Empty(t, gs.Gates[1].Doors)

	// A mode, routed: the gate's answer is the office's.
	status, body = a.do(t, http.MethodPost, "/api/v1/doors/east-1/mode?gate=gate-a", a.tokens["guard"], `{"mode":"emergency_unlock","reason":"fire drill"}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"doors":[{"name":"east-1","mode":"emergency_unlock"}]}`, body)
	assert.Equal(t, estate.Command{Cmd: estate.CmdMode, Doors: []string{"east-1"}, Mode: "emergency_unlock", Reason: "fire drill", Account: "gus@office"}, fg.sent[0])
	// /emergency with the gate in the body; its doors listed, or all.
	status, body = a.do(t, http.MethodPost, "/api/v1/emergency", a.tokens["admin"], `{"mode":"lockdown","gate":"gate-a"}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, estate.Command{Cmd: estate.CmdMode, Mode: "lockdown", Account: "ada@office"}, fg.sent[1])
	// The gate's refusal, as the gate said it.
	status, body = a.do(t, http.MethodPost, "/api/v1/doors/west/mode?gate=gate-a", a.tokens["guard"], `{"mode":"lockdown"}`)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, body, `"code":"not_found"`)
	// An open, routed.
	status, body = a.do(t, http.MethodPost, "/api/v1/doors/east-1/open?gate=gate-a", a.tokens["guard"], "")
	require.Equal(t, http.StatusOK, status, body)
	assert.JSONEq(t, `{"granted":true,"opened":true,"reason":"opened_by_guard","lock":"confirmed"}`, body)
	assert.Equal(t, estate.Command{Cmd: estate.CmdOpen, Door: "east-1", Account: "gus@office"}, fg.sent[3])

	// No answer: 504, and nothing claimed.
	status, body = a.do(t, http.MethodPost, "/api/v1/doors/x/mode?gate=gate-b", a.tokens["guard"], `{"mode":"lockdown"}`)
	assert.Equal(t, http.StatusGatewayTimeout, status)
	assert.Contains(t, body, `"code":"gate_unreachable"`)
	status, body = a.do(t, http.MethodPost, "/api/v1/doors/x/open?gate=gate-c", a.tokens["guard"], "")
	assert.Equal(t, http.StatusGatewayTimeout, status)
	assert.Contains(t, body, `"code":"gate_no_answer"`, "sent, not answered: not known")
	status, body = a.do(t, http.MethodPost, "/api/v1/doors/x/mode?gate=gate-z", a.tokens["guard"], `{"mode":"lockdown"}`)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, body, `"code":"no_gate"`)

	// Roles as for a local door: the property office's account cannot.
	status, _ = a.do(t, http.MethodPost, "/api/v1/doors/east-1/mode?gate=gate-a", a.officeLogin(t), `{"mode":"normal"}`)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Len(t, fg.sent, 6)

	// gate=office is the office's own doors.
	status, body = a.do(t, http.MethodPost, "/api/v1/doors/main-gate/mode?gate=office", a.tokens["guard"], `{"mode":"lockdown"}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"mode":"lockdown"`)
	assert.Len(t, fg.sent, 6)
}

// TestAGateAnswersTheOfficeAsItsOwnAPI: GateCommand takes the local paths
// and answers their status, code and body.
func TestAGateAnswersTheOfficeAsItsOwnAPI(t *testing.T) {
	doors, opener := &fakeDoors{modes: map[string]door.Mode{}}, &fakeOpener{}
	s := New(Options{Doors: doors, Opener: opener, PDs: func() []controller.PDStatus { return []controller.PDStatus{{Name: "r1", Online: true}} }})
	ctx := context.Background()

	r := s.GateCommand(ctx, estate.Command{Cmd: estate.CmdDoors, Account: "office"})
	require.Equal(t, 200, r.Status)
	assert.JSONEq(t, `{"doors":[{"name":"main-gate","display_name":"","mode":"normal","locked":false,"open":false,"lock_online":false}],"pds":[{"name":"r1","display_name":"","bus":"","address":0,"online":true,"secure":false}]}`, string(r.Body))

	r = s.GateCommand(ctx, estate.Command{Cmd: estate.CmdMode, Doors: []string{"main-gate"}, Mode: "emergency_unlock", Account: "ada@office"})
	require.Equal(t, 200, r.Status, r.Message)
	assert.Equal(t, door.EmergencyUnlock, doors.modes["main-gate"])
	assert.Contains(t, string(r.Body), `"mode":"emergency_unlock"`)

	r = s.GateCommand(ctx, estate.Command{Cmd: estate.CmdMode, Doors: []string{"west"}, Mode: "lockdown", Account: "ada@office"})
	assert.Equal(t, estate.Reply{Status: 404, Code: "not_found", Message: `door "west": no such door; no door was changed`}, r)
	r = s.GateCommand(ctx, estate.Command{Cmd: estate.CmdMode, Mode: "sideways", Account: "ada@office"})
	assert.Equal(t, 400, r.Status)

	r = s.GateCommand(ctx, estate.Command{Cmd: estate.CmdOpen, Door: "main-gate", Account: "ada@office"})
	require.Equal(t, 200, r.Status)
	assert.JSONEq(t, `{"granted":true,"opened":true,"reason":"opened_by_guard","lock":"confirmed"}`, string(r.Body))
	assert.Equal(t, []string{"ada@office"}, opener.opened, "the gate records the office's account")
	opener.lock = controller.LockOffline
	r = s.GateCommand(ctx, estate.Command{Cmd: estate.CmdOpen, Door: "main-gate", Account: "ada@office"})
	assert.Equal(t, estate.Reply{Status: 503, Code: "lock_offline", Message: "the lock's terminal is offline: the door did not open"}, r)

	r = s.GateCommand(ctx, estate.Command{Cmd: "reboot"})
	assert.Equal(t, 400, r.Status)

	// An acknowledgement from the office: the gate's own, or its refusal.
	ga := &gateAlarmsT{}
	s = New(Options{Alarms: ga})
	r = s.GateCommand(ctx, estate.Command{Cmd: estate.CmdAck, Seq: 7, Note: "seen from the office", Account: "ada@office"})
	require.Equal(t, 200, r.Status, r.Message)
	assert.Equal(t, []string{"7 ada@office seen from the office"}, ga.acked)
	r = s.GateCommand(ctx, estate.Command{Cmd: estate.CmdAck, Seq: 7, Note: "again", Account: "ada@office"})
	assert.Equal(t, estate.Reply{Status: 409, Code: "already_acknowledged", Message: "alarm 7: already acknowledged; nothing recorded"}, r)
}

// gateAlarmsT is a gate's alarm panel with one open alarm, seq 7.
type gateAlarmsT struct{ acked []string }

func (g *gateAlarmsT) Alarms() ([]controller.Alarm, bool) { return nil, true }

func (g *gateAlarmsT) AckAlarm(_ context.Context, seq uint64, account, note string) (controller.Event, error) {
	if seq != 7 || len(g.acked) > 0 {
		return controller.Event{}, alarms.ErrAcknowledged
	}
	g.acked = append(g.acked, fmt.Sprint(seq, " ", account, " ", note))
	return controller.Event{Seq: 8, Kind: alarms.Acknowledged, Ref: seq, Account: account, Detail: note}, nil
}

// fakeGateAlarms is the office's books of its gates' alarms.
type fakeGateAlarms struct {
	open  []alarms.GateAlarm
	acked []string
}

func (f *fakeGateAlarms) Open() ([]alarms.GateAlarm, bool) { return f.open, true }

func (f *fakeGateAlarms) Ack(_ context.Context, gate string, seq uint64, account, note string) (controller.Event, error) {
	for i, a := range f.open {
		if a.Gate == gate && a.Event.Seq == seq {
			f.open = append(f.open[:i], f.open[i+1:]...)
			f.acked = append(f.acked, fmt.Sprint(gate, seq, account, note))
			return controller.Event{Seq: 99, Kind: alarms.Acknowledged, AtGate: gate, Ref: seq, Account: account, Detail: note}, nil
		}
	}
	return controller.Event{}, alarms.ErrNotFound
}

// noAlarms is an office without alarms of its own.
type noAlarms struct{}

func (noAlarms) Alarms() ([]controller.Alarm, bool) { return nil, true }
func (noAlarms) AckAlarm(context.Context, uint64, string, string) (controller.Event, error) {
	return controller.Event{}, alarms.ErrNotFound
}

// TestTheOfficeShowsAndAcknowledgesItsGatesAlarms: the alarm list has
// every gate's with its gate, newest first among the office's own; an
// acknowledgement at the office is recorded there and sent to the gate,
// and the answer says whether the gate took it.
func TestTheOfficeShowsAndAcknowledgesItsGatesAlarms(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	ga := &fakeGateAlarms{open: []alarms.GateAlarm{
		{Gate: "gate-a", Alarm: alarms.Alarm{Event: controller.Event{Seq: 7, Kind: "door.forced_open", Door: "east-1", Alarm: true, Time: t0}}},
		{Gate: "gate-b", Alarm: alarms.Alarm{Event: controller.Event{Seq: 3, Kind: "emergency.fire", Alarm: true, Time: t0.Add(time.Minute)}}},
	}}
	fg := &fakeGates{gates: map[string]func(estate.Command) estate.Reply{
		"gate-a": func(c estate.Command) estate.Reply {
			return estate.Reply{V: 1, Status: 200, Body: json.RawMessage(`{}`)}
		},
		"gate-b": nil,
	}}
	a := newTestServerFull(t, nil, func(o *Options, st *store.Store) {
		o.Received, o.GateLinks, o.GateAlarms, o.Alarms = st.Received(), fg, ga, noAlarms{}
	})
	r := a.alarms(t)
	require.Len(t, r.Alarms, 2)
	assert.Equal(t, "gate-b", r.Alarms[0].Gate, "newest first")
	assert.Equal(t, "gate-a", r.Alarms[1].Gate)
	assert.Equal(t, uint64(7), r.Alarms[1].Event.Seq)

	status, body := a.do(t, http.MethodPost, "/api/v1/alarms/7/ack?gate=gate-a", a.tokens["guard"], `{"note":"door checked"}`)
	require.Equal(t, http.StatusOK, status, body)
	var rep GateAckReply
	require.NoError(t, json.Unmarshal([]byte(body), &rep))
	assert.Equal(t, "acknowledged", rep.GateAck)
	assert.Equal(t, "gate-a", rep.AtGate)
	assert.Equal(t, estate.Command{Cmd: estate.CmdAck, Seq: 7, Note: "door checked", Account: "gus@office"}, fg.sent[0])

	status, body = a.do(t, http.MethodPost, "/api/v1/alarms/3/ack", a.tokens["guard"], `{"note":"fire brigade called","gate":"gate-b"}`)
	require.Equal(t, http.StatusOK, status, body)
	require.NoError(t, json.Unmarshal([]byte(body), &rep))
	assert.Equal(t, "gate_unreachable", rep.GateAck, "recorded at the office; the gate did not get it")
	assert.Len(t, ga.acked, 2)

	status, _ = a.do(t, http.MethodPost, "/api/v1/alarms/3/ack?gate=gate-b", a.tokens["guard"], `{"note":"again"}`)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Empty(t, a.alarms(t).Alarms)
}

// TestTheOfficesLiveStreamHasItsGatesEvents: a gate's event stored at the
// office reaches a live stream with its gate and without an id (the id a
// client resumes from is the office's own seq).
func TestTheOfficesLiveStreamHasItsGatesEvents(t *testing.T) {
	a, _ := newOffice(t, &fakeGates{}, nil, nil)
	ctx := context.Background()
	sc := bufio.NewScanner(a.stream(t, ""))
	require.True(t, sc.Scan()) // retry: the stream is subscribed

	g, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	defer g.Close()
	ev, err := g.Append(ctx, controller.Event{Kind: "door.forced_open", Door: "east-1", Alarm: true})
	require.NoError(t, err)
	_, err = a.store.Received().Apply("gate-a", []controller.Event{ev})
	require.NoError(t, err)
	var lines []string
	for sc.Scan() {
		if l := sc.Text(); l != "" && l != "retry: 2000" {
			lines = append(lines, l)
		}
		if len(lines) == 2 {
			break
		}
	}
	require.Len(t, lines, 2)
	assert.Equal(t, "event: door.forced_open", lines[0], "no id: line")
	var got Event
	require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(lines[1], "data: ")), &got))
	assert.Equal(t, "gate-a", got.Gate)
	assert.Equal(t, ev.Hash, got.Hash)
}
