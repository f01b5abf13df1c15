package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"

	"menwei/biometric/face"
	"menwei/controller"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/cardnum"
)

// People is what the API needs to manage residents and visitors.
type People interface {
	Identities(kind policy.Kind) ([]store.Identity, error)
	Identity(id string) (store.Identity, error)
	PutIdentity(store.Identity) error
	PutIdentityWith(i store.Identity, creds []store.Credential) error
	AddCredential(store.Credential) error
	RemoveCredential(kind policy.Factor, key string) error
	SetBlacklisted(kind policy.Factor, key string, on bool) error
	Credentials(identity string) ([]store.Credential, error)
	SetPIN(id, pin string, duress bool) error
	NewPassCode(identity string) (string, error)
	Lookup(kind policy.Factor, key string) (store.Credential, store.Identity, error)
	Schedules() ([]store.Schedule, error)
	GiveConsent(store.Consent) error
	Consents(identity string) ([]store.Consent, error)
	AllConsents() (map[string][]store.Consent, error)
	Person(id string) (store.PersonRecord, error)
	RevokePass(id, by string, now time.Time) (store.Identity, error)
}

// Enroller enrols what needs the controller: faces (the model), fingers
// (a module), and removing a person everywhere.
type Enroller interface {
	// FaceOf checks a photo (exactly one face) and returns its descriptor,
	// changing nothing; EnrollDescriptor then enrols it.
	FaceOf(ctx context.Context, photo []byte) ([128]float32, error)
	EnrollDescriptor(identity, id string, d [128]float32) error
	// SameFace finds the identity whose enrolled face a descriptor is
	// (within the match threshold), changing nothing.
	SameFace(d [128]float32) (identity string, ok bool)
	EnrollFinger(ctx context.Context, module, identity string) (int, error)
	RemoveIdentity(ctx context.Context, id string) error
	// WithdrawConsent deletes the biometric everywhere and records the
	// withdrawal; it returns the consent as it stands and what was deleted.
	WithdrawConsent(ctx context.Context, id string, b policy.Factor, by string) (store.Consent, int, error)
	// ErasePerson removes everything held about a person and pseudonymises
	// their events.
	ErasePerson(ctx context.Context, id, by string) (controller.ErasureReport, error)
}

// FingerRequest starts a fingerprint enrolment at a module.
type FingerRequest struct {
	Module string `json:"module"`
	// Consent is the version of the consent text the person agreed to,
	// taken now; without it a consent recorded before must be in force.
	Consent string `json:"consent,omitempty"`
}

// enrolFinger waits while the resident touches the module twice (up to a
// minute), then answers with the slot the template is stored at.
func (s *Server) enrolFinger(c echo.Context) error {
	var req FingerRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	if req.Consent != "" {
		if _, err := s.o.People.Identity(c.Param("id")); err != nil {
			return storeError(err)
		}
		cs, err := s.consentOf(c, c.Param("id"), policy.Finger, req.Consent, "consent")
		if err != nil {
			return err
		}
		if err := s.giveConsent(c, cs); err != nil {
			return err
		}
	}
	slot, err := s.o.Enroller.EnrollFinger(c.Request().Context(), req.Module, c.Param("id"))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrNoConsent) {
			return storeError(err)
		}
		return fail(http.StatusUnprocessableEntity, "enrolment_failed", err.Error())
	}
	s.audit(c, controller.Event{Kind: "credential.added", Identity: c.Param("id"), Detail: fmt.Sprintf("fingerprint at %s, slot %d", req.Module, slot)})
	return c.JSON(http.StatusCreated, map[string]int{"slot": slot})
}

