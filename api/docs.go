package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"menwei/controller"
	"menwei/controller/eventlog"
)

//go:embed openapi.json
var openAPI []byte

func (s *Server) openapi(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", openAPI)
}

// Streamer is the live side of the event log.
type Streamer interface {
	Subscribe(buf int) (<-chan controller.Event, func())
}

// stream sends events as they are recorded (Server-Sent Events). With
// Last-Event-ID (or ?after=N) it first replays what the client missed.
func (s *Server) stream(c echo.Context) error {
	st, ok := s.o.Events.(Streamer)
	if !ok {
		return fail(http.StatusServiceUnavailable, "unavailable", "no live event stream")
	}
	after := c.Request().Header.Get("Last-Event-ID")
	if after == "" {
		after = c.QueryParam("after")
	}
	var from uint64
	if after != "" {
		n, err := strconv.ParseUint(after, 10, 64)
		if err != nil {
			return fail(http.StatusBadRequest, "bad_query", "after: must be an event sequence number")
		}
		from = n
	}
	live, cancel := st.Subscribe(256)
	defer cancel()
	gates, gcancel := s.gateStream() // nil (never ready) at a gate
	defer gcancel()
	w := c.Response()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(e controller.Event) error {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Kind, b); err != nil {
			return err
		}
		w.Flush()
		return nil
	}
	fmt.Fprint(w, "retry: 2000\n\n")
	w.Flush()
	last := from
	if after != "" { // replay what was missed, then go live without duplicates
		for {
			page, err := s.o.Events.Events(controller.EventQuery{After: last, Limit: 1000})
			if err != nil || len(page) == 0 {
				break
			}
			for _, e := range page {
				if err := send(e); err != nil {
					return nil
				}
				last = e.Seq
			}
		}
	}
	beat := time.NewTicker(15 * time.Second)
	defer beat.Stop()
	for {
		select {
		case <-c.Request().Context().Done():
			return nil
		case e, ok := <-live:
			if !ok {
				return nil // fell behind: the client reconnects with Last-Event-ID
			}
			if e.Seq <= last {
				continue
			}
			if err := send(e); err != nil {
				return nil
			}
			last = e.Seq
		case e, ok := <-gates:
			if !ok {
				return nil // fell behind, as above
			}
			if err := sendGate(w, e); err != nil {
				return nil
			}
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return nil
			}
			w.Flush()
		}
	}
}

// sendGate sends a gate's event with its gate and no id (gateStream).
func sendGate(w *echo.Response, e eventlog.GateEvent) error {
	b, err := json.Marshal(Event{Gate: e.Gate, Event: e.Event})
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Kind, b); err != nil {
		return err
	}
	w.Flush()
	return nil
}

// Exporter writes the event log out (package eventlog).
type Exporter interface {
	Export(ctx context.Context, q controller.EventQuery, format string, out io.Writer) (int, error)
}

// export streams the log as JSON lines or CSV, with the same filters as
// the list (eventFilters; no limit, no paging). CSV cells that a
// spreadsheet would run as a formula are escaped (package eventlog).
func (s *Server) export(c echo.Context) error {
	ex, ok := s.o.Events.(Exporter)
	if !ok {
		return fail(http.StatusServiceUnavailable, "unavailable", "no export")
	}
	format := c.QueryParam("format")
	if _, given := c.QueryParams()["format"]; !given {
		format = "jsonl"
	}
	ctype := map[string]string{"jsonl": "application/x-ndjson", "csv": "text/csv"}[format]
	if ctype == "" {
		return fail(http.StatusBadRequest, "bad_query", "format: jsonl or csv")
	}
	q, ok, err := eventFilters(c)
	if err != nil {
		return err
	}
	if !ok { // nothing can match: the header alone
		q.Kinds = []string{"\x00none"}
	}
	var srcs []string
	if s.isOffice() {
		if srcs, err = s.eventSources(c.QueryParam("gate")); err != nil {
			return err
		}
	} else if c.QueryParam("gate") != "" {
		return fail(http.StatusBadRequest, "bad_query", "gate: this server is not an estate's office")
	}
	s.audit(c, controller.Event{Kind: controller.KindEventsExported, Detail: "events exported as " + format + " (" + truncate(c.QueryString(), 200) + ")"})
	w := c.Response()
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="menwei-events.%s"`, format))
	w.WriteHeader(http.StatusOK)
	if srcs != nil {
		return s.exportOffice(c, srcs, q, format)
	}
	if _, err := ex.Export(c.Request().Context(), q, format, w); err != nil {
		s.o.Log.Error("export stopped", "err", err)
	}
	return nil
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
