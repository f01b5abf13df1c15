package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/facepd"
	"menwei/firmware-mocks/fpmodule"
	"menwei/firmware-mocks/osdppd"
	"menwei/firmware-mocks/wiegandconv"
)

// control is the HTTP surface that scripts the PDs. Handlers are thin: they
// decode a small JSON body and call one osdppd.PD method.
type control struct {
	pds    []*osdppd.PD
	faces  map[byte]*facepd.Terminal // face terminals by configured address
	conv   *wiegandconv.Converter    // nil without -wiegand
	finger *fpmodule.Module          // nil without -fingerprint
	specs  []pdSpec                  // same order: the configured address names the key file
	keys   keyStore
	log    *slog.Logger
}

func newControl(pds []*osdppd.PD, faces map[byte]*facepd.Terminal, specs []pdSpec, keys keyStore, log *slog.Logger) *control {
	return &control{pds: pds, faces: faces, specs: specs, keys: keys, log: log}
}

func (c *control) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pd", c.list)
	mux.HandleFunc("GET /pd/{addr}", c.withPD(c.state))
	mux.HandleFunc("POST /pd/{addr}/card", c.withPD(c.card))
	mux.HandleFunc("POST /pd/{addr}/keys", c.withPD(c.typeKeys))
	mux.HandleFunc("POST /pd/{addr}/input", c.withPD(c.input))
	mux.HandleFunc("POST /pd/{addr}/tamper", c.withPD(c.tamper))
	mux.HandleFunc("POST /pd/{addr}/power", c.withPD(c.power))
	mux.HandleFunc("POST /pd/{addr}/mode", c.withPD(c.mode))
	mux.HandleFunc("POST /pd/{addr}/busy", c.withPD(c.busy))
	mux.HandleFunc("POST /pd/{addr}/key", c.withPD(c.setKey))
	mux.HandleFunc("POST /pd/{addr}/face", c.withPD(c.showFace))
	mux.HandleFunc("POST /pd/{addr}/face/leave", c.withPD(c.leaveFace))
	mux.HandleFunc("POST /wiegand/swipe", c.swipe)
	mux.HandleFunc("POST /fingerprint/finger", c.putFinger)
	mux.HandleFunc("POST /fingerprint/lift", c.liftFinger)
	return mux
}

// errBadRequest marks errors that are the client's.
var errBadRequest = errors.New("bad request")

type pdHandler func(w http.ResponseWriter, r *http.Request, pd *osdppd.PD, spec pdSpec) error

// withPD finds the PD named by {addr} (its current address), decodes
// nothing itself, and turns the handler's error into a JSON answer.
func (c *control) withPD(h pdHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := strconv.ParseUint(r.PathValue("addr"), 0, 8)
		i := -1
		if err == nil {
			for j, pd := range c.pds {
				if pd.Addr() == byte(a) {
					i = j
				}
			}
		}
		if i < 0 {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no PD at address " + r.PathValue("addr")})
			return
		}
		if err := h(w, r, c.pds[i], c.specs[i]); err != nil {
			code := http.StatusInternalServerError
			if errors.Is(err, errBadRequest) {
				code = http.StatusBadRequest
			}
			writeJSON(w, code, map[string]string{"error": err.Error()})
		}
	}
}

func decode(w http.ResponseWriter, r *http.Request, v any) error {
	d := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", errBadRequest, err)
	}
	return nil
}

func bad(err error) error { return fmt.Errorf("%w: %v", errBadRequest, err) }

