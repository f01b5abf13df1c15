package api

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"menwei/controller"
	"menwei/controller/alarms"
	"menwei/controller/estate"
)

// Alarms is what the API needs for the alarm panel (the controller).
type Alarms interface {
	// Alarms returns the open alarms, oldest first, and whether the list
	// is complete (false while the event log is still being read).
	Alarms() ([]controller.Alarm, bool)
	AckAlarm(ctx context.Context, seq uint64, account, note string) (controller.Event, error)
}

// GateAlarms are an estate office's books of its gates' alarms
// (alarms.GateBooks, with the office's log to record in).
type GateAlarms interface {
	Open() ([]alarms.GateAlarm, bool)
	// Ack records the office's acknowledgement of gate's alarm seq in the
	// office's log and closes it at the office.
	Ack(ctx context.Context, gate string, seq uint64, account, note string) (controller.Event, error)
}

// AlarmView is an open alarm as the API shows it: at the office, the gate
// whose alarm it is ("" = the office's own).
type AlarmView struct {
	Gate string `json:"gate,omitempty"`
	controller.Alarm
}

// AlarmsReply is the body of GET /api/v1/alarms.
type AlarmsReply struct {
	// Alarms are the open alarms, newest first, at most maxAlarms.
	Alarms []AlarmView `json:"alarms"`
	// Total counts every open alarm, listed or not.
	Total int `json:"total"`
}

// maxAlarms bounds the alarms one reply lists.
const maxAlarms = 200

// AckRequest is the body of POST /api/v1/alarms/{seq}/ack.
type AckRequest struct {
	// Note says what the guard found or did; required, at most 200
	// characters.
	Note string `json:"note"`
	// Gate, at the office: the gate whose alarm it is (as ?gate=).
	Gate string `json:"gate,omitempty"`
}

// GateAckReply is the answer to an office's acknowledgement of a gate's
// alarm: the office's own event, and what became of it at the gate —
// "acknowledged" (the gate recorded it too), "gate_unreachable" or
// "gate_no_answer" (the office's acknowledgement stands; the gate's guards
// still see the alarm open), or the gate's error code (for example
// already_acknowledged: a guard there was first).
type GateAckReply struct {
	controller.Event
	GateAck string `json:"gate_ack"`
}

func (s *Server) listAlarms(c echo.Context) error {
	if s.o.Alarms == nil {
		return fail(http.StatusServiceUnavailable, "unavailable", "no alarm panel on this server")
	}
	own, ready := s.o.Alarms.Alarms()
	var open []AlarmView
	for _, a := range own {
		open = append(open, AlarmView{Alarm: a})
	}
	if s.o.GateAlarms != nil {
		gates, gready := s.o.GateAlarms.Open()
		ready = ready && gready
		for _, a := range gates {
			open = append(open, AlarmView{Gate: a.Gate, Alarm: a.Alarm})
		}
		// Oldest first by time (stable: the office's own first on a tie).
		slices.SortStableFunc(open, func(a, b AlarmView) int { return a.Event.Time.Compare(b.Event.Time) })
	}
	if !ready {
		return fail(http.StatusServiceUnavailable, "not_ready", "the alarms are still being read from the event log")
	}
	reply := AlarmsReply{Alarms: []AlarmView{}, Total: len(open)}
	for i := len(open) - 1; i >= 0 && len(reply.Alarms) < maxAlarms; i-- {
		reply.Alarms = append(reply.Alarms, open[i])
	}
	return c.JSON(http.StatusOK, reply)
}

func (s *Server) ackAlarm(c echo.Context) error {
	var req AckRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	seq, err := strconv.ParseUint(c.Param("seq"), 10, 64)
	if err != nil || seq == 0 {
		return fail(http.StatusBadRequest, "bad_request", "seq: must be an event sequence number")
	}
	note := strings.TrimSpace(req.Note)
	switch {
	case note == "":
		return fail(http.StatusBadRequest, "note_required", "note: say what was found or done")
	case utf8.RuneCountInString(note) > 200:
		return fail(http.StatusBadRequest, "bad_request", "note: at most 200 characters")
	}
	if s.o.Alarms == nil {
		return fail(http.StatusServiceUnavailable, "unavailable", "no alarm panel on this server")
	}
	sess, _ := sessionOf(c)
	if gate := cmp.Or(c.QueryParam("gate"), req.Gate); gate != "" && gate != officeSource {
		return s.ackGateAlarm(c, gate, seq, sess.Account, note)
	}
	ev, err := s.o.Alarms.AckAlarm(c.Request().Context(), seq, sess.Account, note)
	if err != nil {
		return ackError(err, seq)
	}
	return c.JSON(http.StatusOK, ev)
}

// ackError is the answer to a refused acknowledgement.
func ackError(err error, seq uint64) error {
	n := strconv.FormatUint(seq, 10)
	switch {
	case errors.Is(err, alarms.ErrNotFound):
		return fail(http.StatusNotFound, "not_found", "event "+n+": no such event; nothing recorded")
	case errors.Is(err, alarms.ErrNotAlarm):
		return fail(http.StatusConflict, "not_alarm", "event "+n+": not an alarm; nothing recorded")
	case errors.Is(err, alarms.ErrAcknowledged):
		return fail(http.StatusConflict, "already_acknowledged", "alarm "+n+": already acknowledged; nothing recorded")
	case errors.Is(err, alarms.ErrNotReady):
		return fail(http.StatusServiceUnavailable, "not_ready", "the alarms are still being read from the event log; try again")
	}
	return err
}

// ackGateAlarm is the office acknowledging a gate's alarm: recorded in the
// office's log first (that stands whatever the gate answers), then sent to
// the gate so that its guards see it acknowledged too.
func (s *Server) ackGateAlarm(c echo.Context, gate string, seq uint64, account, note string) error {
	if s.o.GateAlarms == nil {
		return fail(http.StatusBadRequest, "bad_request", "gate: this server is not an estate's office")
	}
	ev, err := s.o.GateAlarms.Ack(c.Request().Context(), gate, seq, account, note)
	if errors.Is(err, alarms.ErrNotFound) {
		return fail(http.StatusNotFound, "not_found", "gate "+gate+", event "+strconv.FormatUint(seq, 10)+": not an open alarm; nothing recorded")
	}
	if err != nil {
		return ackError(err, seq)
	}
	reply := GateAckReply{Event: ev, GateAck: "acknowledged"}
	if s.o.GateLinks == nil {
		reply.GateAck = "gate_unreachable"
		return c.JSON(http.StatusOK, reply)
	}
	r, err := s.o.GateLinks.Command(c.Request().Context(), gate, estate.Command{Cmd: estate.CmdAck, Seq: seq, Note: note, Account: account + "@office"})
	switch {
	case errors.Is(err, estate.ErrNoAnswer):
		reply.GateAck = "gate_no_answer"
	case err != nil:
		reply.GateAck = "gate_unreachable"
	case r.Status >= 400:
		reply.GateAck = r.Code
	}
	return c.JSON(http.StatusOK, reply)
}
