package fpmodule

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"menwei/devices/fpm"
)

// Config describes one emulated module. The zero value of every field is a
// documented default.
type Config struct {
	// Slots is the library capacity in template pages; 0 means 300.
	Slots int
	// Addr is the module address; 0 means fpm.DefaultAddr.
	Addr uint32
	// Password is the handshake password; 0, the factory setting, means
	// VfyPwd is accepted with 0 but never required.
	Password uint32
	// PacketSize is the data packet size for UpChar, in bytes: 32, 64, 128
	// or 256; 0 means 128.
	PacketSize int
	// SecurityLevel is reported by ReadSysPara, 1..5; 0 means 3.
	SecurityLevel int
	// Baud is reported by ReadSysPara, a multiple of 9600; 0 means 57600.
	Baud int
	// Timing is how long Serve takes over each instruction before it
	// answers; the zero Timing answers at once. R307Timing is a real
	// module's.
	Timing Timing
	// After is the clock of those waits; nil means time.After.
	After func(time.Duration) <-chan time.Time
	// Log receives protocol events; nil discards them.
	Log *slog.Logger
}

const (
	defaultSlots    = 300
	maxSlots        = 4 * fpm.PagesPerIndex
	systemID        = 0x0009
	statusPassword  = 1 << 2
	statusImage     = 1 << 3
	defaultLevel    = 3
	defaultBaud     = 57600
	defaultPktBytes = 128

	maxBaudMultiple  = 12 // 115200 baud
	maxSecurityLevel = 5
)

func (c *Config) validate() error {
	if c.Slots < 0 || c.Slots > maxSlots {
		return fmt.Errorf("fpmodule: %d slots out of range 0..%d", c.Slots, maxSlots)
	}
	if _, ok := fpm.PacketSizeCode(c.PacketSize); c.PacketSize != 0 && !ok {
		return fmt.Errorf("fpmodule: packet size %d: not 32, 64, 128 or 256", c.PacketSize)
	}
	if c.SecurityLevel < 0 || c.SecurityLevel > maxSecurityLevel {
		return fmt.Errorf("fpmodule: security level %d out of range 1..5", c.SecurityLevel)
	}
	if c.Baud < 0 || c.Baud%9600 != 0 || c.Baud/9600 > maxBaudMultiple {
		return fmt.Errorf("fpmodule: baud %d: not 9600 × 1..12", c.Baud)
	}
	return c.Timing.validate()
}

// Module is one emulated fingerprint module. All its methods are safe for
// concurrent use: Serve calls Handle while a test scripts the finger.
type Module struct {
	mu  sync.Mutex
	cfg Config
	log *slog.Logger

	params   params          // what SetSysPara changes
	slots    [][]byte        // library pages; nil when empty
	image    *image          // the image buffer; nil when it holds no valid image
	bufs     [3][]byte       // char buffers 1 and 2; index 0 unused
	down     *download       // a DownChar transfer in progress
	finger   int             // on the sensor, when present
	present  bool            // a finger is on the sensor
	lifts    []chan struct{} // closed by the next GenImg of an empty sensor (Lift)
	captures int             // successful GenImg so far
	badImage bool            // the next GenImg or Img2Tz fails with 0x06
	verified bool            // VfyPwd succeeded
	silent   bool            // answer nothing
	garbage  bool            // precede answers with noise
}

// params are the basic parameters SetSysPara sets and ReadSysPara reports;
// they start as configured.
type params struct {
	baud, securityLevel, packetSize int
}

func (c *Config) params() params {
	return params{baud: c.Baud, securityLevel: c.SecurityLevel, packetSize: c.PacketSize}
}

// image is what GenImg captured.
type image struct {
	finger  int
	capture int
}