// PersonView is an identity as the API shows it: never a hash.
type PersonView struct {
	ID       string      `json:"id"`
	Kind     policy.Kind `json:"kind"`
	Name     string      `json:"name"`
	Unit     string      `json:"unit,omitempty"`
	Phone    string      `json:"phone,omitempty"`
	Groups   []string    `json:"groups,omitempty"`
	Schedule string      `json:"schedule,omitempty"`
	Disabled bool        `json:"disabled,omitempty"`
	Host     string      `json:"host,omitempty"`
	Pass     *store.Pass `json:"pass,omitempty"`
	HasPIN   bool        `json:"has_pin"`
	Cards    []string    `json:"cards,omitempty"` // masked
	// The resident routes also give each card (CardView) and how many
	// phones are paired (revoked ones not counted).
	CardList []CardView `json:"card_list,omitempty"`
	Phones   int        `json:"phones,omitempty"`
	// One resident's page (GET and PUT /residents/{id}) also counts the
	// fingerprint templates and the faces enrolled.
	Fingers int  `json:"fingerprints,omitempty"`
	Faces   *int `json:"faces,omitempty"`
	// The resident routes also say, per biometric, whether the person
	// consented ("given"), withdrew ("withdrawn") or never did (absent),
	// and the ways in without a biometric they have (card, pin, phone):
	// who declined, and how they enter.
	Consent map[policy.Factor]string `json:"consent,omitempty"`
	WaysIn  []policy.Factor          `json:"ways_in,omitempty"`
}

// withConsent fills in Consent and WaysIn from the person's consent records
// (the credentials are already in v).
func withConsent(v *PersonView, cs []store.Consent) {
	for _, c := range cs {
		if v.Consent == nil {
			v.Consent = map[policy.Factor]string{}
		}
		v.Consent[c.Biometric] = map[bool]string{true: "given", false: "withdrawn"}[c.InForce()]
	}
	v.WaysIn = nil
	for _, cv := range v.CardList {
		if !cv.Blacklisted {
			v.WaysIn = append(v.WaysIn, policy.Card)
			break
		}
	}
	if v.HasPIN {
		v.WaysIn = append(v.WaysIn, policy.PIN)
	}
	if v.Phones > 0 {
		v.WaysIn = append(v.WaysIn, policy.Phone)
	}
}

func view(i store.Identity, creds []store.Credential) PersonView {
	v := PersonView{ID: i.ID, Kind: i.Kind, Name: i.Name, Unit: i.Unit, Phone: i.Phone, Groups: i.Groups, Schedule: i.Schedule,
		Disabled: i.Disabled, Host: i.Host, Pass: i.Pass, HasPIN: i.PIN != nil}
	for _, c := range creds {
		if c.Kind == policy.Card {
			if card, err := store.ParseCard(c.Key); err == nil {
				v.Cards = append(v.Cards, card.Hint())
			}
		}
	}
	return v
}

// PersonRequest is the body to create or change a resident.
type PersonRequest struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Unit     string   `json:"unit"`
	Phone    string   `json:"phone"`
	Groups   []string `json:"groups"`
	Schedule string   `json:"schedule"` // a schedule's id (GET /api/v1/schedules); "" = none
	Disabled bool     `json:"disabled"`
}

func storeError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fail(http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, store.ErrBadRequest):
		return fail(http.StatusBadRequest, "bad_request", strings.TrimPrefix(err.Error(), store.ErrBadRequest.Error()+": "))
	case errors.Is(err, store.ErrCardInUse):
		return fail(http.StatusConflict, "conflict", "the card belongs to someone else")
	case errors.Is(err, store.ErrNoConsent):
		return fail(http.StatusConflict, "consent_required", "consent: "+strings.TrimPrefix(err.Error(), store.ErrNoConsent.Error()+": ")+
			"; record the person's consent to this biometric first (or send the consent field with the enrolment)")
	}
	return err
}

func (s *Server) listPeople(kind policy.Kind) echo.HandlerFunc {
	return func(c echo.Context) error {
		ids, err := s.o.People.Identities(kind)
		if err != nil {
			return err
		}
		out := []PersonView{}
		for _, i := range ids {
			creds, err := s.o.People.Credentials(i.ID)
			if err != nil {
				return err
			}
			out = append(out, view(i, creds))
		}
		return c.JSON(http.StatusOK, map[string]any{"people": out})
	}
}

func (s *Server) getPerson(c echo.Context) error {
	i, err := s.o.People.Identity(c.Param("id"))
	if err != nil {
		return storeError(err)
	}
	if i.Kind != policy.Resident && strings.Contains(c.Path(), "/residents/") {
		return fail(http.StatusNotFound, "not_found", "no resident "+c.Param("id"))
	}
	creds, err := s.o.People.Credentials(i.ID)
	if err != nil {
		return err
	}
	v := detailed(c, i, creds)
	if err := s.countEnrolled(&v); err != nil {
		return err
	}
	cs, err := s.o.People.Consents(i.ID)
	if err != nil {
		return err
	}
	withConsent(&v, cs)
	return c.JSON(http.StatusOK, v)
}

