package fpm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Errors of the driver. Failures of a command are wrapped with its name:
// "fpm: GenImg: fpm: no answer".
var (
	ErrTimeout = errors.New("fpm: no answer")
	ErrClosed  = errors.New("fpm: module closed")
)

// MaxTransfer bounds a char file or template moved by Upload or Download.
const MaxTransfer = 1 << 16

// Config configures a Module. The zero value of every field but Port is a
// documented default.
type Config struct {
	// Port is the line to the module: a serialport.Serial, a pipe in tests.
	// The Module reads it in a goroutine of its own and closes it on Close;
	// closing it must wake a blocked Read.
	Port io.ReadWriteCloser
	// Addr is the module address; 0 means DefaultAddr (0xFFFFFFFF), so a
	// module set to address 0 cannot be driven.
	Addr uint32
	// Password is what Handshake verifies; 0 is the factory password.
	Password uint32
	// Timeout bounds each wait for a packet the module owes: the
	// acknowledgement of a command, or the next data packet of an upload.
	// 0 means 2 s.
	Timeout time.Duration
	// PacketSize is the data packet size Download uses until Handshake or
	// SysParams reads the module's own: 32, 64, 128 or 256; 0 means 128,
	// the factory setting.
	PacketSize int
	// After is the clock for timeouts; nil means time.After.
	After func(time.Duration) <-chan time.Time
	// Log receives protocol events; nil discards them. Templates never
	// reach it.
	Log *slog.Logger
}

const (
	defaultTimeout    = 2 * time.Second
	defaultPacketSize = 128
)

func (c *Config) validate() error {
	switch {
	case c.Port == nil:
		return errors.New("fpm: config: no port")
	case c.Timeout < 0:
		return fmt.Errorf("fpm: config: timeout %v: negative", c.Timeout)
	}
	if _, ok := PacketSizeCode(c.PacketSize); c.PacketSize != 0 && !ok {
		return fmt.Errorf("fpm: config: packet size %d: not 32, 64, 128 or 256", c.PacketSize)
	}
	return nil
}

// Module drives one fingerprint module. One goroutine reads the port; the
// methods take turns talking to the module and may be called from any
// goroutine. Each waits at most Config.Timeout for every packet it expects,
// and returns early when its ctx ends or the Module is closed.
//
// When the port fails (a device unplugged), every later call returns the
// read error; close the Module and open a new one.
type Module struct {
	port     io.ReadWriteCloser
	addr     uint32
	password uint32
	timeout  time.Duration
	after    func(time.Duration) <-chan time.Time
	log      *slog.Logger

	turn       chan struct{} // holds a token while a call talks to the module
	packetSize int           // for Download; guarded by turn

	packets  chan Packet
	stop     chan struct{} // closed by Close
	readDone chan struct{} // closed when the reading goroutine ends
	readErr  error         // why it ended; read after readDone

	closeOnce sync.Once
	closeErr  error
}

