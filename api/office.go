package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"menwei/controller"
	"menwei/controller/estate"
	"menwei/controller/eventlog"
)

// The office's console over every gate (docs/estate.md, "Office mode"):
// the events it received from its gates beside its own, its gates' links
// and doors, and door commands routed to the gate that has the door.

// officeSource names the office's own events in ?gate= and in exports.
const officeSource = "office"

// Received is the office's copy of its gates' events (eventlog.Received).
type Received interface {
	Gates() ([]string, error)
	Page(gate string, q controller.EventQuery) (controller.EventPage, error)
	Chain(gate string) (eventlog.GateChain, error)
	Subscribe(buf int) (<-chan eventlog.GateEvent, func())
}

// GateCommander sends door commands to the office's gates (estate.Gates).
type GateCommander interface {
	Command(ctx context.Context, gate string, c estate.Command) (estate.Reply, error)
	Links() []estate.GateLink
}

// Event is an event as the API shows it: at the office, the gate it came
// from ("" = the office's own).
type Event struct {
	Gate string `json:"gate,omitempty"`
	controller.Event
}

func ownEvents(evs []controller.Event) []Event {
	out := make([]Event, len(evs))
	for i, e := range evs {
		out[i] = Event{Event: e}
	}
	return out
}

// isOffice: this server is an estate's office.
func (s *Server) isOffice() bool { return s.o.Received != nil }

// eventSources is what ?gate= selects: "" every source (the office's own
// first, then the gates by name), "office" the office's own, or one gate.
func (s *Server) eventSources(gate string) ([]string, error) {
	if gate == officeSource {
		return []string{officeSource}, nil
	}
	gates, err := s.gateNames()
	if err != nil {
		return nil, err
	}
	if gate == "" {
		return append([]string{officeSource}, gates...), nil
	}
	if !slices.Contains(gates, gate) {
		return nil, fail(http.StatusBadRequest, "bad_query", "gate: no gate "+strconv.Quote(gate))
	}
	return []string{gate}, nil
}