func (s *Server) putResident(c echo.Context) error {
	var req PersonRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	if id := c.Param("id"); id != "" {
		if req.ID != "" && req.ID != id {
			return fail(http.StatusBadRequest, "bad_request", "id: does not match the path")
		}
		req.ID = id
		old, err := s.o.People.Identity(id)
		if err != nil {
			return storeError(err)
		}
		if old.Kind != policy.Resident {
			return fail(http.StatusNotFound, "not_found", "no resident "+id)
		}
	} else if _, err := s.o.People.Identity(req.ID); err == nil {
		return fail(http.StatusConflict, "conflict", "id: resident "+req.ID+" exists (PUT /api/v1/residents/{id} to change)")
	}
	if err := s.checkSchedule(req.Schedule); err != nil {
		return err
	}
	i := store.Identity{ID: req.ID, Kind: policy.Resident, Name: strings.TrimSpace(req.Name), Unit: strings.TrimSpace(req.Unit),
		Phone: strings.TrimSpace(req.Phone), Groups: req.Groups, Schedule: req.Schedule, Disabled: req.Disabled}
	if err := s.o.People.PutIdentity(i); err != nil {
		return storeError(err)
	}
	s.audit(c, controller.Event{Kind: "identity.saved", Identity: i.ID, Detail: "resident saved"})
	status := http.StatusOK
	if c.Param("id") == "" {
		status = http.StatusCreated
	}
	saved, err := s.o.People.Identity(i.ID)
	if err != nil {
		return err
	}
	creds, err := s.o.People.Credentials(i.ID)
	if err != nil {
		return err
	}
	v := detailed(c, saved, creds)
	if err := s.countEnrolled(&v); err != nil {
		return err
	}
	return c.JSON(status, v)
}

// checkSchedule refuses a schedule id that names no stored schedule.
func (s *Server) checkSchedule(id string) error {
	if id == "" {
		return nil
	}
	all, err := s.o.People.Schedules()
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(all, func(x store.Schedule) bool { return x.ID == id }) {
		return fail(http.StatusBadRequest, "bad_request", "schedule: no schedule "+strconv.Quote(id))
	}
	return nil
}

func (s *Server) deletePerson(c echo.Context) error {
	if strings.Contains(c.Path(), "/visitors/") {
		i, err := s.o.People.Identity(c.Param("id"))
		if err != nil {
			return storeError(err)
		}
		if i.Kind != policy.Visitor {
			return fail(http.StatusNotFound, "not_found", "no visitor "+c.Param("id"))
		}
	}
	if err := s.o.Enroller.RemoveIdentity(c.Request().Context(), c.Param("id")); err != nil {
		return storeError(err)
	}
	s.audit(c, controller.Event{Kind: "identity.deleted", Identity: c.Param("id"), Detail: "removed"})
	return c.NoContent(http.StatusNoContent)
}

// CardRequest names a card. To add one: card as written, in format —
// "" (the default) for "1:1234", "h10301:1:1234", "raw:40:0102030405"; or
// an installer's form, "8h10d" (the 10 digits printed on the card), "w26"
// ("188,24910") or "hex" ("00BC614E"), kept under the frame the estate's
// readers send: bits 26 (the default) or 34. To remove or blacklist one:
// card, or ref (CardView.Ref) so the number need not be sent again.
type CardRequest struct {
	Card   string `json:"card,omitempty"`
	Format string `json:"format,omitempty"`
	Bits   int    `json:"bits,omitempty"`
	Ref    string `json:"ref,omitempty"`
}

