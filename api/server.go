package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"menwei/controller"
	"menwei/controller/door"
	"menwei/controller/eventlog"
	"menwei/controller/store"
)

// Events is what the API needs from the event log.
type Events interface {
	Events(controller.EventQuery) ([]controller.Event, error)
	Page(controller.EventQuery) (controller.EventPage, error)
	Crop(seq uint64) ([]byte, error)
}

// Options builds a Server.
type Options struct {
	Events   Events
	PDs      func() []controller.PDStatus
	Doors    Doors
	Auth     Auth
	Phones   Phones
	Opener   Opener
	People   People
	Enroller Enroller
	Alarms   Alarms
	// Received and GateLinks make this server an estate's office (both nil
	// at a gate or a standalone box): its gates' events beside its own,
	// its gates, and door commands routed to them (office.go).
	Received   Received
	GateLinks  GateCommander
	GateAlarms GateAlarms
	// Capture takes the next card read at a reader for enrolment; nil = no
	// capture route.
	Capture  Capturer
	Accounts Accounts
	// Backup streams backups of the running store; nil = no backup route.
	Backup Backuper
	Audit  interface {
		Append(context.Context, controller.Event) (controller.Event, error)
	}
	Metrics       http.Handler             // Prometheus exposition; nil = no /metrics
	Health        func() controller.Health // for /readyz; nil = always ready
	SecureCookies bool                     // set the Secure flag (HTTPS)
	// OpensPerMinute limits phone-open requests per device; 0 = 10.
	OpensPerMinute int
	Now            func() time.Time // nil = time.Now
	// Timezone is the controller's time zone (config timezone, e.g.
	// Asia/Shanghai), reported so the pages show times in it; "" = not
	// configured (the server's local zone; the pages use their own).
	Timezone string
	// DirectoryAtOffice: this gate is joined to an estate, whose office
	// manages the directory (docs/estate.md): edits of people, cards,
	// biometrics, consents and visitors are refused here (409
	// directory_at_office); reading them, doors, modes, alarms, phone opens
	// and pairing stay local.
	DirectoryAtOffice bool
	Log               *slog.Logger
}

// Server is the HTTP API.
type Server struct {
	echo   *echo.Echo
	o      Options
	routes []routeInfo
	limits *limiter // logins and pairing
	opens  *limiter // phone-open per device
}

func (s *Server) now() time.Time { return s.o.Now() }

