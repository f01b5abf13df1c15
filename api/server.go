package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"menwei/controller"
)

// Events is what the API needs from the event log.
type Events interface {
	Events(controller.EventQuery) ([]controller.Event, error)
}

// Options builds a Server.
type Options struct {
	Events Events
	PDs    func() []controller.PDStatus
	Log    *slog.Logger
}

// Server is the HTTP API.
type Server struct {
	echo *echo.Echo
	o    Options
}

// New returns a server with every route registered.
func New(o Options) *Server {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s := &Server{echo: e, o: o}
	e.HTTPErrorHandler = s.errorHandler
	e.GET("/healthz", s.health)
	v1 := e.Group("/api/v1")
	v1.GET("/events", s.listEvents)
	v1.GET("/pds", s.listPDs)
	return s
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

// EventsPage is the body of GET /api/v1/events.
type EventsPage struct {
	Events []controller.Event `json:"events"`
	// Next is the value to pass as ?after= for the next page.
	Next uint64 `json:"next"`
}

func (s *Server) listEvents(c echo.Context) error {
	q := controller.EventQuery{Kind: c.QueryParam("kind"), Door: c.QueryParam("door"), Identity: c.QueryParam("identity")}
	if v := c.QueryParam("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fail(http.StatusBadRequest, "bad_query", "after: must be an event sequence number")
		}
		q.After = n
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return fail(http.StatusBadRequest, "bad_query", "limit: must be 1…1000")
		}
		q.Limit = n
	}
	for name, dst := range map[string]*time.Time{"since": &q.Since, "until": &q.Until} {
		if v := c.QueryParam(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return fail(http.StatusBadRequest, "bad_query", name+": must be an RFC 3339 time such as 2026-11-29T08:00:00Z")
			}
			*dst = t
		}
	}
	evs, err := s.o.Events.Events(q)
	if err != nil {
		return err
	}
	page := EventsPage{Events: evs, Next: q.After}
	if len(evs) > 0 {
		page.Next = evs[len(evs)-1].Seq
	}
	if page.Events == nil {
		page.Events = []controller.Event{}
	}
	return c.JSON(http.StatusOK, page)
}

func (s *Server) listPDs(c echo.Context) error {
	pds := []controller.PDStatus{}
	if s.o.PDs != nil {
		pds = append(pds, s.o.PDs()...)
	}
	return c.JSON(http.StatusOK, map[string]any{"pds": pds})
}