// parse reads the card of an add request.
func (r CardRequest) parse() (store.Card, error) {
	if r.Ref != "" {
		return store.Card{}, fail(http.StatusBadRequest, "bad_request", "ref: not allowed when adding a card (send card)")
	}
	if strings.TrimSpace(r.Card) == "" {
		return store.Card{}, fail(http.StatusBadRequest, "bad_request", "card: required")
	}
	switch r.Format {
	case "", "wiegand":
		if r.Bits != 0 {
			return store.Card{}, fail(http.StatusBadRequest, "bad_request", "bits: only with format 8h10d, w26 or hex")
		}
		card, err := store.ParseCard(r.Card)
		if err != nil {
			return store.Card{}, fail(http.StatusBadRequest, "bad_request", "card: not a card number such as 1:1234, h10306:300:65000 or raw:40:0102030405")
		}
		return card, nil
	case string(cardnum.Dec10), string(cardnum.W26), string(cardnum.Hex):
		bits := r.Bits
		if bits == 0 {
			bits = 26
		}
		card, err := store.ParseCardAs(r.Card, cardnum.Form(r.Format), bits)
		if err != nil {
			return store.Card{}, fail(http.StatusBadRequest, "bad_request", err.Error())
		}
		return card, nil
	}
	return store.Card{}, fail(http.StatusBadRequest, "bad_request", "format: 8h10d, w26, hex or empty")
}

func (s *Server) addCard(c echo.Context) error {
	var req CardRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	card, err := req.parse()
	if err != nil {
		return err
	}
	if _, err := s.o.People.Identity(c.Param("id")); err != nil {
		return storeError(err)
	}
	if err := s.o.People.AddCredential(store.Credential{Kind: policy.Card, Key: card.String(), Identity: c.Param("id")}); err != nil {
		return storeError(err)
	}
	s.audit(c, controller.Event{Kind: "credential.added", Identity: c.Param("id"), Card: card.Hint(), CardRef: card.Ref(), Detail: "card added"})
	cv, _ := cardView(store.Credential{Kind: policy.Card, Key: card.String()}, true)
	return c.JSON(http.StatusCreated, cv)
}

// personCard finds the card a remove or blacklist request names among the
// person's cards: by ref, or by its number in any spelling ParseCard reads.
func (s *Server) personCard(c echo.Context) (store.Credential, error) {
	var req CardRequest
	if err := decodeStrict(c, &req); err != nil {
		return store.Credential{}, err
	}
	var want string
	switch {
	case req.Ref != "" && req.Card != "":
		return store.Credential{}, fail(http.StatusBadRequest, "bad_request", "card, ref: send one of them")
	case req.Format != "" || req.Bits != 0:
		return store.Credential{}, fail(http.StatusBadRequest, "bad_request", "format: only when adding a card")
	case req.Ref != "":
	case req.Card == "":
		return store.Credential{}, fail(http.StatusBadRequest, "bad_request", "card: required (or ref)")
	default:
		card, err := store.ParseCard(req.Card)
		if err != nil {
			return store.Credential{}, fail(http.StatusBadRequest, "bad_request", "card: not a card number such as 1:1234")
		}
		want = card.String()
	}
	if _, err := s.o.People.Identity(c.Param("id")); err != nil {
		return store.Credential{}, storeError(err)
	}
	creds, err := s.o.People.Credentials(c.Param("id"))
	if err != nil {
		return store.Credential{}, err
	}
	for _, cr := range creds {
		if cr.Kind != policy.Card {
			continue
		}
		card, err := store.ParseCard(cr.Key)
		if err == nil && (cr.Key == want || (req.Ref != "" && card.Ref() == req.Ref)) {
			return cr, nil
		}
	}
	return store.Credential{}, fail(http.StatusNotFound, "not_found", "card: not one of "+c.Param("id")+"'s cards")
}

func (s *Server) removeCard(c echo.Context) error {
	cr, err := s.personCard(c)
	if err != nil {
		return err
	}
	if err := s.o.People.RemoveCredential(policy.Card, cr.Key); err != nil {
		return storeError(err)
	}
	card, _ := store.ParseCard(cr.Key)
	s.audit(c, controller.Event{Kind: "credential.removed", Identity: c.Param("id"), Card: card.Hint(), CardRef: card.Ref(), Detail: "card removed"})
	return c.NoContent(http.StatusNoContent)
}