// New returns a server with every route registered.
func New(o Options) *Server {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s := &Server{echo: e, o: o, limits: newLimiter(), opens: newLimiter()}
	if o.OpensPerMinute > 0 {
		s.opens.perMinute = o.OpensPerMinute
	}
	e.HTTPErrorHandler = s.errorHandler
	// Who may do what (docs/console.md): guards watch and run the gate;
	// the property office (物业) manages people and reads events but opens
	// no door and changes no mode; admins do everything.
	var (
		staff  = []string{store.RoleGuard, store.RoleAdmin}                   // the gate: doors, modes
		all    = []string{store.RoleGuard, store.RoleOffice, store.RoleAdmin} // read, visitors, urgent narrowing
		office = []string{store.RoleOffice, store.RoleAdmin}                  // people: add, change, enrol, remove
	)
	const v1 = "/api/v1"
	s.route(http.MethodGet, "/healthz", s.health, anyone)
	s.route(http.MethodGet, "/readyz", s.ready, anyone)
	if o.Metrics != nil {
		s.route(http.MethodGet, "/metrics", echo.WrapHandler(o.Metrics), anyone)
	}
	s.route(http.MethodPost, v1+"/login", s.login, anyone)
	s.route(http.MethodPost, v1+"/logout", s.logout, signedIn)
	s.route(http.MethodGet, v1+"/session", s.whoami, signedIn)
	if o.Accounts != nil {
		admin := store.RoleAdmin
		s.route(http.MethodPost, v1+"/session/password", s.changeOwnPassword, signedIn)
		s.route(http.MethodGet, v1+"/accounts", s.listAccounts, admin)
		s.route(http.MethodPost, v1+"/accounts", s.addAccount, admin)
		s.route(http.MethodPost, v1+"/accounts/:name/disable", s.setDisabled(true), admin)
		s.route(http.MethodPost, v1+"/accounts/:name/enable", s.setDisabled(false), admin)
		s.route(http.MethodPost, v1+"/accounts/:name/password", s.resetPassword, admin)
	}
	s.route(http.MethodGet, v1+"/openapi.json", s.openapi, anyone)
	if o.Backup != nil {
		s.route(http.MethodGet, v1+"/backup", s.backup, store.RoleAdmin)
	}
	s.route(http.MethodGet, v1+"/events", s.listEvents, all...)
	s.route(http.MethodGet, v1+"/events/stream", s.stream, all...)
	s.route(http.MethodGet, v1+"/events/export", s.export, all...)
	s.route(http.MethodGet, v1+"/events/:seq/crop", s.crop, all...)
	s.route(http.MethodGet, v1+"/alarms", s.listAlarms, all...)
	s.route(http.MethodPost, v1+"/alarms/:seq/ack", s.ackAlarm, staff...)
	s.route(http.MethodGet, v1+"/gates", s.listGates, all...) // 404 not_office but at an office
	s.route(http.MethodGet, v1+"/pds", s.listPDs, all...)
	s.route(http.MethodGet, v1+"/doors", s.listDoors, all...)
	s.route(http.MethodPost, v1+"/doors/:name/mode", func(c echo.Context) error { return s.setMode(c, []string{c.Param("name")}) }, staff...)
	s.route(http.MethodPost, v1+"/emergency", func(c echo.Context) error { return s.setMode(c, nil) }, staff...)
	if o.People != nil && o.Enroller != nil {
		s.route(http.MethodGet, v1+"/residents", s.listResidents, all...)
		s.route(http.MethodPost, v1+"/residents", s.directory(s.putResident), office...)
		s.route(http.MethodPost, v1+"/residents/import", s.directory(s.importResidents), office...)
		s.route(http.MethodGet, v1+"/residents/:id", s.getPerson, all...)
		s.route(http.MethodPut, v1+"/residents/:id", s.directory(s.putResident), office...)
		s.route(http.MethodDelete, v1+"/residents/:id", s.directory(s.deletePerson), office...)
		s.route(http.MethodPost, v1+"/residents/:id/cards", s.directory(s.addCard), office...)
		s.route(http.MethodDelete, v1+"/residents/:id/cards", s.directory(s.removeCard), office...)
		// A lost card is urgent and blacklisting only narrows access: a
		// guard may do it; taking a card off the list opens doors again.
		s.route(http.MethodPost, v1+"/residents/:id/cards/blacklist", s.directory(func(c echo.Context) error { return s.blacklistCard(c, true) }), all...)
		s.route(http.MethodDelete, v1+"/residents/:id/cards/blacklist", s.directory(func(c echo.Context) error { return s.blacklistCard(c, false) }), office...)
		s.route(http.MethodPut, v1+"/residents/:id/pin", s.directory(s.setPIN), office...)
		s.route(http.MethodPost, v1+"/residents/:id/face", s.directory(s.enrolFace), office...)
		s.route(http.MethodPost, v1+"/residents/:id/fingerprint", s.directory(s.enrolFinger), office...)
		s.route(http.MethodGet, v1+"/residents/:id/consents", s.listConsents, all...)
		s.route(http.MethodPost, v1+"/residents/:id/consents", s.directory(s.postConsent), office...)
		s.route(http.MethodDelete, v1+"/residents/:id/consents/:biometric", s.directory(s.withdrawConsent), office...)
		s.route(http.MethodGet, v1+"/residents/:id/export", s.exportPerson, office...)
		s.route(http.MethodPost, v1+"/residents/:id/erase", s.directory(s.erasePerson), office...)
		s.route(http.MethodGet, v1+"/schedules", s.listSchedules, all...)
		s.route(http.MethodGet, v1+"/visitors", s.listVisitors, all...)
		s.route(http.MethodPost, v1+"/visitors", s.directory(s.createVisitor), all...)
		s.route(http.MethodPost, v1+"/visitors/:id/revoke", s.directory(s.revokeVisitor), all...)
		s.route(http.MethodDelete, v1+"/visitors/:id", s.directory(s.deletePerson), all...)
		if o.Capture != nil {
			s.route(http.MethodPost, v1+"/readers/:name/capture", s.captureCard, office...)
		}
	}
	if o.Phones != nil && o.Opener != nil {
		s.route(http.MethodPost, v1+"/residents/:id/pairing", s.issuePairing, all...)
		s.route(http.MethodGet, v1+"/residents/:id/devices", s.listDevices, all...)
		s.route(http.MethodPost, v1+"/pair", s.pair, anyone)
		// A lost phone is urgent like a lost card: a guard may revoke it.
		s.route(http.MethodDelete, v1+"/devices/:id", s.revokeDevice, all...)
		s.route(http.MethodPost, v1+"/doors/:name/open", s.openDoor, store.RoleDevice, store.RoleGuard, store.RoleAdmin)
		s.route(http.MethodGet, v1+"/phone/doors", s.phoneDoors, store.RoleDevice)
		s.route(http.MethodDelete, v1+"/phone/device", s.unpairSelf, store.RoleDevice)
		if o.People != nil {
			s.route(http.MethodGet, v1+"/phone/me", s.phoneMe, store.RoleDevice)
			s.route(http.MethodPost, v1+"/phone/invite", s.directory(s.invite), store.RoleDevice)
		}
	}
	s.pages()
	return s
}