// New returns a module in its power-on state: empty library, empty buffers,
// no finger on the sensor.
func New(cfg Config) (*Module, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Slots == 0 {
		cfg.Slots = defaultSlots
	}
	if cfg.Addr == 0 {
		cfg.Addr = fpm.DefaultAddr
	}
	if cfg.PacketSize == 0 {
		cfg.PacketSize = defaultPktBytes
	}
	if cfg.SecurityLevel == 0 {
		cfg.SecurityLevel = defaultLevel
	}
	if cfg.Baud == 0 {
		cfg.Baud = defaultBaud
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	return &Module{
		cfg:    cfg,
		log:    cfg.Log.With("fpmodule", fmt.Sprintf("%08x", cfg.Addr)),
		params: cfg.params(),
		slots:  make([][]byte, cfg.Slots),
	}, nil
}

// Handle takes one packet from the host and returns the packets the module
// sends back, each encoded, in order: an acknowledgement, then for UpChar
// the data packets. With Garbage on, noise comes first. It returns nil for
// packets that get no answer: data packets, packets to another address, and
// everything while Silent.
func (m *Module) Handle(p fpm.Packet) [][]byte {
	wire, _ := m.handle(p)
	return wire
}

// handle is Handle, and how long the module works on the packet before its
// answer goes out (Config.Timing).
func (m *Module) handle(p fpm.Packet) ([][]byte, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.silent || p.Addr != m.cfg.Addr {
		return nil, 0
	}
	var (
		out  []fpm.Packet
		busy time.Duration
	)
	switch p.PID {
	case fpm.PIDCommand:
		m.down = nil // a command abandons a download
		out, busy = m.command(p.Data)
	case fpm.PIDData, fpm.PIDDataLast:
		m.receive(p)
	}
	if len(out) == 0 {
		return nil, 0
	}
	var wire [][]byte
	if m.garbage {
		wire = append(wire, append([]byte(nil), noise...))
	}
	for _, q := range out {
		b, err := fpm.AppendEncode(nil, q)
		if err != nil { // a bug in a handler, not a wire condition
			m.log.Error("reply does not encode", "packet", q, "err", err)
			return nil, 0
		}
		wire = append(wire, b)
	}
	return wire, busy
}

// command parses and runs one instruction, and times it.
func (m *Module) command(contents []byte) ([]fpm.Packet, time.Duration) {
	c, err := fpm.ParseCommand(contents)
	if err != nil {
		m.log.Debug("command refused", "err", err)
		return m.ack(fpm.CodePacket, nil), m.cfg.Timing.Other
	}
	m.log.Debug("command", "ins", c.Instruction())
	out := m.run(c)
	var ack []byte
	if len(out) > 0 {
		ack = out[0].Data
	}
	return out, m.cfg.Timing.busy(c, ack, len(m.slots))
}

// run dispatches one parsed instruction.
func (m *Module) run(c fpm.Command) []fpm.Packet {
	if _, ok := c.(fpm.VfyPwd); !ok && m.cfg.Password != 0 && !m.verified {
		return m.ack(fpm.CodePasswordRequired, nil)
	}
	switch c := c.(type) {
	case fpm.GenImg:
		return m.genImg()
	case fpm.Img2Tz:
		return m.img2Tz(c)
	case fpm.Match:
		return m.match()
	case fpm.Search:
		return m.search(c)
	case fpm.RegModel:
		return m.regModel()
	case fpm.Store:
		return m.store(c)
	case fpm.LoadChar:
		return m.loadChar(c)
	case fpm.UpChar:
		return m.upChar(c)
	case fpm.DownChar:
		return m.downChar(c)
	case fpm.DeleteChar:
		return m.deleteChar(c)
	case fpm.Empty:
		return m.empty()
	case fpm.ReadSysPara:
		return m.readSysPara()
	case fpm.VfyPwd:
		return m.vfyPwd(c)
	case fpm.TemplateNum:
		return m.templateNum()
	case fpm.ReadIndexTable:
		return m.readIndexTable(c)
	case fpm.UpImage:
		return m.upImage()
	case fpm.SetSysPara:
		return m.setSysPara(c)
	case fpm.HighSpeedSearch:
		return m.highSpeedSearch(c)
	}
	return m.ack(fpm.CodePacket, nil)
}

// ack is an acknowledgement with code and r's parameters.
func (m *Module) ack(code fpm.Code, r fpm.Reply) []fpm.Packet {
	return []fpm.Packet{{Addr: m.cfg.Addr, PID: fpm.PIDAck, Data: fpm.AppendReply(nil, code, r)}}
}

// buffer returns a pointer to char buffer b, or nil for a buffer the
// module does not have.
func (m *Module) buffer(b fpm.Buffer) *[]byte {
	if b != fpm.CharBuffer1 && b != fpm.CharBuffer2 {
		return nil
	}
	return &m.bufs[b]
}

// noise is what Garbage puts before every answer: stray bytes, a lone
// header byte, an acknowledgement with a bad checksum, and a header that
// claims 256 bytes of contents which never come.
var noise = []byte{
	0x00, 0x55, 0xEF, 0xFF,
	0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x03, 0x00, 0x00, 0x0B,
	0xEF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x01, 0x02,
}