// blacklistCard marks one of the person's cards blacklisted (on) or clears
// it. Readers look every card up in the store, so the next read of it is
// refused: nothing needs restarting. The audit event names the card by its
// masked hint only.
func (s *Server) blacklistCard(c echo.Context, on bool) error {
	cr, err := s.personCard(c)
	if err != nil {
		return err
	}
	if err := s.o.People.SetBlacklisted(policy.Card, cr.Key, on); err != nil {
		return storeError(err)
	}
	card, _ := store.ParseCard(cr.Key)
	kind, detail := "credential.blacklisted", "card blacklisted"
	if !on {
		kind, detail = "credential.unblacklisted", "card taken off the blacklist"
	}
	s.audit(c, controller.Event{Kind: kind, Identity: c.Param("id"), Card: card.Hint(), CardRef: card.Ref(), Detail: detail})
	return c.NoContent(http.StatusNoContent)
}

// PINRequest sets a PIN (4-12 digits), or the duress PIN.
type PINRequest struct {
	PIN    string `json:"pin"`
	Duress bool   `json:"duress"`
}

func (s *Server) setPIN(c echo.Context) error {
	var req PINRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	if err := s.o.People.SetPIN(c.Param("id"), req.PIN, req.Duress); err != nil {
		return storeError(err)
	}
	s.audit(c, controller.Event{Kind: "credential.added", Identity: c.Param("id"), Detail: map[bool]string{false: "PIN set", true: "duress PIN set"}[req.Duress]})
	return c.NoContent(http.StatusNoContent)
}

const maxPhoto = 8 << 20

// readPhoto takes the "photo" file of a multipart form.
func readPhoto(c echo.Context) ([]byte, error) {
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxPhoto+(1<<20))
	fh, err := c.FormFile("photo")
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, fail(http.StatusRequestEntityTooLarge, "too_large", "photo over 8 MiB")
	case err != nil:
		return nil, fail(http.StatusBadRequest, "bad_request", "photo: a multipart form with a file field named photo (JPEG or PNG, up to 8 MiB)")
	}
	if fh.Size > maxPhoto {
		return nil, fail(http.StatusRequestEntityTooLarge, "too_large", "photo over 8 MiB")
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxPhoto))
}

func faceError(err error) error {
	switch {
	case errors.Is(err, face.ErrNoFace):
		return fail(http.StatusUnprocessableEntity, "no_face", "no face found in the photo")
	case errors.Is(err, face.ErrManyFaces):
		return fail(http.StatusUnprocessableEntity, "several_faces", "the photo must show exactly one face")
	case errors.Is(err, face.ErrNotImage):
		return fail(http.StatusUnsupportedMediaType, "not_an_image", "the photo is not a JPEG or PNG image")
	case errors.Is(err, face.ErrTooLarge):
		return fail(http.StatusRequestEntityTooLarge, "too_large", err.Error())
	case errors.Is(err, face.ErrBusy):
		return fail(http.StatusServiceUnavailable, "busy", "the face engine is busy; try again")
	case errors.Is(err, face.ErrUnavailable):
		return fail(http.StatusNotImplemented, "unavailable", "photo enrolment is not available on this controller (built without dlib or face.models not set)")
	}
	return storeError(err)
}

func (s *Server) enrolFace(c echo.Context) error {
	photo, err := readPhoto(c)
	if err != nil {
		return err
	}
	if _, err := s.o.People.Identity(c.Param("id")); err != nil {
		return storeError(err)
	}
	// consent: the consent text the person agreed to, taken now; without
	// it, a consent recorded before must be in force.
	var consent *store.Consent
	if text := c.FormValue("consent"); text != "" {
		cs, err := s.consentOf(c, c.Param("id"), policy.Face, text, "consent")
		if err != nil {
			return err
		}
		consent = &cs
	}
	d, err := s.o.Enroller.FaceOf(c.Request().Context(), photo)
	if err != nil {
		return faceError(err)
	}
	if consent != nil {
		if err := s.giveConsent(c, *consent); err != nil {
			return err
		}
	}
	id := "photo-" + strconv.FormatInt(s.now().UnixNano(), 36)
	if err := s.o.Enroller.EnrollDescriptor(c.Param("id"), id, d); err != nil {
		return storeError(err)
	}
	s.audit(c, controller.Event{Kind: "credential.added", Identity: c.Param("id"), Detail: "face enrolled"})
	return c.JSON(http.StatusCreated, map[string]string{"face": id})
}