// directory wraps a handler that edits the directory: on a joined gate it
// is refused, before it reads the request, and changes nothing.
func (s *Server) directory(h echo.HandlerFunc) echo.HandlerFunc {
	if !s.o.DirectoryAtOffice {
		return h
	}
	return func(echo.Context) error {
		return fail(http.StatusConflict, "directory_at_office",
			"this gate is joined to the estate's property office: residents, cards and visitors are registered and changed at the office")
	}
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// APIError is the body of every error response.
type APIError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func fail(status int, code, msg string) error {
	return &echo.HTTPError{Code: status, Message: APIError{code, msg}}
}

func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := http.StatusInternalServerError, APIError{"internal", "internal error"}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status = he.Code
		switch m := he.Message.(type) {
		case APIError:
			body = m
		default:
			body = APIError{http.StatusText(status), http.StatusText(status)}
			if status == http.StatusNotFound {
				body.Code = "not_found"
			}
		}
	}
	if status >= 500 {
		s.o.Log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	_ = c.JSON(status, map[string]APIError{"error": body})
}

func (s *Server) health(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// ready answers 200 once the controller runs its buses, 503 before and
// after.
// ReadyReply is the body of /readyz: "ready" (200) or "not_ready" (503)
// with what is not, and the state of every part (controller.Health says
// exactly what ready means).
type ReadyReply struct {
	Status string            `json:"status"`
	Error  *APIError         `json:"error,omitempty"`
	Health controller.Health `json:"health"`
}

func (s *Server) ready(c echo.Context) error {
	if s.o.Health == nil {
		return c.JSON(http.StatusOK, ReadyReply{Status: "ready", Health: controller.Health{Ready: true}})
	}
	h := s.o.Health()
	if !h.Ready {
		return c.JSON(http.StatusServiceUnavailable, ReadyReply{Status: "not_ready",
			Error: &APIError{"not_ready", strings.Join(h.NotReady, "; ")}, Health: h})
	}
	return c.JSON(http.StatusOK, ReadyReply{Status: "ready", Health: h})
}

// EventsPage is the body of GET /api/v1/events.
type EventsPage struct {
	Events []Event `json:"events"`
	// Next is the value to pass for the next page: as ?after= in the
	// default order (oldest first), as ?before= with order=desc. It is
	// where the page stopped reading, which may be past its last event.
	Next uint64 `json:"next"`
	// More is false once the page reached the end of the log (its oldest
	// retained event with order=desc): no later page holds a match. A page
	// may hold fewer than limit events and still have More: each page
	// reads at most scanPerPage events, so a filter that matches little
	// never reads the whole log in one request.
	More bool `json:"more"`
	// Cursor, at the office over every source (no ?gate=), is what to pass
	// as ?cursor= for the next page (Next is then unused): where each
	// source stopped.
	Cursor string `json:"cursor,omitempty"`
}

// scanPerPage bounds the events one GET /api/v1/events reads.
const scanPerPage = 20000

// eventFilters reads the filters shared by the event list and the export:
// kind (a comma-separated list; "door.*" is a family), door, identity,
// person (an identity, or part of a name), result (granted or denied: the
// access decisions only), since and until (RFC 3339). ok is false when the
// filters cannot match anything (a result outside the kinds asked for).
func eventFilters(c echo.Context) (q controller.EventQuery, ok bool, err error) {
	q = controller.EventQuery{Door: c.QueryParam("door"), Identity: c.QueryParam("identity"), Person: strings.TrimSpace(c.QueryParam("person"))}
	for _, k := range strings.Split(c.QueryParam("kind"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			q.Kinds = append(q.Kinds, k)
		}
	}
	for name, v := range map[string]string{"door": q.Door, "identity": q.Identity, "person": q.Person, "kind": c.QueryParam("kind")} {
		if err := textError(name, v); err != nil {
			return q, false, err
		}
	}
	ok = true
	switch r := c.QueryParam("result"); r {
	case "":
	case "granted", "denied":
		kind := map[string]string{"granted": controller.KindGranted, "denied": controller.KindDenied}[r]
		ok = len(q.Kinds) == 0 || eventlog.KindIn(kind, q.Kinds)
		q.Kinds = []string{kind}
	default:
		return q, false, fail(http.StatusBadRequest, "bad_query", "result: granted or denied")
	}
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if v := c.QueryParam(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return q, false, fail(http.StatusBadRequest, "bad_query", name+": must be an RFC 3339 time such as 2026-11-29T08:00:00Z")
			}
			*dst = t
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Since.Before(q.Until) {
		return q, false, fail(http.StatusBadRequest, "bad_query", "until: must be after since")
	}
	return q, ok, nil
}

func (s *Server) listEvents(c echo.Context) error {
	q, ok, err := eventFilters(c)
	if err != nil {
		return err
	}
	for name, dst := range map[string]*uint64{"after": &q.After, "before": &q.Before} {
		if v := c.QueryParam(name); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return fail(http.StatusBadRequest, "bad_query", name+": must be an event sequence number")
			}
			*dst = n
		}
	}
	switch c.QueryParam("order") {
	case "", "asc":
	case "desc":
		q.Newest = true
	default:
		return fail(http.StatusBadRequest, "bad_query", "order: asc (oldest first) or desc (newest first)")
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fail(http.StatusBadRequest, "bad_query", "limit: must be 1…1000")
		}
		q.Limit = n
	}
	if s.isOffice() {
		return s.listOfficeEvents(c, q, ok)
	}
	if c.QueryParam("gate") != "" || c.QueryParam("cursor") != "" {
		return fail(http.StatusBadRequest, "bad_query", "gate, cursor: this server is not an estate's office")
	}
	page := EventsPage{Events: []Event{}, Next: q.After}
	if q.Newest {
		page.Next = q.Before
	}
	if !ok {
		return c.JSON(http.StatusOK, page)
	}
	q.Scan = scanPerPage
	p, err := s.o.Events.Page(q)
	if err != nil {
		return err
	}
	page.Next, page.More = p.Next, p.More
	page.Events = append(page.Events, ownEvents(p.Events)...)
	return c.JSON(http.StatusOK, page)
}