// New starts a Module on cfg.Port. Call Close to stop it.
func New(cfg Config) (*Module, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Addr == 0 {
		cfg.Addr = DefaultAddr
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.PacketSize == 0 {
		cfg.PacketSize = defaultPacketSize
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	m := &Module{
		port:       cfg.Port,
		addr:       cfg.Addr,
		password:   cfg.Password,
		timeout:    cfg.Timeout,
		after:      cfg.After,
		log:        cfg.Log.With("fpm", fmt.Sprintf("%08x", cfg.Addr)),
		turn:       make(chan struct{}, 1),
		packetSize: cfg.PacketSize,
		packets:    make(chan Packet, 16),
		stop:       make(chan struct{}),
		readDone:   make(chan struct{}),
	}
	go m.read()
	return m, nil
}

// Close closes the port and waits for the reading goroutine. It is
// idempotent; only the first call can return an error. Calls in progress
// return ErrClosed.
func (m *Module) Close() error {
	m.closeOnce.Do(func() {
		close(m.stop)
		if err := m.port.Close(); err != nil {
			m.closeErr = fmt.Errorf("fpm: close: %w", err)
		}
		<-m.readDone
	})
	return m.closeErr
}

// read is the goroutine that owns reading the port. It hands on the packets
// from the module's address that a module sends (acknowledgements and data)
// and ends when the port fails or the Module is closed.
func (m *Module) read() {
	defer close(m.readDone)
	r := NewReader(m.port)
	for {
		p, err := r.Next()
		if err != nil {
			m.readErr = err
			return
		}
		if p.Addr != m.addr || p.PID == PIDCommand {
			m.log.Debug("packet ignored", "packet", p)
			continue
		}
		select {
		case m.packets <- p:
		case <-m.stop:
			m.readErr = ErrClosed
			return
		}
	}
}

// begin waits for the caller's turn to talk to the module; end gives it up.
func (m *Module) begin(ctx context.Context, ins Instruction) error {
	select {
	case m.turn <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("fpm: %v: %w", ins, ctx.Err())
	case <-m.stop:
		return fmt.Errorf("fpm: %v: %w", ins, ErrClosed)
	}
	select {
	case <-m.stop:
		<-m.turn
		return fmt.Errorf("fpm: %v: %w", ins, ErrClosed)
	default:
		return nil
	}
}

func (m *Module) end() { <-m.turn }

// do runs one command in its own turn.
func (m *Module) do(ctx context.Context, c Command) (Reply, error) {
	if err := m.begin(ctx, c.Instruction()); err != nil {
		return nil, err
	}
	defer m.end()
	return m.roundTrip(ctx, c)
}

// roundTrip sends c and returns its parsed acknowledgement; a non-zero
// confirmation code is a *ConfirmError. The caller holds the turn.
func (m *Module) roundTrip(ctx context.Context, c Command) (Reply, error) {
	ins := c.Instruction()
	m.drain()
	if err := m.send(ins, NewCommand(m.addr, c)); err != nil {
		return nil, err
	}
	p, err := m.await(ctx, ins, func(p Packet) bool { return p.PID == PIDAck })
	if err != nil {
		return nil, err
	}
	r, err := ParseReply(ins, p.Data)
	var ce *ConfirmError
	if err != nil && !errors.As(err, &ce) {
		return nil, fmt.Errorf("fpm: %v: %w", ins, err)
	}
	return r, err
}

// drain drops the packets that arrived since the last call: the late reply
// to a command that timed out, the rest of an abandoned upload.
func (m *Module) drain() {
	for {
		select {
		case p := <-m.packets:
			m.log.Debug("stale packet dropped", "packet", p)
		default:
			return
		}
	}
}

func (m *Module) send(ins Instruction, p Packet) error {
	raw, err := AppendEncode(nil, p)
	if err != nil {
		return fmt.Errorf("fpm: %v: %w", ins, err)
	}
	if _, err := m.port.Write(raw); err != nil {
		select {
		case <-m.stop:
			return fmt.Errorf("fpm: %v: %w", ins, ErrClosed)
		default:
		}
		return fmt.Errorf("fpm: %v: write: %w", ins, err)
	}
	return nil
}

// await returns the next packet for which want is true, skipping others.
func (m *Module) await(ctx context.Context, ins Instruction, want func(Packet) bool) (Packet, error) {
	timeout := m.after(m.timeout)
	for {
		select {
		case p := <-m.packets:
			if want(p) {
				return p, nil
			}
			m.log.Debug("unexpected packet skipped", "cmd", ins, "packet", p)
		case <-timeout:
			return Packet{}, fmt.Errorf("fpm: %v: %w", ins, ErrTimeout)
		case <-ctx.Done():
			return Packet{}, fmt.Errorf("fpm: %v: %w", ins, ctx.Err())
		case <-m.stop:
			return Packet{}, fmt.Errorf("fpm: %v: %w", ins, ErrClosed)
		case <-m.readDone:
			select {
			case <-m.stop: // the read failed because Close closed the port
				return Packet{}, fmt.Errorf("fpm: %v: %w", ins, ErrClosed)
			default:
			}
			return Packet{}, fmt.Errorf("fpm: %v: read: %w", ins, m.readErr)
		}
	}
}

func checkPage(ins Instruction, what string, n int) (uint16, error) {
	if n < 0 || n > 0xFFFF {
		return 0, fmt.Errorf("fpm: %v: %s %d: %w", ins, what, n, ErrBadPage)
	}
	return uint16(n), nil
}
