package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"menwei/controller"
	"menwei/controller/alarms"
)

// Alarms is what the API needs for the alarm panel (the controller).
type Alarms interface {
	// Alarms returns the open alarms, oldest first, and whether the list
	// is complete (false while the event log is still being read).
	Alarms() ([]controller.Alarm, bool)
	AckAlarm(ctx context.Context, seq uint64, account, note string) (controller.Event, error)
}

// AlarmsReply is the body of GET /api/v1/alarms.
type AlarmsReply struct {
	// Alarms are the open alarms, newest first, at most maxAlarms.
	Alarms []controller.Alarm `json:"alarms"`
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
}

func (s *Server) listAlarms(c echo.Context) error {
	if s.o.Alarms == nil {
		return fail(http.StatusServiceUnavailable, "unavailable", "no alarm panel on this server")
	}
	open, ready := s.o.Alarms.Alarms()
	if !ready {
		return fail(http.StatusServiceUnavailable, "not_ready", "the alarms are still being read from the event log")
	}
	reply := AlarmsReply{Alarms: []controller.Alarm{}, Total: len(open)}
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
	ev, err := s.o.Alarms.AckAlarm(c.Request().Context(), seq, sess.Account, note)
	switch {
	case errors.Is(err, alarms.ErrNotFound):
		return fail(http.StatusNotFound, "not_found", "event "+c.Param("seq")+": no such event; nothing recorded")
	case errors.Is(err, alarms.ErrNotAlarm):
		return fail(http.StatusConflict, "not_alarm", "event "+c.Param("seq")+": not an alarm; nothing recorded")
	case errors.Is(err, alarms.ErrAcknowledged):
		return fail(http.StatusConflict, "already_acknowledged", "alarm "+c.Param("seq")+": already acknowledged; nothing recorded")
	case errors.Is(err, alarms.ErrNotReady):
		return fail(http.StatusServiceUnavailable, "not_ready", "the alarms are still being read from the event log; try again")
	case err != nil:
		return err
	}
	return c.JSON(http.StatusOK, ev)
}
