package osdp

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"slices"
	"time"
)

// BusConfig configures the control panel's side of one RS-485 line. Zero
// values are the defaults in the comments.
type BusConfig struct {
	Name string
	PDs  []PDConfig

	// Baud is the line rate, used to know how long a frame takes on the
	// wire (bytes × 10 / baud: 8N1). 0 = 9600, the spec's default rate.
	Baud int

	PollInterval time.Duration // 0 = 50ms between POLLs to one PD
	// IdleGap, when set, lets an idle line poll sooner: when no PD has a
	// command or a poll due, an online PD that answered its last frame is
	// polled again once IdleGap has passed since that reply, the one that
	// has waited longest first. A card then waits for the next poll a few
	// milliseconds instead of up to PollInterval, and no PD is starved:
	// commands and due polls always go first, and idle polls go round the
	// PDs in the order of their last replies. 0 = off (every PollInterval).
	IdleGap time.Duration
	// CardHold keeps the line free for a moment after a PD reports a card,
	// for the command that answers it: no poll starts (early, due, or the
	// reporting PD's own follow-up) until a command for that PD goes or
	// CardHold has passed. The controller decides in a few milliseconds; a
	// poll started meanwhile holds the lock's OUT up for a whole exchange,
	// 31 ms of line at 9600 baud. Commands are never held, and a poll is
	// held at most CardHold for each card reported. 0 = 20ms.
	CardHold time.Duration
	// ReplyTimeout bounds the silence before a reply starts, counted from
	// the end of our frame on the wire (spec §5.7: the reply delay bounds
	// when a reply must start), and the silence between bytes of a reply
	// that is arriving. A reply that is arriving is never cut off for its
	// length: 1,000 bytes at 9600 baud take over a second. 0 = 200ms.
	ReplyTimeout time.Duration
	// ProbeWindow is how long the line waits for a PD that is not answering
	// (offline, or missing replies) to start its reply when a healthy PD
	// needs the line: a dead PD is probed in the spare time between live
	// PDs' exchanges and never holds up their commands. When no one else
	// needs the line the probe gets the whole ReplyTimeout. 0 = 50ms.
	ProbeWindow  time.Duration
	OfflineAfter time.Duration // 0 = 8s without a valid reply (spec §5.7)
	RetryMax     time.Duration // 0 = 2s: cap on the wait before resending after misses
	ConnectMin   time.Duration // 0 = 500ms: first wait before reconnecting an offline PD
	ConnectMax   time.Duration // 0 = 30s: cap on the reconnect back-off
	QueueLen     int           // 0 = 32 commands waiting per PD

	Rand   io.Reader      // nil = crypto/rand, for RND.A
	Jitter func() float64 // nil = math/rand/v2; returns [0,1)
	Log    *slog.Logger   // nil = discard
}

