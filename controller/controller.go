package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"menwei/devices/osdp"
	"menwei/devices/serialport"
	"menwei/devices/wiegand"
)

// Options builds a Controller.
type Options struct {
	Config Config
	Store  *Store
	// OpenPort opens a bus's line. nil opens the serial device through
	// serialport with automatic reopen.
	OpenPort func(BusConfig) (io.ReadWriteCloser, error)
	Now      func() time.Time // nil = time.Now
	Log      *slog.Logger     // nil = discard
}

type pdKey struct {
	bus  string
	addr byte
}

// door is a configured door and the PDs it uses.
type door struct {
	cfg    DoorConfig
	reader pdKey
	lock   pdKey
	open   bool // last contact state
}

// Controller runs the doors: it owns one OSDP loop per bus.
type Controller struct {
	cfg   Config
	store *Store
	log   *slog.Logger
	now   func() time.Time
	open  func(BusConfig) (io.ReadWriteCloser, error)

	pdName map[pdKey]string
	pdAt   map[string]pdKey
	doors  []*door

	mu      sync.Mutex
	loops   map[string]*osdp.Loop
	online  map[pdKey]bool
	secure  map[pdKey]bool
	lockReq map[uint64]string // OUT request id → door
}

// New checks that the configuration and the store fit together.
func New(o Options) (*Controller, error) {
	if o.Store == nil {
		return nil, errors.New("controller: no store")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	c := &Controller{cfg: o.Config, store: o.Store, log: o.Log, now: o.Now, open: o.OpenPort,
		pdName: map[pdKey]string{}, pdAt: map[string]pdKey{}, loops: map[string]*osdp.Loop{},
		online: map[pdKey]bool{}, secure: map[pdKey]bool{}, lockReq: map[uint64]string{}}
	if c.open == nil {
		c.open = c.openSerial
	}
	for _, b := range o.Config.Buses {
		for _, p := range b.PDs {
			k := pdKey{b.Name, byte(*p.Address)}
			c.pdName[k], c.pdAt[p.Name] = p.Name, k
		}
	}
	for _, d := range o.Config.Doors {
		c.doors = append(c.doors, &door{cfg: d, reader: c.pdAt[d.Reader.PD], lock: c.pdAt[d.Lock.PD]})
	}
	return c, nil
}

// openSerial opens a bus's serial device and keeps reopening it when it goes
// away (a USB adapter unplugged); the bus loop sees missed replies meanwhile.
func (c *Controller) openSerial(b BusConfig) (io.ReadWriteCloser, error) {
	cfg := serialport.Config{Device: b.Device, Baud: b.Baud}
	log := c.log.With("bus", b.Name, "device", b.Device)
	return serialport.NewReopener(serialport.ReopenConfig{
		Open: func() (serialport.Port, error) { return serialport.Open(cfg) },
		OnState: func(up bool, err error) {
			if up {
				log.Info("serial port open")
			} else {
				log.Warn("serial port unavailable; retrying", "err", err)
			}
		},
	}), nil
}

func (c *Controller) busConfig(b BusConfig) osdp.BusConfig {
	bc := osdp.BusConfig{Name: b.Name, PollInterval: b.PollInterval, ReplyTimeout: b.ReplyTimeout, Log: c.log}
	for _, p := range b.PDs {
		bc.PDs = append(bc.PDs, osdp.PDConfig{Addr: byte(*p.Address), Name: p.Name, SCBK: p.Key(),
			Install: p.Install, Checksum: p.Checksum, StatusSCS15Quirk: p.LibosdpStatusQuirk})
	}
	return bc
}

// Run drives every bus until ctx ends. It returns an error if a bus cannot
// be started or its line fails for good.
func (c *Controller) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.record(ctx, Event{Kind: KindSystemStart})
	var (
		wg   sync.WaitGroup
		errs = make(chan error, len(c.cfg.Buses))
	)
	for _, b := range c.cfg.Buses {
		port, err := c.open(b)
		if err != nil {
			cancel()
			wg.Wait()
			return fmt.Errorf("controller: bus %s: %w", b.Name, err)
		}
		loop, err := osdp.NewLoop(osdp.LoopConfig{Bus: c.busConfig(b), Port: port, Now: c.now})
		if err != nil {
			port.Close()
			cancel()
			wg.Wait()
			return fmt.Errorf("controller: bus %s: %w", b.Name, err)
		}
		c.mu.Lock()
		c.loops[b.Name] = loop
		c.mu.Unlock()
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := loop.Run(ctx); err != nil {
				errs <- err
				cancel()
			}
		}()
		go func() {
			defer wg.Done()
			for e := range loop.Events() {
				c.handle(ctx, b.Name, loop, e)
			}
		}()
	}
	wg.Wait()
	// A fresh context: the stop event must be written even though ctx ended.
	c.record(context.Background(), Event{Kind: KindSystemStop})
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// record appends an event that does not gate any action.
func (c *Controller) record(ctx context.Context, e Event) {
	if _, err := c.store.Append(ctx, c.stamp(e)); err != nil {
		c.log.Error("event not recorded", "kind", e.Kind, "err", err)
	}
}