// createVisitor registers a visitor from a multipart form: name, host,
// until (RFC 3339), optional from, doors (comma separated), uses, the
// photo that becomes their face credential, and consent: the version of
// the consent text the visitor agreed to (required: a face is enrolled
// only with consent).
func (s *Server) createVisitor(c echo.Context) error {
	photo, err := readPhoto(c)
	if err != nil {
		return err
	}
	form := map[string]string{}
	for _, k := range []string{"name", "host", "from", "until", "uses", "doors", "consent"} {
		form[k] = c.FormValue(k)
		if err := textError(k, form[k]); err != nil {
			return err
		}
	}
	host := form["host"]
	if _, err := s.o.People.Identity(host); err != nil {
		return fail(http.StatusBadRequest, "bad_request", "host: no resident "+strconv.Quote(host))
	}
	now := s.now().UTC()
	p := &store.Pass{From: now}
	if v := form["from"]; v != "" {
		if p.From, err = time.Parse(time.RFC3339, v); err != nil {
			return fail(http.StatusBadRequest, "bad_request", "from: an RFC 3339 time")
		}
	}
	if p.Until, err = time.Parse(time.RFC3339, form["until"]); err != nil {
		return fail(http.StatusBadRequest, "bad_request", "until: an RFC 3339 time")
	}
	if !p.Until.After(now) {
		return fail(http.StatusBadRequest, "bad_request", "until: must be in the future")
	}
	if v := form["uses"]; v != "" {
		if p.MaxUses, err = strconv.Atoi(v); err != nil || p.MaxUses < 0 {
			return fail(http.StatusBadRequest, "bad_request", "uses: a number ≥ 0")
		}
	}
	if v := form["doors"]; v != "" {
		p.Doors = strings.Split(v, ",")
	}
	if form["consent"] == "" {
		return fail(http.StatusBadRequest, "consent_required", "consent: the visitor's consent to their face being used is required (the version of the consent text shown, e.g. "+quoteList(ConsentTexts[policy.Face])+")")
	}
	if p.Doors, err = s.knownDoors(p.Doors); err != nil {
		return err
	}
	// The photo is checked before anything is made, so a refused visitor
	// leaves no trace but the refusal.
	d, err := s.o.Enroller.FaceOf(c.Request().Context(), photo)
	if err != nil {
		return faceError(err)
	}
	// The same face enrolled for someone else: the visitor is still
	// registered (the guard has them at the window and may know why: a
	// returning visitor, a resident's relative), but the answer names who,
	// because two identities with one face are ambiguous at the face
	// terminals and neither enters by face until one of them is revoked.
	// The pass code works either way.
	warning := s.sameFace(d)
	id := fmt.Sprintf("v-%s", strconv.FormatInt(now.UnixNano(), 36))
	consent, err := s.consentOf(c, id, policy.Face, form["consent"], "consent")
	if err != nil {
		return err
	}
	v := store.Identity{ID: id, Kind: policy.Visitor, Name: form["name"], Host: host, Pass: p}
	if err := s.o.People.PutIdentity(v); err != nil {
		return storeError(err)
	}
	if err := s.giveConsent(c, consent); err != nil {
		_ = s.o.Enroller.RemoveIdentity(c.Request().Context(), id)
		return err
	}
	if err := s.o.Enroller.EnrollDescriptor(id, "visit", d); err != nil {
		_ = s.o.Enroller.RemoveIdentity(c.Request().Context(), id) // nothing half-made stays
		return storeError(err)
	}
	code, err := s.o.People.NewPassCode(id)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(code, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	// The host and a look-alike are other people: named in Mentions, never
	// in Detail, so erasing them pseudonymises the mention (eventlog).
	detail, mentions := "the host is the first mention", []string{host}
	if warning != nil {
		detail += "; the same face as the second"
		mentions = append(mentions, warning.Identity)
	}
	s.audit(c, controller.Event{Kind: "visitor.registered", Identity: id, Name: v.Name, Mentions: mentions, Detail: detail})
	return c.JSON(http.StatusCreated, VisitorReply{PersonView: view(v, nil), PassCode: code,
		QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), Warning: warning})
}