func (c *BusConfig) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.PollInterval, 50*time.Millisecond)
	def(&c.ReplyTimeout, 200*time.Millisecond)
	def(&c.ProbeWindow, 50*time.Millisecond)
	def(&c.CardHold, 20*time.Millisecond)
	if c.Baud == 0 {
		c.Baud = 9600
	}
	def(&c.OfflineAfter, 8*time.Second)
	def(&c.RetryMax, 2*time.Second)
	def(&c.ConnectMin, 500*time.Millisecond)
	def(&c.ConnectMax, 30*time.Second)
	if c.QueueLen == 0 {
		c.QueueLen = 32
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Jitter == nil {
		c.Jitter = mrand.Float64
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

func (c *BusConfig) validate() error {
	if len(c.PDs) == 0 {
		return fmt.Errorf("osdp: bus %q: no pds", c.Name)
	}
	seen := map[byte]bool{}
	for i := range c.PDs {
		if err := c.PDs[i].validate(); err != nil {
			return err
		}
		if seen[c.PDs[i].Addr] {
			return fmt.Errorf("osdp: bus %q: pd address %d used twice", c.Name, c.PDs[i].Addr)
		}
		seen[c.PDs[i].Addr] = true
	}
	if c.Baud < 0 {
		return fmt.Errorf("osdp: bus %q: negative baud %d", c.Name, c.Baud)
	}
	if c.IdleGap < 0 || c.IdleGap > c.PollInterval {
		return fmt.Errorf("osdp: bus %s: idle gap %v: 0 (off) to the poll interval %v", c.Name, c.IdleGap, c.PollInterval)
	}
	for _, d := range []time.Duration{c.PollInterval, c.CardHold, c.ReplyTimeout, c.ProbeWindow, c.OfflineAfter, c.RetryMax, c.ConnectMin, c.ConnectMax} {
		if d < 0 {
			return fmt.Errorf("osdp: bus %q: negative duration %v", c.Name, d)
		}
	}
	return nil
}

// Bus is the control panel's state machine for one multi-drop line: it
// decides which PD to address next, matches replies, retries, runs each PD's
// connection and secure channel, and keeps the 8 s online rule. It does no
// I/O and never reads the clock: the owner calls Next, Receive and Tick with
// the current time and drains Events (see Loop).
type Bus struct {
	cfg    BusConfig
	log    *slog.Logger
	pds    []*pd
	busy   *pd // PD whose reply we are waiting for
	rr     int // round-robin start for ties
	nextID uint64
	events []Event

	// A card was reported: polls wait until holdUntil, or until a command
	// goes to holdFor (CardHold).
	holdUntil time.Time
	holdFor   *pd
}

// NewBus checks the configuration and returns a bus with every PD offline.
func NewBus(cfg BusConfig) (*Bus, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	b := &Bus{cfg: cfg, log: cfg.Log.With("bus", cfg.Name)}
	for _, pc := range cfg.PDs {
		if pc.Name == "" {
			pc.Name = fmt.Sprintf("pd%d", pc.Addr)
		}
		if pc.StatusSCS15Quirk {
			b.log.Warn("pd accepts status replies sealed as SCS_15 in clear (libosdp_status_quirk); no libosdp release needs it",
				"pd", pc.Name)
		}
		if pc.SCBK != nil {
			pc.SCBK = append([]byte(nil), pc.SCBK...)
		} else {
			b.log.Warn("pd has no secure channel key: driven in plaintext", "pd", pc.Name)
		}
		b.pds = append(b.pds, &pd{cfg: pc, bus: b, log: b.log.With("pd", pc.Name)})
	}
	return b, nil
}

func (b *Bus) emit(e Event) { b.events = append(b.events, e) }

// Events returns and clears what happened since the last call.
func (b *Bus) Events() []Event {
	e := b.events
	b.events = nil
	return e
}

func (b *Bus) find(addr byte) *pd {
	for _, p := range b.pds {
		if p.cfg.Addr == addr {
			return p
		}
	}
	return nil
}

// Submit queues a command for a PD and returns its request id; the outcome
// arrives later as an EventResult with that id.
func (b *Bus) Submit(addr byte, msg Message) (uint64, error) {
	p := b.find(addr)
	switch {
	case p == nil:
		return 0, fmt.Errorf("%w: %d", ErrUnknownPD, addr)
	case !p.online:
		return 0, fmt.Errorf("osdp: pd %d: %w", addr, ErrOffline)
	case len(p.queue) >= b.cfg.QueueLen:
		return 0, fmt.Errorf("osdp: pd %d: %w", addr, ErrQueueFull)
	}
	if _, ok := msg.(KeySet); ok && p.sess == nil {
		return 0, fmt.Errorf("osdp: pd %d: keyset: %w", addr, ErrNotSecure)
	}
	b.nextID++
	r := &request{id: b.nextID, msg: msg}
	if _, r.urgent = msg.(Out); r.urgent {
		// A lock's OUT goes before the LED, buzzer and text commands
		// queued for the PD (the last grant's feedback must not hold up
		// this door), after the OUTs queued before it.
		i := 0
		for i < len(p.queue) && p.queue[i].urgent {
			i++
		}
		p.queue = slices.Insert(p.queue, i, r)
		return r.id, nil
	}
	p.queue = append(p.queue, r)
	return r.id, nil
}

// urgent says whether p's next command is an OUT (Submit): a PD with one
// goes before the others.
func (b *Bus) urgent(p *pd) bool {
	return p.phase == phaseOnline && p.out == nil && len(p.queue) > 0 && p.queue[0].urgent
}

// dueAt is when p next wants the bus.
func (b *Bus) dueAt(p *pd) time.Time {
	if p.phase == phaseOnline && p.out == nil && len(p.queue) > 0 {
		return time.Time{} // commands go before polls
	}
	return p.due
}

// Next returns the bytes to write now, or nil when the line must stay quiet
// (a reply is awaited or nothing is due). Call Wake to learn when to ask again.
func (b *Bus) Next(now time.Time) []byte {
	if b.busy != nil {
		return nil
	}
	var pick *pd
	for i := range b.pds {
		p := b.pds[(b.rr+i)%len(b.pds)]
		d := b.dueAt(p)
		switch {
		case d.After(now), b.held(p, now):
		case pick == nil, b.urgent(p) && !b.urgent(pick), b.urgent(p) == b.urgent(pick) && d.Before(b.dueAt(pick)):
			pick = p
		}
	}
	if pick == nil {
		if now.Before(b.holdUntil) {
			return nil // early polls are polls: held
		}
		if pick = b.idlePick(now); pick == nil {
			return nil
		}
		pick.due = now // polled early: the line has nothing else to do
	}
	b.rr = (indexOf(b.pds, pick) + 1) % len(b.pds)
	p := pick
	if p.out == nil {
		msg, req := p.next(now)
		if msg == nil {
			return nil
		}
		if err := p.build(msg, req, now); err != nil {
			b.failRequest(p, req, err)
			return nil
		}
	}
	p.out.sentAt, p.out.rxAt = now, time.Time{}
	if p == b.holdFor && p.out.req != nil {
		b.holdUntil, b.holdFor = time.Time{}, nil // the card's answer is going
	}
	if probing(p) {
		p.probes++
		p.out.probe = p.probes
	}
	b.busy = p
	return p.out.raw
}

// held says whether p's next frame is a poll (or a handshake step) that
// must wait for the command a card brings (CardHold).
func (b *Bus) held(p *pd, now time.Time) bool {
	return now.Before(b.holdUntil) && !hasCommand(p)
}

// hasCommand says whether p's next frame is a command (or its resend).
func hasCommand(p *pd) bool {
	if p.out != nil {
		return p.out.req != nil
	}
	return p.phase == phaseOnline && len(p.queue) > 0
}

// idlePick is the PD to poll early on an idle line (IdleGap), or nil: an
// online PD with nothing queued, whose last frame was answered at least
// IdleGap ago; of those, the one whose regular poll is due soonest (the
// one that has waited longest).
func (b *Bus) idlePick(now time.Time) *pd {
	if b.cfg.IdleGap == 0 {
		return nil
	}
	var pick *pd
	for _, p := range b.pds {
		if !b.idleReady(p, now) {
			continue
		}
		if pick == nil || p.due.Before(pick.due) {
			pick = p
		}
	}
	return pick
}

// idleReady says whether p may be polled early at now (see idlePick).
func (b *Bus) idleReady(p *pd, now time.Time) bool {
	return p.phase == phaseOnline && p.online && p.misses == 0 && p.out == nil && len(p.queue) == 0 &&
		!p.lastValid.IsZero() && !now.Before(p.lastValid.Add(b.cfg.IdleGap))
}

func indexOf(pds []*pd, p *pd) int {
	for i, q := range pds {
		if q == p {
			return i
		}
	}
	return 0
}

// LineTime is how long n bytes take on the wire: 10 bits each (8N1).
func (b *Bus) LineTime(n int) time.Duration {
	return time.Duration(n) * 10 * time.Second / time.Duration(b.cfg.Baud)
}

// Arriving tells the bus that reply bytes are coming in (the owner calls it
// whenever it reads bytes, before a whole frame is there). A reply that is
// arriving is waited for, however long it is.
func (b *Bus) Arriving(now time.Time) {
	if p := b.busy; p != nil && now.After(p.out.rxAt) {
		p.out.rxAt = now
	}
}

// probing reports whether the PD's frames are probes: it is connecting
// (offline) and has not answered in this attempt yet, or it has missed
// replies. A probe must not keep the line from healthy PDs; a PD that has
// answered during its connection handshake is alive and gets the whole
// reply timeout for the rest of it.
func probing(p *pd) bool { return (p.phase != phaseOnline && !p.answered) || p.misses > 0 }

// replyDeadline is when the awaited reply counts as missed.
func (b *Bus) replyDeadline() time.Time {
	p := b.busy
	o := p.out
	txEnd := o.sentAt.Add(b.LineTime(len(o.raw)))
	if !o.rxAt.IsZero() {
		// Bytes are arriving: wait while they keep coming.
		return maxTime(txEnd, o.rxAt).Add(b.cfg.ReplyTimeout)
	}
	full := txEnd.Add(b.cfg.ReplyTimeout)
	if !probing(p) {
		return full
	}
	// A probe gets the line until a healthy PD needs it, but at least
	// ProbeWindow after it left the wire. A command waiting for a healthy
	// PD always cuts a probe short. Polls do too, except on every
	// fullProbeEvery-th probe: a conforming PD may take the whole reply
	// delay (200 ms) to start its reply, and one that does must still be
	// able to come back online on a busy line.
	fullProbe := o.probe%fullProbeEvery == 0
	others := full
	for _, q := range b.pds {
		if q == p || !q.online || probing(q) {
			continue
		}
		if d := b.dueAt(q); d.IsZero() || !fullProbe {
			others = minTime(others, d)
		}
	}
	return minTime(full, maxTime(others, txEnd.Add(b.cfg.ProbeWindow)))
}

// fullProbeEvery: one probe in this many waits the whole ReplyTimeout for a
// slow PD, unless a healthy PD has a command waiting.
const fullProbeEvery = 4

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Wake is the next time Tick or Next has work, if nothing arrives before.
func (b *Bus) Wake(now time.Time) time.Time {
	if b.busy != nil {
		return b.replyDeadline()
	}
	w := now.Add(time.Hour)
	for _, p := range b.pds {
		d := b.dueAt(p)
		if !hasCommand(p) {
			d = maxTime(d, b.holdUntil) // a poll waits out a card's hold
		}
		if d.Before(w) {
			w = d
		}
		if b.cfg.IdleGap > 0 && p.phase == phaseOnline && p.online && p.misses == 0 && p.out == nil && !p.lastValid.IsZero() {
			if d := maxTime(p.lastValid.Add(b.cfg.IdleGap), b.holdUntil); d.Before(w) {
				w = d
			}
		}
		if p.online {
			if d := p.lastValid.Add(b.cfg.OfflineAfter); d.Before(w) {
				w = d
			}
		}
	}
	return w
}

// Tick handles reply timeouts and the offline rule.
func (b *Bus) Tick(now time.Time) {
	if p := b.busy; p != nil && !now.Before(b.replyDeadline()) {
		b.busy = nil
		b.missed(p, now)
	}
	for _, p := range b.pds {
		if p.online && !now.Before(p.lastValid.Add(b.cfg.OfflineAfter)) {
			b.linkDown(p, now, fmt.Errorf("%w for %v", ErrTimeout, b.cfg.OfflineAfter))
		}
	}
}

// missed handles a command that got no valid reply.
func (b *Bus) missed(p *pd, now time.Time) {
	if p.phase != phaseOnline {
		b.attemptFailed(p, now, fmt.Errorf("%w to %s", ErrTimeout, CodeName(p.out.code, false)))
		return
	}
	p.misses++
	// Resend the same bytes later; back off so a silent PD costs the others
	// little bus time: PollInterval, 2×, 4×... up to RetryMax.
	d := b.cfg.PollInterval << min(p.misses-1, 16)
	p.due = now.Add(min(d, b.cfg.RetryMax))
}

func (b *Bus) backoff(attempts int) time.Duration {
	d := min(b.cfg.ConnectMin<<min(attempts-1, 16), b.cfg.ConnectMax)
	return d/2 + time.Duration(b.cfg.Jitter()*float64(d/2)) // "equal jitter": at least half the delay
}

// attemptFailed aborts a connection attempt and schedules the next one.
func (b *Bus) attemptFailed(p *pd, now time.Time, err error) {
	p.attempts++
	p.answered = false
	var nak *NAKError
	sc := errors.Is(err, ErrNoSC) || errors.Is(err, ErrSCCryptogram) || errors.Is(err, ErrSCServer) ||
		errors.Is(err, ErrSCRMACI) || errors.Is(err, ErrSCMAC) || errors.Is(err, ErrSCType) ||
		errors.Is(err, ErrSCPlaintext) || errors.Is(err, ErrSCPadding) || errors.Is(err, errPlainReply) ||
		(errors.As(err, &nak) && p.phase >= phaseCHLNG)
	if sc {
		p.log.Warn("secure channel refused; pd stays offline", "phase", p.phase.String(), "reason", err, "attempt", p.attempts)
		b.emit(Event{Addr: p.addr(), Kind: EventSecureChannel, Err: err})
	} else if p.attempts == 1 || p.attempts%10 == 0 {
		p.log.Info("pd not answering", "phase", p.phase.String(), "reason", err, "attempt", p.attempts)
	}
	p.phase = phaseIdle
	p.out = nil
	p.sess = nil
	p.due = now.Add(b.backoff(p.attempts))
}

// linkDown takes an online PD offline and fails its commands.
func (b *Bus) linkDown(p *pd, now time.Time, reason error) {
	wasOnline := p.online
	p.online = false
	if b.busy == p {
		b.busy = nil
	}
	if p.out != nil {
		b.failRequest(p, p.out.req, fmt.Errorf("%w: %w", ErrOffline, reason))
	}
	for _, r := range p.queue {
		b.failRequest(p, r, fmt.Errorf("%w: %w", ErrOffline, reason))
	}
	p.queue = nil
	p.misses = 0
	b.attemptFailed(p, now, reason)
	if wasOnline {
		p.log.Warn("pd offline", "reason", reason)
		b.emit(Event{Addr: p.addr(), Kind: EventOffline, Err: reason})
	}
}

func (b *Bus) failRequest(p *pd, r *request, err error) {
	if r != nil {
		b.emit(Event{Addr: p.addr(), Kind: EventResult, Req: r.id, Cmd: r.msg.Code(), Err: err})
	}
}

func (b *Bus) resultOK(p *pd, r *request) {
	if r != nil {
		b.emit(Event{Addr: p.addr(), Kind: EventResult, Req: r.id, Cmd: r.msg.Code()})
	}
}

// openReply removes the secure channel wrapping of a reply when a session
// is up, and refuses plaintext when a key is configured.
func (b *Bus) openReply(p *pd, f *Frame) error {
	if p.sess != nil {
		return p.sess.OpenReply(f)
	}
	if p.cfg.SCBK != nil {
		return errPlainReply
	}
	if f.SCB != nil {
		return fmt.Errorf("%w: security block on a plaintext link", ErrSCType)
	}
	return nil
}

// Receive hands the bus a frame read from the line.
func (b *Bus) Receive(f Frame, now time.Time) {
	p := b.busy
	if p == nil || !f.Reply || (f.Addr != p.cfg.Addr && f.Addr != Broadcast) {
		b.log.Debug("ignoring frame", "frame", f.String())
		return
	}
	busy := f.Code == ReplyBUSY && len(f.Data) == 0 && (f.Seq == 0 || f.Seq == p.out.seq)
	if restarted(p, f) {
		b.busy = nil
		b.restartedPD(p, f, now)
		return
	}
	if f.Seq != p.out.seq && !busy {
		b.log.Debug("ignoring frame", "frame", f.String())
		return
	}
	b.busy = nil
	if busy {
		b.busyReply(p, f, now)
		return
	}
	if p.phase != phaseOnline {
		p.lastValid, p.answered = now, true
		msg, err := p.handshake(f, b.cfg.Rand)
		p.out = nil
		switch {
		case err != nil:
			b.attemptFailed(p, now, err)
		case msg != nil:
			if err := p.build(msg, nil, now); err != nil {
				b.attemptFailed(p, now, err)
				return
			}
			p.due = now
		default:
			b.online(p, now)
		}
		return
	}
	plainNAK := IsPlainNAK(&f)
	if err := b.openReply(p, &f); err != nil {
		b.linkDown(p, now, scErr("reply", err))
		return
	}
	if plainNAK && p.sess != nil && !p.plainNAKLogged {
		p.plainNAKLogged = true
		p.log.Info("pd seals its NAKs as SCS_16 with the code in clear (libosdp 3.2.x); accepted: the MAC verified and the code is no secret",
			"cmd", CodeName(p.out.code, false), "nak", f.Data[0])
	}
	p.lastValid, p.misses, p.answered = now, 0, true
	out := p.out
	p.out = nil
	p.due = now.Add(b.cfg.PollInterval)
	if out.code == CmdPOLL && f.Code != ReplyACK {
		// The PD had something to report and may have more (a face capture
		// in fragments): poll it again at once. Others overdue still go first.
		p.due = now
	}
	switch f.Code {
	case ReplyACK:
		b.resultOK(p, out.req)
		if out.req != nil {
			if ks, ok := out.req.msg.(KeySet); ok {
				b.keyChanged(p, ks.Key, now)
			}
		}
		return
	case ReplyNAK:
		b.nak(p, out, f, now)
		return
	}
	m, err := ParseReply(f.Code, f.Data)
	if err != nil {
		p.log.Warn("malformed reply", "reply", CodeName(f.Code, true), "err", err)
		b.failRequest(p, out.req, err)
		return
	}
	if _, ok := m.(Raw); ok {
		// A person is at the door: keep the line for the answer. The PD's
		// own next poll comes after the hold, behind the PDs due by then.
		b.holdUntil, b.holdFor = now.Add(b.cfg.CardHold), p
		p.due = b.holdUntil
	}
	if c, ok := m.(Com); ok {
		p.log.Info("pd changed its communication settings", "addr", c.Addr, "baud", c.Baud)
		p.cfg.Addr = c.Addr
	}
	b.emit(Event{Addr: p.addr(), Kind: EventReport, Msg: m})
	b.resultOK(p, out.req)
}

// keyChanged follows a KEYSET the PD accepted: the PD uses the new key
// from its next session, so the CP takes it too and opens a new session
// with it at once. The owner is told (EventSecureChannel, Secure, no error)
// and must keep the new key, or the PD is lost at the next restart.
func (b *Bus) keyChanged(p *pd, key []byte, now time.Time) {
	p.cfg.SCBK = append([]byte(nil), key...)
	p.log.Info("pd accepted a new scbk; reconnecting with it")
	b.emit(Event{Addr: p.addr(), Kind: EventSecureChannel, Secure: true})
	p.online, p.phase, p.sess, p.out = false, phaseIdle, nil, nil
	p.due = now
	b.emit(Event{Addr: p.addr(), Kind: EventOffline, Err: errors.New("osdp: reconnecting with the new key")})
}

// busyReply handles osdp_BUSY: the PD did not run the command. The spec has
// BUSY in plaintext with sequence 0, leaving the PD's sequence and MAC chain
// where they were, so the same frame goes again after a poll interval. A PD
// that seals its BUSY has moved its MAC chain: the command is then sealed
// afresh, keeping its sequence number. BUSY does not count as a valid reply
// for the offline rule: a PD busy for 8 s is offline for all practical
// purposes.
func (b *Bus) busyReply(p *pd, f Frame, now time.Time) {
	p.due = now.Add(b.cfg.PollInterval)
	if f.SCB == nil || p.sess == nil {
		return // resend p.out unchanged
	}
	if err := p.sess.OpenReply(&f); err != nil {
		b.linkDown(p, now, scErr("busy reply", err))
		return
	}
	out := p.out
	p.out = nil
	if out.req != nil {
		p.queue = append([]*request{out.req}, p.queue...)
	}
	p.reuseSeq = &out.seq
}

// restarted reports the sign of a PD that lost its state while we kept
// ours: a plaintext NAK with sequence 0 answering a command of another
// sequence. libosdp PDs answer so after a restart, where the spec would
// have them answer with our sequence number. Nothing in it is trusted but
// the hint to start the link again: it carries no data, and a line that can
// inject it can as well garble every frame.
func restarted(p *pd, f Frame) bool {
	return f.Code == ReplyNAK && f.Seq == 0 && p.out.seq != 0 && f.SCB == nil && len(f.Data) > 0
}

// restartedPD starts the link to a PD that answered as restarted at once,
// rather than resending to it until the offline rule.
func (b *Bus) restartedPD(p *pd, f Frame, now time.Time) {
	// Not wrapped as a *NAKError: that would read as a secure channel refusal.
	err := fmt.Errorf("%w: %s answered with NAK %#02x and sequence 0", ErrRestarted, CodeName(p.out.code, false), f.Data[0])
	if p.phase != phaseOnline {
		b.attemptFailed(p, now, err)
		return
	}
	b.linkDown(p, now, err)
	p.due = now // reconnect now: it is there, only its state is new
}

func (b *Bus) nak(p *pd, out *inflight, f Frame, now time.Time) {
	code := byte(NAKNone)
	if len(f.Data) > 0 {
		code = f.Data[0]
	}
	err := &NAKError{Cmd: out.code, Code: code}
	switch code {
	case NAKBadCheck: // the PD saw a corrupted frame: send it again
		if out.req != nil {
			p.queue = append([]*request{out.req}, p.queue...)
		}
	case NAKUnexpectedSeq, NAKSCBUnsupported, NAKEncryptRequired:
		// The PD lost our sequence or session: start the link again.
		b.linkDown(p, now, err)
	default:
		p.log.Info("command refused", "err", err)
		b.failRequest(p, out.req, err)
	}
}

// online completes a connection.
func (b *Bus) online(p *pd, now time.Time) {
	if p.cfg.SCBK != nil && p.sess == nil {
		b.attemptFailed(p, now, scErr("connect", errPlainReply)) // never reached; refuses plaintext if it were
		return
	}
	p.phase, p.online, p.attempts, p.misses = phaseOnline, true, 0, 0
	p.lastValid, p.due = now, now
	secure := p.sess != nil
	p.log.Info("pd online", "secure", secure, "model", p.id.Model, "fw", fmt.Sprintf("%d.%d.%d", p.id.Firmware[0], p.id.Firmware[1], p.id.Firmware[2]))
	b.emit(Event{Addr: p.addr(), Kind: EventOnline, Secure: secure})
}

// PDStatus is a snapshot of one PD for status pages and metrics.
type PDStatus struct {
	Addr      byte
	Name      string
	Online    bool
	Secure    bool
	Phase     string
	LastReply time.Time
	ID        PDID
}

// Status reports every PD on the bus.
func (b *Bus) Status() []PDStatus {
	out := make([]PDStatus, 0, len(b.pds))
	for _, p := range b.pds {
		out = append(out, PDStatus{p.cfg.Addr, p.cfg.Name, p.online, p.online && p.sess != nil, p.phase.String(), p.lastValid, p.id})
	}
	return out
}