func (c *Controller) stamp(e Event) Event {
	if e.Time.IsZero() {
		e.Time = c.now().UTC()
	}
	return e
}

func (c *Controller) handle(ctx context.Context, bus string, loop *osdp.Loop, e osdp.Event) {
	k := pdKey{bus, e.Addr}
	name := c.pdName[k]
	switch e.Kind {
	case osdp.EventOnline:
		c.mu.Lock()
		c.online[k], c.secure[k] = true, e.Secure
		c.mu.Unlock()
		detail := "plaintext"
		if e.Secure {
			detail = "secure channel"
		}
		c.record(ctx, Event{Kind: KindPDOnline, PD: name, Detail: detail})
	case osdp.EventOffline:
		c.mu.Lock()
		c.online[k], c.secure[k] = false, false
		c.mu.Unlock()
		c.record(ctx, Event{Kind: KindPDOffline, PD: name, Detail: errText(e.Err)})
	case osdp.EventSecureChannel:
		detail := "new key installed"
		if e.Err != nil {
			detail = e.Err.Error()
		}
		c.record(ctx, Event{Kind: KindPDSecure, PD: name, Detail: detail})
	case osdp.EventResult:
		c.mu.Lock()
		d, ok := c.lockReq[e.Req]
		delete(c.lockReq, e.Req)
		c.mu.Unlock()
		if ok && e.Err != nil {
			c.record(ctx, Event{Kind: KindLockFailed, Door: d, PD: name, Detail: e.Err.Error()})
		}
	case osdp.EventReport:
		c.report(ctx, k, loop, e.Msg)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (c *Controller) report(ctx context.Context, k pdKey, loop *osdp.Loop, m osdp.Message) {
	name := c.pdName[k]
	switch m := m.(type) {
	case osdp.Raw:
		d := c.doorAtReader(k, int(m.Reader))
		if d == nil {
			c.log.Info("card read at a reader without a door", "pd", name, "reader", m.Reader)
			return
		}
		c.cardAtDoor(ctx, d, loop, m)
	case osdp.LStatR:
		if m.Tamper != 0 {
			c.record(ctx, Event{Kind: KindPDTamper, PD: name, Detail: "tamper"})
		}
		if m.Power != 0 {
			c.record(ctx, Event{Kind: KindPDPower, PD: name, Detail: "power failure"})
		}
	case osdp.IStatR:
		for _, d := range c.doors {
			if d.cfg.Contact == nil || c.pdAt[d.cfg.Contact.PD] != k || d.cfg.Contact.Input >= len(m.Inputs) {
				continue
			}
			open := m.Inputs[d.cfg.Contact.Input] != 0
			if open != d.open {
				d.open = open
				kind := KindDoorClosed
				if open {
					kind = KindDoorOpened
				}
				c.record(ctx, Event{Kind: kind, Door: d.cfg.Name, PD: name})
			}
		}
	}
}

func (c *Controller) doorAtReader(k pdKey, reader int) *door {
	for _, d := range c.doors {
		if d.reader == k && d.cfg.Reader.Reader == reader {
			return d
		}
	}
	return nil
}

// Decision is the outcome of a credential at a door.
type Decision struct {
	Granted  bool
	Reason   string
	Resident Resident
	Card     Card
}

// DecideCard judges a card read at a door. It does no I/O but the store lookup.
func (c *Controller) DecideCard(doorName string, bits int, data []byte) Decision {
	card, err := CardFromBits(bits, data)
	if err != nil {
		if !errors.Is(err, wiegand.ErrParity) {
			c.log.Info("unreadable card data", "door", doorName, "err", err)
		}
		return Decision{Reason: ReasonBadRead}
	}
	r, err := c.store.ResidentByCard(card)
	switch {
	case errors.Is(err, ErrNotFound):
		return Decision{Reason: ReasonUnknownCard, Card: card}
	case err != nil:
		c.log.Error("card lookup failed; denying", "door", doorName, "err", err)
		return Decision{Reason: "internal_error", Card: card}
	case r.Disabled:
		return Decision{Reason: ReasonDisabled, Resident: r, Card: card}
	case len(r.Doors) > 0 && !slices.Contains(r.Doors, doorName):
		return Decision{Reason: ReasonNotAllowed, Resident: r, Card: card}
	}
	return Decision{Granted: true, Reason: ReasonGranted, Resident: r, Card: card}
}

// cardAtDoor decides, makes the decision durable, and only then drives the
// lock and gives the person feedback on the reader.
func (c *Controller) cardAtDoor(ctx context.Context, d *door, loop *osdp.Loop, raw osdp.Raw) {
	dec := c.DecideCard(d.cfg.Name, int(raw.Bits), raw.Data)
	ev := Event{Kind: KindDenied, Door: d.cfg.Name, PD: c.pdName[d.reader], Reason: dec.Reason,
		Identity: dec.Resident.ID, Name: dec.Resident.Name}
	if dec.Card.key != "" {
		ev.Card = dec.Card.Hint()
	}
	if dec.Granted {
		ev.Kind = KindGranted
	}
	ev, err := c.store.Append(ctx, c.stamp(ev))
	if err != nil {
		// Not on disk, so not acted on: the door stays shut.
		c.log.Error("decision not recorded; door stays locked", "door", d.cfg.Name, "err", err)
		dec.Granted = false
	}
	c.log.Info("access", "door", d.cfg.Name, "granted", dec.Granted, "reason", dec.Reason, "identity", dec.Resident.ID, "seq", ev.Seq)
	if dec.Granted {
		c.pulseLock(ctx, d)
	}
	c.feedback(ctx, loop, d, dec.Granted)
}

func (c *Controller) pulseLock(ctx context.Context, d *door) {
	c.mu.Lock()
	loop := c.loops[d.lock.bus]
	c.mu.Unlock()
	timer := uint16(min(d.cfg.Pulse/(100*time.Millisecond), 65535))
	out := osdp.Out{Records: []osdp.OutRecord{{Output: byte(d.cfg.Lock.Output), Control: osdp.OutTempOnThenOff, Timer: timer}}}
	id, err := loop.Submit(ctx, d.lock.addr, out)
	if err != nil {
		c.record(ctx, Event{Kind: KindLockFailed, Door: d.cfg.Name, PD: c.pdName[d.lock], Reason: ReasonLockOffline, Detail: err.Error()})
		return
	}
	c.mu.Lock()
	c.lockReq[id] = d.cfg.Name
	c.mu.Unlock()
}

// feedback shows green and one beep, or red and three short beeps.
func (c *Controller) feedback(ctx context.Context, loop *osdp.Loop, d *door, granted bool) {
	color, beeps, secs := byte(osdp.ColorRed), byte(3), time.Duration(1500)*time.Millisecond
	if granted {
		color, beeps, secs = osdp.ColorGreen, 1, d.cfg.Pulse
	}
	reader := byte(d.cfg.Reader.Reader)
	led := osdp.LED{Records: []osdp.LEDRecord{{Reader: reader, LED: 0,
		Temp: osdp.LEDTemp{Control: 2, OnTime: 10, OffTime: 0, OnColor: color, OffColor: osdp.ColorBlack, Timer: uint16(secs / (100 * time.Millisecond))}}}}
	for _, m := range []osdp.Message{led, osdp.Buz{Reader: reader, Tone: 2, OnTime: 1, OffTime: 1, Count: beeps}} {
		if _, err := loop.Submit(ctx, d.reader.addr, m); err != nil {
			c.log.Debug("reader feedback not sent", "door", d.cfg.Name, "err", err)
		}
	}
}

// PDStatus reports one configured PD.
type PDStatus struct {
	Name   string `json:"name"`
	Bus    string `json:"bus"`
	Addr   int    `json:"address"`
	Online bool   `json:"online"`
	Secure bool   `json:"secure"`
}

// PDs reports every configured PD, in configuration order.
func (c *Controller) PDs() []PDStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []PDStatus
	for _, b := range c.cfg.Buses {
		for _, p := range b.PDs {
			k := pdKey{b.Name, byte(*p.Address)}
			out = append(out, PDStatus{p.Name, b.Name, *p.Address, c.online[k], c.secure[k]})
		}
	}
	return out
}