// FaceWarning says that a new face is already enrolled for someone.
type FaceWarning struct {
	Code     string      `json:"code"` // same_face
	Identity string      `json:"identity"`
	Name     string      `json:"name"`
	Kind     policy.Kind `json:"kind"`
	State    string      `json:"state,omitempty"` // a visitor's pass: see passState
}

func (s *Server) sameFace(d [128]float32) *FaceWarning {
	who, ok := s.o.Enroller.SameFace(d)
	if !ok {
		return nil
	}
	w := &FaceWarning{Code: "same_face", Identity: who}
	if i, err := s.o.People.Identity(who); err == nil {
		w.Name, w.Kind = i.Name, i.Kind
		if i.Pass != nil {
			w.State = passState(i.Pass, s.now())
		}
	}
	return w
}

// knownDoors checks a list of door names against the configured doors
// (when the server knows them), naming the first unknown one.
func (s *Server) knownDoors(names []string) ([]string, error) {
	if len(names) == 0 || s.o.Doors == nil {
		return names, nil
	}
	known := map[string]bool{}
	for _, d := range s.o.Doors.Doors() {
		known[d.Name] = true
	}
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if !known[n] {
			return nil, fail(http.StatusBadRequest, "bad_request", "doors: no door "+strconv.Quote(n))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// The states of a visitor's pass, as the list shows and filters them.
const (
	PassActive      = "active"
	PassNotYetValid = "not_yet_valid"
	PassExpired     = "expired"
	PassUsedUp      = "used_up"
	PassRevoked     = "revoked"
)

// passState is what a pass is at now: the same order of checks as
// policy's (revoked first, then the window, then the uses).
func passState(p *store.Pass, now time.Time) string {
	switch {
	case p.Revoked != nil:
		return PassRevoked
	case now.Before(p.From):
		return PassNotYetValid
	case !now.Before(p.Until):
		return PassExpired
	case p.MaxUses > 0 && p.Uses >= p.MaxUses:
		return PassUsedUp
	}
	return PassActive
}

// VisitorView is a visitor in the list: the person, their pass's state
// and the host's name.
type VisitorView struct {
	PersonView
	State    string `json:"state"`
	HostName string `json:"host_name,omitempty"`
}

// VisitorsPage is the body of GET /api/v1/visitors.
type VisitorsPage struct {
	People []VisitorView `json:"people"`
	Total  int           `json:"total"` // visitors matching the filters, on every page
}

// listVisitors lists visitors, newest pass first: state=current (active
// or not yet valid), past (expired, used up or revoked) or a single state;
// q matches part of the name, the id or the host; limit (1…500, 100) and
// offset page through them.
func (s *Server) listVisitors(c echo.Context) error {
	state, q := c.QueryParam("state"), strings.TrimSpace(c.QueryParam("q"))
	if err := textError("q", q); err != nil {
		return err
	}
	want := map[string][]string{
		"": nil, "all": nil,
		"current": {PassActive, PassNotYetValid},
		"past":    {PassExpired, PassUsedUp, PassRevoked},
	}
	states, ok := want[state]
	if !ok && slices.Contains([]string{PassActive, PassNotYetValid, PassExpired, PassUsedUp, PassRevoked}, state) {
		states, ok = []string{state}, true
	}
	if !ok {
		return fail(http.StatusBadRequest, "bad_query", "state: current, past, all, or one of active, not_yet_valid, expired, used_up, revoked")
	}
	limit, offset := 100, 0
	for name, dst := range map[string]*int{"limit": &limit, "offset": &offset} {
		if v := c.QueryParam(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || (name == "limit" && (n < 1 || n > 500)) {
				return fail(http.StatusBadRequest, "bad_query", name+": limit 1…500, offset ≥ 0")
			}
			*dst = n
		}
	}
	ids, err := s.o.People.Identities(policy.Visitor)
	if err != nil {
		return err
	}
	now := s.now()
	var match []VisitorView
	for _, i := range ids {
		if i.Pass == nil {
			continue
		}
		st := passState(i.Pass, now)
		if states != nil && !slices.Contains(states, st) {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(i.Name+" "+i.ID+" "+i.Host), strings.ToLower(q)) {
			continue
		}
		match = append(match, VisitorView{PersonView: view(i, nil), State: st})
	}
	slices.SortStableFunc(match, func(a, b VisitorView) int { return b.Pass.From.Compare(a.Pass.From) })
	page := VisitorsPage{People: []VisitorView{}, Total: len(match)}
	if offset < len(match) {
		page.People = match[offset:min(len(match), offset+limit)]
	}
	hosts := map[string]string{}
	for n, v := range page.People {
		if _, seen := hosts[v.Host]; !seen && v.Host != "" {
			if h, err := s.o.People.Identity(v.Host); err == nil {
				hosts[v.Host] = h.Name
			} else {
				hosts[v.Host] = ""
			}
		}
		page.People[n].HostName = hosts[v.Host]
	}
	return c.JSON(http.StatusOK, page)
}

// revokeVisitor ends a visitor's pass now and keeps the record for the
// history (store.RevokePass); DELETE /visitors/{id} erases the visitor
// instead.
func (s *Server) revokeVisitor(c echo.Context) error {
	sess, _ := sessionOf(c)
	i, err := s.o.People.RevokePass(c.Param("id"), sess.Account, s.now())
	switch {
	case errors.Is(err, store.ErrRevoked):
		return fail(http.StatusConflict, "already_revoked", "this pass is already revoked")
	case errors.Is(err, store.ErrNotFound):
		return fail(http.StatusNotFound, "not_found", "no visitor "+c.Param("id"))
	case err != nil:
		return err
	}
	s.audit(c, controller.Event{Kind: "visitor.revoked", Identity: i.ID, Name: i.Name, Detail: "pass revoked"})
	return c.JSON(http.StatusOK, VisitorView{PersonView: view(i, nil), State: passState(i.Pass, s.now())})
}

// VisitorReply is a registered visitor with their pass: an 8-digit code to
// type at a keypad (then #) and the same code as a QR image. Shown once.
type VisitorReply struct {
	PersonView
	PassCode string       `json:"pass_code"`
	QR       string       `json:"qr_png"`            // data: URL
	Warning  *FaceWarning `json:"warning,omitempty"` // the face is already someone's
}

// InviteRequest is a resident inviting a guest from their phone.
type InviteRequest struct {
	Name  string   `json:"name"`
	Hours int      `json:"hours"`           // 1…72
	Uses  int      `json:"uses"`            // 0 = unlimited within the window
	Doors []string `json:"doors,omitempty"` // empty = every door
}

// invite creates a visitor hosted by the phone's resident, with a pass code
// (and its QR) valid from now for the given hours.
func (s *Server) invite(c echo.Context) error {
	sess, _ := sessionOf(c)
	var req InviteRequest
	if err := decodeStrict(c, &req); err != nil {
		return err
	}
	if req.Hours < 1 || req.Hours > 72 {
		return fail(http.StatusBadRequest, "bad_request", "hours: 1…72")
	}
	if req.Uses < 0 || req.Uses > 100 {
		return fail(http.StatusBadRequest, "bad_request", "uses: 0…100")
	}
	doors, err := s.knownDoors(req.Doors)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	id := fmt.Sprintf("v-%s", strconv.FormatInt(now.UnixNano(), 36))
	v := store.Identity{ID: id, Kind: policy.Visitor, Name: req.Name, Host: sess.Account,
		Pass: &store.Pass{From: now, Until: now.Add(time.Duration(req.Hours) * time.Hour), MaxUses: req.Uses, Doors: doors}}
	s.touchDevice(c, sess.Device)
	if err := s.o.People.PutIdentity(v); err != nil {
		return storeError(err)
	}
	code, err := s.o.People.NewPassCode(id)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(code, qrcode.Medium, 256)
	if err != nil {
		return err
	}
	s.audit(c, controller.Event{Kind: "visitor.invited", Identity: id, Name: v.Name, Detail: "invited by " + sess.Account + " from device " + sess.Device})
	return c.JSON(http.StatusCreated, VisitorReply{PersonView: view(v, nil), PassCode: code,
		QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)})
}