// gateNames are the gates configured and the gates heard from, by name.
func (s *Server) gateNames() ([]string, error) {
	names, err := s.o.Received.Gates()
	if err != nil {
		return nil, err
	}
	if s.o.GateLinks != nil {
		for _, l := range s.o.GateLinks.Links() {
			names = append(names, l.Name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func (s *Server) sourcePage(src string, q controller.EventQuery) (controller.EventPage, error) {
	if src == officeSource {
		return s.o.Events.Page(q)
	}
	return s.o.Received.Page(src, q)
}

// A cursor is where a page over several sources stopped in each: for each
// source read so far its seq (where it stopped reading: the next page
// reads after it, or before it with order=desc) or "end" when it has no
// more. "." stands for the office's own log (no gate's name has a dot):
// ".:120,gate-a:55,gate-b:end". A source not named is read from its start
// (from its newest with order=desc).
type cursor map[string]cursorPos

type cursorPos struct {
	seq  uint64
	done bool
}

func parseCursor(v string) (cursor, error) {
	c := cursor{}
	if v == "" {
		return c, nil
	}
	for _, part := range strings.Split(v, ",") {
		src, pos, ok := strings.Cut(part, ":")
		if src == "." {
			src = officeSource
		} else if !eventlog.ValidGate(src) {
			ok = false
		}
		if !ok {
			return nil, fail(http.StatusBadRequest, "bad_query", "cursor: not one this server gave")
		}
		if pos == "end" {
			c[src] = cursorPos{done: true}
			continue
		}
		n, err := strconv.ParseUint(pos, 10, 64)
		if err != nil {
			return nil, fail(http.StatusBadRequest, "bad_query", "cursor: not one this server gave")
		}
		c[src] = cursorPos{seq: n}
	}
	return c, nil
}

func (c cursor) String(srcs []string) string {
	var parts []string
	for _, src := range srcs {
		p, ok := c[src]
		if !ok {
			continue
		}
		name := src
		if src == officeSource {
			name = "."
		}
		if p.done {
			parts = append(parts, name+":end")
		} else {
			parts = append(parts, name+":"+strconv.FormatUint(p.seq, 10))
		}
	}
	return strings.Join(parts, ",")
}

// mergedPage answers q over several sources, merged by time (the newest
// first with q.Newest); events of the same time keep the order of their
// sources (the office's own, then the gates by name) and, within one, of
// their seqs, so the order is stable. Each source is paged by its own
// seqs and the cursor says where each stopped, so paging on never skips
// nor repeats an event. (The order is by time within what one page read:
// a source whose page was cut short by its scan bound may hold, further
// on, events older than some shown before them.)
func (s *Server) mergedPage(srcs []string, q controller.EventQuery, cur cursor) ([]Event, cursor, bool, error) {
	type head struct {
		src  string
		evs  []controller.Event
		page controller.EventPage
	}
	var heads []*head
	for _, src := range srcs {
		pos := cur[src]
		if pos.done {
			continue
		}
		sq := q
		if q.Newest {
			sq.Before = pos.seq
		} else {
			sq.After = pos.seq
		}
		sq.Scan = max(scanPerPage/len(srcs), 1000)
		p, err := s.sourcePage(src, sq)
		if err != nil {
			return nil, nil, false, err
		}
		heads = append(heads, &head{src: src, evs: p.Events, page: p})
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []Event
	for len(out) < limit {
		var best *head
		for _, h := range heads {
			if len(h.evs) == 0 {
				continue
			}
			if best == nil || before(h.evs[0].Time, best.evs[0].Time, q.Newest) {
				best = h
			}
		}
		if best == nil {
			break
		}
		e := best.evs[0]
		best.evs = best.evs[1:]
		gate := best.src
		if gate == officeSource {
			gate = ""
		}
		out = append(out, Event{Gate: gate, Event: e})
		cur[best.src] = cursorPos{seq: e.Seq}
	}
	more := false
	for _, h := range heads {
		switch {
		case len(h.evs) > 0: // not all shown: on from the last shown
			more = true
		case h.page.More: // all shown: on from where it stopped reading
			cur[h.src] = cursorPos{seq: h.page.Next}
			more = true
		default:
			cur[h.src] = cursorPos{done: true}
		}
	}
	return out, cur, more, nil
}

// before: an event of time a, from a later source than one of time b,
// comes before it in the merged order. Oldest first, a tie keeps the
// earlier source first; newest first, the later source: the newest-first
// order is the oldest-first order reversed, exactly.
func before(a, b time.Time, newest bool) bool {
	if newest {
		return !a.Before(b)
	}
	return a.Before(b)
}

// listOfficeEvents is GET /api/v1/events at the office: ?gate= one source,
// paged by its seqs as at a gate; none, every source merged, paged by
// ?cursor=.
func (s *Server) listOfficeEvents(c echo.Context, q controller.EventQuery, ok bool) error {
	srcs, err := s.eventSources(c.QueryParam("gate"))
	if err != nil {
		return err
	}
	page := EventsPage{Events: []Event{}, Next: q.After}
	if q.Newest {
		page.Next = q.Before
	}
	if len(srcs) == 1 {
		if !ok {
			return c.JSON(http.StatusOK, page)
		}
		q.Scan = scanPerPage
		p, err := s.sourcePage(srcs[0], q)
		if err != nil {
			return err
		}
		page.Next, page.More = p.Next, p.More
		for _, e := range p.Events {
			page.Events = append(page.Events, Event{Gate: strings.TrimPrefix(srcs[0], officeSource), Event: e})
		}
		return c.JSON(http.StatusOK, page)
	}
	if q.After > 0 || q.Before > 0 {
		return fail(http.StatusBadRequest, "bad_query", "after, before: only with gate (over every gate, page with cursor)")
	}
	cur, err := parseCursor(c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	if !ok {
		return c.JSON(http.StatusOK, page)
	}
	evs, cur, more, err := s.mergedPage(srcs, q, cur)
	if err != nil {
		return err
	}
	page.More, page.Cursor = more, cur.String(srcs)
	if evs != nil {
		page.Events = evs
	}
	return c.JSON(http.StatusOK, page)
}

// exportOffice writes every source's matches, merged as the list is (the
// oldest first), with the gate of each: a "gate" column first in CSV
// ("office" for the office's own), a "gate" field in JSON lines.
func (s *Server) exportOffice(c echo.Context, srcs []string, q controller.EventQuery, format string) error {
	w := c.Response()
	var out *eventlog.CSVWriter
	if format == "csv" {
		out = eventlog.NewCSVWriter(w, "gate")
	}
	enc := json.NewEncoder(w)
	var err error
	q.Limit, q.Newest = eventlog.MaxLimit, false
	cur := cursor{}
	for more := true; more && c.Request().Context().Err() == nil; {
		var evs []Event
		evs, cur, more, err = s.mergedPage(srcs, q, cur)
		if err != nil {
			break
		}
		for _, e := range evs {
			if out != nil {
				err = out.Write(cmp.Or(e.Gate, officeSource), e.Event)
			} else {
				err = enc.Encode(e)
			}
			if err != nil {
				break
			}
		}
		if out != nil && err == nil {
			err = out.Flush()
		}
		if err != nil {
			break
		}
	}
	if err == nil && out != nil {
		err = out.Flush()
	}
	if err != nil {
		s.o.Log.Error("export stopped", "err", err)
	}
	return nil
}

// gateStream delivers the gates' events to a live stream as the office
// stores them, each with its gate and no SSE id (the id a client resumes
// from is the office's own seq; a gate's events missed while disconnected
// are in the history, not replayed).
func (s *Server) gateStream() (<-chan eventlog.GateEvent, func()) {
	if !s.isOffice() {
		return nil, func() {}
	}
	return s.o.Received.Subscribe(256)
}

// GateInfo is one gate in GET /api/v1/gates.
type GateInfo struct {
	Name string `json:"name"`
	// Link: up when the gate answered the office's last command or poll;
	// LastSeen when it last answered (absent: not since the office started).
	Link     string     `json:"link"` // up or down
	LastSeen *time.Time `json:"last_seen,omitempty"`
	Chain    GateChain  `json:"chain"`
	// Doors are the gate's doors as its last answer said (DoorsAt), never
	// what the office asked for; absent when it has not answered.
	Doors   []controller.DoorStatus `json:"doors,omitempty"`
	PDs     []controller.PDStatus   `json:"pds,omitempty"`
	DoorsAt *time.Time              `json:"doors_at,omitempty"`
}

// GateChain is how far the office holds and has verified a gate's events.
type GateChain struct {
	// State: none (nothing received), verified (every event received links),
	// waiting (for Waiting, a gap), break (a link that does not check).
	State    string `json:"state"`
	Verified uint64 `json:"verified"`
	Received uint64 `json:"received"`
	Highest  uint64 `json:"highest"`
	Waiting  uint64 `json:"waiting,omitempty"`
	BreakAt  uint64 `json:"break_at,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

func chainOf(c eventlog.GateChain) GateChain {
	g := GateChain{State: "verified", Verified: c.Verified, Received: c.Received, Highest: c.Highest, Waiting: c.Waiting()}
	switch {
	case c.Break != nil:
		g.State, g.BreakAt, g.Reason = "break", c.Break.Seq, c.Break.Reason
	case c.Received == 0:
		g.State = "none"
	case g.Waiting > 0:
		g.State = "waiting"
	}
	return g
}

func (s *Server) listGates(c echo.Context) error {
	if !s.isOffice() {
		return fail(http.StatusNotFound, "not_office", "this server is not an estate's office: it has no gates")
	}
	names, err := s.gateNames()
	if err != nil {
		return err
	}
	links := map[string]estate.GateLink{}
	if s.o.GateLinks != nil {
		for _, l := range s.o.GateLinks.Links() {
			links[l.Name] = l
		}
	}
	out := []GateInfo{}
	for _, n := range names {
		ch, err := s.o.Received.Chain(n)
		if err != nil {
			return err
		}
		g := GateInfo{Name: n, Link: "down", Chain: chainOf(ch)}
		l := links[n]
		if l.Up {
			g.Link = "up"
		}
		if !l.LastSeen.IsZero() {
			g.LastSeen = &l.LastSeen
		}
		var d DoorsReply
		if len(l.Doors) > 0 && json.Unmarshal(l.Doors, &d) == nil {
			g.Doors, g.PDs, g.DoorsAt = d.Doors, d.PDs, &l.DoorsAt
		}
		out = append(out, g)
	}
	return c.JSON(http.StatusOK, map[string]any{"gates": out})
}

// command sends cmd to gate and turns its reply into this request's
// answer: the gate's own status, code and body. No reply is a 504 with
// code gate_unreachable: the office does not know that anything happened.
func (s *Server) command(c echo.Context, gate string, cmd estate.Command) error {
	if s.o.GateLinks == nil {
		return fail(http.StatusBadRequest, "bad_request", "gate: this server is not an estate's office")
	}
	sess, _ := sessionOf(c)
	cmd.Account = sess.Account + "@office"
	r, err := s.o.GateLinks.Command(c.Request().Context(), gate, cmd)
	switch {
	case errors.Is(err, estate.ErrUnknownGate):
		return fail(http.StatusNotFound, "no_gate", "no gate "+strconv.Quote(gate))
	case errors.Is(err, estate.ErrUnreachable):
		return fail(http.StatusGatewayTimeout, "gate_unreachable", "gate "+gate+" is not connected: the command was not sent")
	case errors.Is(err, estate.ErrNoAnswer):
		return fail(http.StatusGatewayTimeout, "gate_no_answer", "gate "+gate+" did not answer in time: whether the command was carried out is not known; the gate's events will say")
	case err != nil:
		return err
	}
	if r.Status >= 400 {
		return fail(r.Status, r.Code, r.Message)
	}
	return c.JSONBlob(r.Status, r.Body)
}

func (s *Server) routeMode(c echo.Context, gate string, names []string, req ModeRequest) error {
	if names == nil {
		names = req.Doors // /emergency: the doors listed, none = every door of the gate
	} else if len(req.Doors) > 0 {
		return fail(http.StatusBadRequest, "bad_request", "doors: not allowed here")
	}
	return s.command(c, gate, estate.Command{Cmd: estate.CmdMode, Doors: names, Mode: req.Mode, Reason: req.Reason})
}

func (s *Server) routeOpen(c echo.Context, gate, door string) error {
	return s.command(c, gate, estate.Command{Cmd: estate.CmdOpen, Door: door})
}

// GateCommand answers a command from the office at a gate, through the
// paths the gate's own API takes (the same events, naming the office's
// account, the same answers): for estate.ServeCommands.
func (s *Server) GateCommand(ctx context.Context, c estate.Command) estate.Reply {
	var (
		status = http.StatusOK
		body   any
		err    error
	)
	switch c.Cmd {
	case estate.CmdDoors:
		body = s.doorsBody(true)
	case estate.CmdMode:
		body, err = s.changeModes(ctx, nil, ModeRequest{Mode: c.Mode, Doors: c.Doors, Reason: c.Reason}, c.Account)
		if err == nil {
			body = s.doorsBody(true)
		}
	case estate.CmdOpen:
		status, body, err = s.guardOpen(ctx, c.Door, c.Account)
	case estate.CmdAck:
		if s.o.Alarms == nil {
			err = fail(http.StatusServiceUnavailable, "unavailable", "no alarm panel on this server")
			break
		}
		body, err = s.o.Alarms.AckAlarm(ctx, c.Seq, c.Account, c.Note)
		if err != nil {
			err = ackError(err, c.Seq)
		}
	default:
		err = fail(http.StatusBadRequest, "bad_request", "command "+strconv.Quote(c.Cmd)+": doors, mode, open or ack")
	}
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			if m, ok := he.Message.(APIError); ok {
				return estate.Reply{Status: he.Code, Code: m.Code, Message: m.Message}
			}
		}
		s.o.Log.Error("office command failed", "cmd", c.Cmd, "err", err)
		return estate.Reply{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return estate.Reply{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	}
	return estate.Reply{Status: status, Body: b}
}