func (s *Server) listPDs(c echo.Context) error {
	pds := []controller.PDStatus{}
	if s.o.PDs != nil {
		pds = append(pds, s.o.PDs()...)
	}
	return c.JSON(http.StatusOK, map[string]any{"pds": pds})
}

// Doors is what the API needs to show and command doors.
type Doors interface {
	Doors() []controller.DoorStatus
	// SetDoorModes changes every door or none.
	SetDoorModes(ctx context.Context, doors []string, m door.Mode, why string) error
}

// ModeRequest is the body of POST /api/v1/doors/{name}/mode and /api/v1/emergency.
type ModeRequest struct {
	Mode   string   `json:"mode"`            // normal, emergency_unlock or lockdown
	Doors  []string `json:"doors,omitempty"` // /emergency only: empty = every door
	Reason string   `json:"reason,omitempty"`
	// Gate, at the office: the gate whose doors these are (as ?gate=);
	// "" or "office" = the office's own.
	Gate string `json:"gate,omitempty"`
}

// decodeStrict reads a JSON body, refusing unknown fields, wrong types,
// trailing data and bodies over 64 KiB, with a message naming the problem.
func decodeStrict(c echo.Context, v any) error {
	body := http.MaxBytesReader(c.Response(), c.Request().Body, 64<<10)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &te):
			return fail(http.StatusBadRequest, "bad_request", fmt.Sprintf("%s: must be %s", te.Field, te.Type))
		case errors.As(err, &mbe):
			return fail(http.StatusRequestEntityTooLarge, "too_large", "body over 64 KiB")
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return fail(http.StatusBadRequest, "bad_request", strings.TrimPrefix(err.Error(), "json: "))
		}
		return fail(http.StatusBadRequest, "bad_request", "malformed JSON: "+err.Error())
	}
	if dec.More() {
		return fail(http.StatusBadRequest, "bad_request", "trailing data after the JSON body")
	}
	return checkText(v)
}

