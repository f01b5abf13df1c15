package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"menwei/controller"
	"menwei/controller/fingers"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/cardnum"
)

// Capturer takes the next card read at a reader, for enrolment, without
// judging it (controller.CaptureCard).
type Capturer interface {
	CaptureCard(ctx context.Context, reader string, n int, wait time.Duration) (store.Card, error)
}

// CardView is one of a person's cards. Everyone who may see residents gets
// its masked hint and ref (name it by ref to blacklist or remove it); the
// office and admins, who enrol cards, also get the card in the forms an
// installer reads it in.
type CardView struct {
	Ref         string        `json:"ref"`
	Hint        string        `json:"hint"`
	Blacklisted bool          `json:"blacklisted,omitempty"`
	Created     time.Time     `json:"created"`
	Key         string        `json:"key,omitempty"`  // "h10301:188:24910"
	Bits        int           `json:"bits,omitempty"` // the frame's length: 26, 34…
	Forms       cardnum.Forms `json:"forms,omitzero"` // 8h10d, w26, hex (those that apply)
}

// managesCards reports whether the caller enrols cards (sees their numbers).
func managesCards(c echo.Context) bool {
	sess, _ := sessionOf(c)
	return sess.Role == store.RoleAdmin || sess.Role == store.RoleOffice
}

func cardView(cr store.Credential, full bool) (CardView, bool) {
	card, err := store.ParseCard(cr.Key)
	if err != nil {
		return CardView{}, false
	}
	v := CardView{Ref: card.Ref(), Hint: card.Hint(), Blacklisted: cr.Blacklisted, Created: cr.Created}
	if full {
		v.Key, v.Bits, v.Forms = card.String(), card.Bits(), card.Forms()
	}
	return v, true
}

// detailed is view with the cards as CardViews and the counts of the other
// credentials.
func detailed(c echo.Context, i store.Identity, creds []store.Credential) PersonView {
	v := view(i, creds)
	full := managesCards(c)
	v.CardList = []CardView{}
	for _, cr := range creds {
		switch cr.Kind {
		case policy.Card:
			if cv, ok := cardView(cr, full); ok {
				v.CardList = append(v.CardList, cv)
			}
		case policy.Phone:
			v.Phones++
		}
	}
	return v
}

// countEnrolled fills in how many fingerprints and faces the person has
// (for one person's page: both walk every template and face).
func (s *Server) countEnrolled(v *PersonView) error {
	if ts, ok := s.o.People.(interface {
		Templates() ([]fingers.Template, error)
	}); ok {
		all, err := ts.Templates()
		if err != nil {
			return err
		}
		for _, t := range all {
			if t.Identity == v.ID {
				v.Fingers++
			}
		}
	}
	if fs, ok := s.o.People.(interface {
		Faces(yield func(store.FaceRecord) bool) error
	}); ok {
		n := 0
		if err := fs.Faces(func(f store.FaceRecord) bool {
			if f.Identity == v.ID {
				n++
			}
			return true
		}); err != nil {
			return err
		}
		v.Faces = &n
	}
	return nil
}

// ResidentsPage is the body of GET /api/v1/residents.
type ResidentsPage struct {
	People []PersonView `json:"people"`
	Total  int          `json:"total"` // matching residents, over every page
	Offset int          `json:"offset"`
}

// listResidents lists residents ordered by flat then name, optionally
// matching q: a part of the name, the flat or the id (any case), or a card
// number in any form an installer writes it (the printed 10 digits,
// facility,card, hex, "h10301:F:N"). limit (1…500, default 100) and
// offset page the answer.
func (s *Server) listResidents(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	if err := textError("q", q); err != nil {
		return err
	}
	limit, offset := 100, 0
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return fail(http.StatusBadRequest, "bad_query", "limit: must be 1…500")
		}
		limit = n
	}
	if v := c.QueryParam("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fail(http.StatusBadRequest, "bad_query", "offset: must be a number ≥ 0")
		}
		offset = n
	}
	ids, err := s.o.People.Identities(policy.Resident)
	if err != nil {
		return err
	}
	all, err := s.o.People.Credentials("")
	if err != nil {
		return err
	}
	creds := map[string][]store.Credential{}
	for _, cr := range all {
		creds[cr.Identity] = append(creds[cr.Identity], cr)
	}
	cardOwners := map[string]bool{} // identities with a card matching q
	if q != "" {
		readings := cardnum.Readings(q)
		exact := ""
		if card, err := store.ParseCard(q); err == nil {
			exact = card.String()
		}
		for _, cr := range all {
			if cr.Kind != policy.Card {
				continue
			}
			card, err := store.ParseCard(cr.Key)
			if err != nil {
				continue
			}
			n, ok := card.Number()
			if cr.Key == exact || (ok && slices.ContainsFunc(readings, n.Matches)) {
				cardOwners[cr.Identity] = true
			}
		}
	}
	lq := strings.ToLower(q)
	var match []store.Identity
	for _, i := range ids {
		if q == "" || cardOwners[i.ID] || strings.Contains(strings.ToLower(i.Name), lq) ||
			strings.Contains(strings.ToLower(i.Unit), lq) || strings.Contains(strings.ToLower(i.ID), lq) {
			match = append(match, i)
		}
	}
	slices.SortStableFunc(match, func(a, b store.Identity) int {
		if a.Unit != b.Unit {
			return strings.Compare(a.Unit, b.Unit)
		}
		return strings.Compare(a.Name, b.Name)
	})
	consents, err := s.o.People.AllConsents()
	if err != nil {
		return err
	}
	page := ResidentsPage{People: []PersonView{}, Total: len(match), Offset: offset}
	for _, i := range match[min(offset, len(match)):min(offset+limit, len(match))] {
		v := detailed(c, i, creds[i.ID])
		withConsent(&v, consents[i.ID])
		page.People = append(page.People, v)
	}
	return c.JSON(http.StatusOK, page)
}