func done(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// pdState is what GET /pd/{addr} shows. No key material, no card data.
type pdState struct {
	Addr      byte       `json:"addr"`
	Mode      string     `json:"mode"`
	HasKey    bool       `json:"has_key"`
	Install   bool       `json:"install"`
	SCActive  bool       `json:"sc_active"`
	Tamper    bool       `json:"tamper"`
	PowerFail bool       `json:"power_fail"`
	Inputs    []bool     `json:"inputs"`
	Outputs   []bool     `json:"outputs"`
	LEDs      []ledState `json:"leds"`
	Text      string     `json:"text"`
	Pending   int        `json:"pending_reports"`
	Commands  []string   `json:"last_commands"` // up to 20, oldest first
}

type ledState struct {
	Color     byte `json:"color"`
	Temporary bool `json:"temporary"`
}

const shownCommands = 20

func stateOf(pd *osdppd.PD) pdState {
	s := pd.State()
	out := pdState{
		Addr: s.Addr, Mode: s.Mode.String(), HasKey: s.HasKey, Install: s.Install, SCActive: s.SCActive,
		Tamper: s.Tamper, PowerFail: s.PowerFail, Inputs: s.Inputs, Outputs: s.Outputs,
		Text: s.Text, Pending: s.Pending, Commands: []string{},
	}
	for _, l := range s.LEDs {
		out.LEDs = append(out.LEDs, ledState{Color: l.Color, Temporary: l.Temp.Control != 0})
	}
	cmds := pd.Commands()
	for _, m := range cmds[max(0, len(cmds)-shownCommands):] {
		out.Commands = append(out.Commands, osdp.CodeName(m.Code(), false))
	}
	return out
}

func (c *control) list(w http.ResponseWriter, _ *http.Request) {
	out := []pdState{}
	for _, pd := range c.pds {
		out = append(out, stateOf(pd))
	}
	writeJSON(w, http.StatusOK, out)
}

func (c *control) state(w http.ResponseWriter, _ *http.Request, pd *osdppd.PD, _ pdSpec) error {
	writeJSON(w, http.StatusOK, stateOf(pd))
	return nil
}

func (c *control) card(w http.ResponseWriter, r *http.Request, pd *osdppd.PD, _ pdSpec) error {
	var req struct {
		Bits     int     `json:"bits"`
		Hex      *string `json:"hex"`
		Format   *byte   `json:"format"` // RAW format, 1 (Wiegand) unless given
		Facility *uint8  `json:"facility"`
		Card     *uint16 `json:"card"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.Hex != nil:
		data, err := hex.DecodeString(*req.Hex)
		if err != nil {
			return bad(err)
		}
		format := byte(osdp.RawFormatWiegand)
		if req.Format != nil {
			format = *req.Format
		}
		if err := pd.PresentCardFormat(format, req.Bits, data); err != nil {
			return bad(err)
		}
	case req.Facility != nil && req.Card != nil:
		pd.PresentWiegand26(*req.Facility, *req.Card)
	default:
		return bad(errors.New(`want {"bits":N,"hex":"..."} or {"facility":F,"card":C}`))
	}
	return done(w)
}

func (c *control) typeKeys(w http.ResponseWriter, r *http.Request, pd *osdppd.PD, _ pdSpec) error {
	var req struct {
		Keys string `json:"keys"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	pd.TypeKeys(req.Keys)
	return done(w)
}

func (c *control) input(w http.ResponseWriter, r *http.Request, pd *osdppd.PD, _ pdSpec) error {
	var req struct {
		N      int  `json:"n"`
		Active bool `json:"active"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if err := pd.SetInput(req.N, req.Active); err != nil {
		return bad(err)
	}
	return done(w)
}

func (c *control) tamper(w http.ResponseWriter, r *http.Request, pd *osdppd.PD, _ pdSpec) error {
	var req struct {
		On bool `json:"on"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	pd.SetTamper(req.On)
	return done(w)
}

func (c *control) power(w http.ResponseWriter, r *http.Request, pd *osdppd.PD, _ pdSpec) error {
	var req struct {
		Fail bool `json:"fail"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	pd.SetPower(req.Fail)
	return done(w)
}

func (c *control) mode(w http.ResponseWriter, r *http.Request, pd *osdppd.PD, _ pdSpec) error {
	var req struct {
		Mode string `json:"mode"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	m, err := osdppd.ParseMode(req.Mode)
	if err != nil {
		return bad(err)
	}
	pd.SetMode(m)
	return done(w)
}

func (c *control) busy(w http.ResponseWriter, r *http.Request, pd *osdppd.PD, _ pdSpec) error {
	var req struct {
		N int `json:"n"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	pd.BusyNext(req.N)
	return done(w)
}

func (c *control) setKey(w http.ResponseWriter, r *http.Request, pd *osdppd.PD, spec pdSpec) error {
	var req struct {
		SCBK string `json:"scbk"`
	}
	if err := decode(w, r, &req); err != nil {
		return err
	}
	var key []byte
	if req.SCBK != "" {
		var err error
		if key, err = parseKey(req.SCBK); err != nil {
			return bad(err)
		}
	}
	if err := pd.SetKey(key); err != nil {
		return bad(err)
	}
	if err := c.keys.save(spec.Addr, key); err != nil {
		return err
	}
	c.log.Info("key replaced from the control surface", "pd", spec.Addr, "has_key", key != nil)
	return done(w)
}

// showFace puts a photo in front of a face terminal's camera: the body is
// the JPEG itself, or {"file": "path"}; ?liveness=N is the liveness score of
// this presentation only; without it the face gets the terminal's default
// live score, whatever an earlier presentation had.
func (c *control) showFace(w http.ResponseWriter, r *http.Request, _ *osdppd.PD, spec pdSpec) error {
	t := c.faces[spec.Addr]
	if t == nil {
		return bad(errors.New("not a face terminal (start it with -pd ADDR:face-jpeg or :face-descriptor)"))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		return bad(err)
	}
	photo := body
	if strings.HasPrefix(strings.TrimSpace(string(body)), "{") {
		var req struct {
			File string `json:"file"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return bad(err)
		}
		if photo, err = os.ReadFile(req.File); err != nil {
			return bad(err)
		}
	}
	show := t.Show
	if l := r.URL.Query().Get("liveness"); l != "" {
		n, err := strconv.ParseUint(l, 10, 8)
		if err != nil || (n > 100 && n != 255) {
			return bad(errors.New("liveness: 0…100, or 255 for not measured"))
		}
		show = func(ctx context.Context, photo []byte) error { return t.ShowLiveness(ctx, photo, byte(n)) }
	}
	if err := show(r.Context(), photo); err != nil {
		return bad(err)
	}
	return done(w)
}

func (c *control) leaveFace(w http.ResponseWriter, _ *http.Request, _ *osdppd.PD, spec pdSpec) error {
	t := c.faces[spec.Addr]
	if t == nil {
		return bad(errors.New("not a face terminal"))
	}
	t.Leave()
	return done(w)
}

func (c *control) withConverter(conv *wiegandconv.Converter) *control {
	c.conv = conv
	return c
}

// swipe sends a card through the Wiegand converter:
// {"card": "h10301:1:1234", "bad_parity": false}.
func (c *control) swipe(w http.ResponseWriter, r *http.Request) {
	if c.conv == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no converter (start with -wiegand LINK:FRAMING)"})
		return
	}
	var req struct {
		Card      string `json:"card"`
		BadParity bool   `json:"bad_parity"`
	}
	if err := decode(w, r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	swipe := c.conv.Swipe
	if req.BadParity {
		swipe = c.conv.SwipeBadParity
	}
	if err := swipe(req.Card); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	_ = done(w)
}

func (c *control) withFinger(m *fpmodule.Module) *control {
	c.finger = m
	return c
}

// putFinger puts finger {"id": N} on the fingerprint module's sensor.
func (c *control) putFinger(w http.ResponseWriter, r *http.Request) {
	if c.finger == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no fingerprint module (start with -fingerprint LINK)"})
		return
	}
	var req struct {
		ID int `json:"id"`
	}
	if err := decode(w, r, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	c.finger.PutFinger(req.ID)
	_ = done(w)
}

func (c *control) liftFinger(w http.ResponseWriter, _ *http.Request) {
	if c.finger == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no fingerprint module"})
		return
	}
	c.finger.RemoveFinger()
	_ = done(w)
}