func (s *Server) listDoors(c echo.Context) error {
	return c.JSON(http.StatusOK, s.doorsBody(false))
}

// DoorsReply is the body of GET /api/v1/doors, and of a door mode change:
// the doors as they are after it. A gate's answer to the office's doors
// command has its terminals too.
type DoorsReply struct {
	Doors []controller.DoorStatus `json:"doors"`
	PDs   []controller.PDStatus   `json:"pds,omitempty"`
}

func (s *Server) doorsBody(pds bool) DoorsReply {
	r := DoorsReply{Doors: []controller.DoorStatus{}}
	if s.o.Doors != nil {
		r.Doors = append(r.Doors, s.o.Doors.Doors()...)
	}
	if pds && s.o.PDs != nil {
		r.PDs = s.o.PDs()
	}
	return r
}

func (s *Server) setMode(c echo.Context, names []string) error {
	var req ModeRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	if gate := cmp.Or(c.QueryParam("gate"), req.Gate); gate != "" && gate != officeSource {
		return s.routeMode(c, gate, names, req)
	}
	sess, _ := sessionOf(c)
	body, err := s.changeModes(c.Request().Context(), names, req, sess.Account)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, body)
}

// changeModes sets req's mode on the doors named (nil: req.Doors, or every
// door), for account, and answers the doors as they are after it. The
// local API and a gate answering the office's command both come here.
func (s *Server) changeModes(ctx context.Context, names []string, req ModeRequest, account string) (DoorsReply, error) {
	if s.o.Doors == nil {
		return DoorsReply{}, fail(http.StatusServiceUnavailable, "unavailable", "no doors are configured")
	}
	m, err := door.ParseMode(req.Mode)
	if err != nil {
		return DoorsReply{}, fail(http.StatusBadRequest, "bad_request", "mode: normal, emergency_unlock or lockdown")
	}
	if names == nil {
		names = req.Doors
	} else if len(req.Doors) > 0 {
		return DoorsReply{}, fail(http.StatusBadRequest, "bad_request", "doors: not allowed here")
	}
	if len(names) == 0 {
		for _, d := range s.o.Doors.Doors() {
			names = append(names, d.Name)
		}
	}
	why := req.Reason
	if why == "" {
		why = "operator command"
	}
	if account != "" {
		why += " (by " + account + ")"
	}
	// All or nothing: a request naming an unknown door changes no door.
	err = s.o.Doors.SetDoorModes(ctx, names, m, why)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return DoorsReply{}, fail(http.StatusNotFound, "not_found", strings.TrimPrefix(err.Error(), store.ErrNotFound.Error()+": ")+": no such door; no door was changed")
	case errors.Is(err, door.ErrEmergency):
		return DoorsReply{}, fail(http.StatusConflict, "emergency", strings.TrimPrefix(err.Error(), "controller: ")+": set it to normal first; no door was changed")
	case err != nil:
		return DoorsReply{}, err
	}
	return s.doorsBody(false), nil
}

// crop serves the face crop kept for a denied capture.
func (s *Server) crop(c echo.Context) error {
	seq, err := strconv.ParseUint(c.Param("seq"), 10, 64)
	if err != nil {
		return fail(http.StatusBadRequest, "bad_request", "seq: must be an event sequence number")
	}
	img, err := s.o.Events.Crop(seq)
	if errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusNotFound, "not_found", "no face crop for this event")
	}
	if err != nil {
		return err
	}
	s.audit(c, controller.Event{Kind: controller.KindCropViewed, Ref: seq, Detail: fmt.Sprintf("face crop of event %d viewed", seq)})
	c.Response().Header().Set("Cache-Control", "private, no-store")
	return c.Blob(http.StatusOK, "image/jpeg", img)
}
