package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"menwei/controller"
	"menwei/controller/store"
)

// Phones is what the API needs to pair residents' phones.
type Phones interface {
	NewPairingCode(identity, issuedBy string, now time.Time) (string, time.Time, error)
	Pair(code, name string, now time.Time) (store.Device, string, error)
	DeviceByToken(token string) (store.Device, error)
	RevokeDevice(id string) error
}

// Opener opens doors on request: a phone under the door's policy, or a
// guard by hand.
type Opener interface {
	PhoneOpen(ctx context.Context, door, device string) (controller.Decision, error)
	GuardOpen(ctx context.Context, door, account string) (controller.LockResult, error)
}

// PairingCode is the answer to POST /api/v1/residents/{id}/pairing.
type PairingCode struct {
	Code    string    `json:"code"`
	Expires time.Time `json:"expires"`
}

func (s *Server) issuePairing(c echo.Context) error {
	sess, _ := sessionOf(c)
	code, exp, err := s.o.Phones.NewPairingCode(c.Param("id"), sess.Account, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusNotFound, "not_found", "no resident "+c.Param("id"))
	}
	if err != nil {
		return err
	}
	s.audit(c, controller.Event{Kind: "device.pairing_issued", Identity: c.Param("id"), Detail: "pairing code issued"})
	return c.JSON(http.StatusCreated, PairingCode{Code: code, Expires: exp})
}

// PairRequest is the body of POST /api/v1/pair.
type PairRequest struct {
	Code string `json:"code"`
	Name string `json:"name"` // e.g. "Li Wei's phone"
}

// PairReply carries the device credential: send it as
// "Authorization: Device <token>". It is shown once and stored only hashed.
type PairReply struct {
	Device   string `json:"device"`
	Identity string `json:"identity"`
	Token    string `json:"token"`
}

func (s *Server) pair(c echo.Context) error {
	ip, _, _ := net.SplitHostPort(c.Request().RemoteAddr)
	if !s.limits.allow("pair/"+ip, s.now()) {
		return fail(http.StatusTooManyRequests, "rate_limited", "too many pairing attempts from this address; wait a minute")
	}
	var req PairRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	if len(req.Name) > 64 {
		return fail(http.StatusBadRequest, "bad_request", "name: at most 64 characters")
	}
	d, token, err := s.o.Phones.Pair(req.Code, req.Name, s.now())
	if errors.Is(err, store.ErrBadCode) {
		s.audit(c, controller.Event{Kind: "device.pairing_failed", Detail: "bad code from " + ip})
		return fail(http.StatusUnauthorized, "bad_code", "the pairing code is wrong, used or expired")
	}
	if err != nil {
		return err
	}
	s.audit(c, controller.Event{Kind: "device.paired", Identity: d.Identity, Detail: "device " + d.ID})
	return c.JSON(http.StatusCreated, PairReply{Device: d.ID, Identity: d.Identity, Token: token})
}

func (s *Server) revokeDevice(c echo.Context) error {
	err := s.o.Phones.RevokeDevice(c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusNotFound, "not_found", "no device "+c.Param("id"))
	}
	if err != nil {
		return err
	}
	s.audit(c, controller.Event{Kind: "device.revoked", Detail: "device " + c.Param("id")})
	return c.NoContent(http.StatusNoContent)
}

// OpenReply is the answer to POST /api/v1/doors/{name}/open.
type OpenReply struct {
	Granted bool   `json:"granted"`
	Opened  bool   `json:"opened"` // the lock's terminal confirmed the release
	Reason  string `json:"reason"`
	Lock    string `json:"lock,omitempty"` // what the lock did with a grant: confirmed, held_open, unconfirmed
}

// openAnswer turns a grant's lock result into the answer: 200 when the lock
// confirmed the release (or the door is held open), 202 when it was asked
// but has not answered yet, and an error when the door did not open.
func openAnswer(c echo.Context, reason string, lock controller.LockResult) error {
	status, body, err := openResult(reason, lock)
	if err != nil {
		return err
	}
	return c.JSON(status, body)
}