// CaptureReply is a card captured at a reader: add it with
// POST /api/v1/residents/{id}/cards {"card": key}.
type CaptureReply struct {
	CardView
	// Owner is the person the card already belongs to, if any.
	Owner     string `json:"owner,omitempty"`
	OwnerName string `json:"owner_name,omitempty"`
}

// captureCard waits (up to ?wait= seconds, default 20, at most 60) for the
// next card at reader ?reader= (default 0) of the PD or converter named,
// and returns it. The read opens nothing (see controller.CaptureCard).
func (s *Server) captureCard(c echo.Context) error {
	n, wait := 0, 20
	for name, dst := range map[string]*int{"reader": &n, "wait": &wait} {
		if v := c.QueryParam(name); v != "" {
			x, err := strconv.Atoi(v)
			if err != nil {
				return fail(http.StatusBadRequest, "bad_query", name+": must be a whole number")
			}
			*dst = x
		}
	}
	if n < 0 || n > 255 {
		return fail(http.StatusBadRequest, "bad_query", "reader: 0…255")
	}
	if wait < 1 || wait > 60 {
		return fail(http.StatusBadRequest, "bad_query", "wait: 1…60 seconds")
	}
	card, err := s.o.Capture.CaptureCard(c.Request().Context(), c.Param("name"), n, time.Duration(wait)*time.Second)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fail(http.StatusNotFound, "not_found", "name: no reader "+strconv.Quote(c.Param("name")))
	case errors.Is(err, controller.ErrCaptureBusy):
		return fail(http.StatusConflict, "capture_busy", "someone is already capturing a card at this reader")
	case errors.Is(err, controller.ErrCaptureTimeout):
		return fail(http.StatusGatewayTimeout, "capture_timeout", "no card was presented at the reader in "+strconv.Itoa(wait)+" s")
	case errors.Is(err, context.Canceled):
		return nil // the caller went away
	case err != nil:
		return err
	}
	cv, _ := cardView(store.Credential{Kind: policy.Card, Key: card.String()}, true)
	reply := CaptureReply{CardView: cv}
	if cred, owner, err := s.o.People.Lookup(policy.Card, card.String()); err == nil {
		reply.Owner, reply.OwnerName, reply.Blacklisted = owner.ID, owner.Name, cred.Blacklisted
	}
	return c.JSON(http.StatusOK, reply)
}

// DeviceView is a paired phone as the pages show it (never its secret).
type DeviceView struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Created  time.Time  `json:"created"`
	LastUsed *time.Time `json:"last_used,omitempty"` // absent: never used
	Revoked  bool       `json:"revoked,omitempty"`
}

// listDevices lists a resident's paired phones, revoked ones included.
func (s *Server) listDevices(c echo.Context) error {
	lister, ok := s.o.Phones.(interface {
		Devices(identity string) ([]store.Device, error)
	})
	if !ok {
		return fail(http.StatusServiceUnavailable, "unavailable", "phones cannot be listed here")
	}
	if s.o.People != nil {
		if _, err := s.o.People.Identity(c.Param("id")); err != nil {
			return storeError(err)
		}
	}
	ds, err := lister.Devices(c.Param("id"))
	if err != nil {
		return err
	}
	out := []DeviceView{}
	for _, d := range ds {
		v := DeviceView{ID: d.ID, Name: d.Name, Created: d.Created, Revoked: d.Revoked}
		if !d.LastUsed.IsZero() {
			v.LastUsed = &d.LastUsed
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"devices": out})
}

// touchDevice records a phone's use (best effort: a failure is logged,
// never a reason to refuse what the phone asked).
func (s *Server) touchDevice(c echo.Context, device string) {
	t, ok := s.o.Phones.(interface {
		TouchDevice(id string, at time.Time) error
	})
	if !ok {
		return
	}
	if err := t.TouchDevice(device, s.now()); err != nil {
		s.o.Log.Warn("phone's last use not recorded", "device", device, "err", err)
	}
}

// ScheduleView is a schedule a person may be given.
type ScheduleView struct {
	ID      string   `json:"id"`
	Name    string   `json:"name,omitempty"`
	Periods []string `json:"periods"`
}

func (s *Server) listSchedules(c echo.Context) error {
	sch, err := s.o.People.Schedules()
	if err != nil {
		return err
	}
	out := []ScheduleView{}
	for _, x := range sch {
		out = append(out, ScheduleView{ID: x.ID, Name: x.Name, Periods: x.Periods})
	}
	return c.JSON(http.StatusOK, map[string]any{"schedules": out})
}