func openResult(reason string, lock controller.LockResult) (int, OpenReply, error) {
	switch lock {
	case controller.LockConfirmed, controller.LockHeldOpen:
		return http.StatusOK, OpenReply{Granted: true, Opened: true, Reason: reason, Lock: string(lock)}, nil
	case controller.LockUnconfirmed:
		return http.StatusAccepted, OpenReply{Granted: true, Reason: reason, Lock: string(lock)}, nil
	case controller.LockRefused:
		return 0, OpenReply{}, fail(http.StatusBadGateway, string(lock), "the lock's terminal refused the command: the door did not open")
	case controller.LockNoReply:
		return 0, OpenReply{}, fail(http.StatusServiceUnavailable, string(lock), "the lock's terminal did not answer: the door did not open")
	}
	return 0, OpenReply{}, fail(http.StatusServiceUnavailable, string(controller.LockOffline), "the lock's terminal is offline: the door did not open")
}

// guardOpen is a momentary unlock by account (a guard or admin here, or an
// office account through the office's command): the same path, events and
// answers either way.
func (s *Server) guardOpen(ctx context.Context, door, account string) (int, OpenReply, error) {
	if s.o.Opener == nil {
		return 0, OpenReply{}, fail(http.StatusServiceUnavailable, "unavailable", "no doors are configured")
	}
	lock, err := s.o.Opener.GuardOpen(ctx, door, account)
	if errors.Is(err, store.ErrNotFound) {
		return 0, OpenReply{}, fail(http.StatusNotFound, "not_found", "no door "+door)
	}
	if err != nil {
		return 0, OpenReply{}, err
	}
	return openResult("opened_by_guard", lock)
}

func (s *Server) openDoor(c echo.Context) error {
	sess, _ := sessionOf(c)
	door := c.Param("name")
	if sess.Role != store.RoleDevice {
		if gate := c.QueryParam("gate"); gate != "" && gate != officeSource {
			return s.routeOpen(c, gate, door)
		}
		status, body, err := s.guardOpen(c.Request().Context(), door, sess.Account)
		if err != nil {
			return err
		}
		return c.JSON(status, body)
	}
	if !s.opens.allow(sess.Device, s.now()) {
		return fail(http.StatusTooManyRequests, "rate_limited", "too many open requests from this phone; wait a minute")
	}
	s.touchDevice(c, sess.Device)
	dec, err := s.o.Opener.PhoneOpen(c.Request().Context(), door, sess.Device)
	if errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusNotFound, "not_found", "no door "+door)
	}
	if err != nil {
		return err
	}
	if !dec.Granted {
		return c.JSON(http.StatusForbidden, OpenReply{Reason: dec.Reason})
	}
	return openAnswer(c, dec.Reason, dec.Lock)
}

// PhoneMe is the body of GET /api/v1/phone/me: whose phone this is.
type PhoneMe struct {
	Identity string `json:"identity"`
	Name     string `json:"name"`
	Unit     string `json:"unit,omitempty"` // the flat, e.g. "3-201"
	Device   string `json:"device"`
}

func (s *Server) phoneMe(c echo.Context) error {
	sess, _ := sessionOf(c)
	i, err := s.o.People.Identity(sess.Account)
	if err != nil {
		return storeError(err)
	}
	return c.JSON(http.StatusOK, PhoneMe{Identity: i.ID, Name: i.Name, Unit: i.Unit, Device: sess.Device})
}

// unpairSelf is a phone revoking its own credential (the resident unpairs
// it): from the next request on, the token opens nothing.
func (s *Server) unpairSelf(c echo.Context) error {
	sess, _ := sessionOf(c)
	if err := s.o.Phones.RevokeDevice(sess.Device); err != nil {
		return storeError(err)
	}
	s.audit(c, controller.Event{Kind: "device.unpaired", Identity: sess.Account, Detail: "device " + sess.Device + " unpaired by its resident"})
	return c.NoContent(http.StatusNoContent)
}
