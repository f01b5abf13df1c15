package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"menwei/controller/config"
	"menwei/controller/door"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/gpio"
	"menwei/devices/osdp"
)

// inputRef is a door's contact or REX: an input of a PD, or a GPIO line
// of the box (gpio names it; pd is then zero, which no PD has).
type inputRef struct {
	pd    pdKey
	input int
	gpio  string
}

// readerRef is one of a door's readers: its source, the reader number on
// it, and the side of the door it is on.
type readerRef struct {
	src    source
	reader int
	side   policy.Side
}

// doorRT is a door at run time: its supervision state machine, its access
// rule and the factors presented so far. mu serialises everything done to
// one door, including carrying out the state machine's actions in order.
type doorRT struct {
	mu      sync.Mutex
	cfg     config.Door
	readers []readerRef
	lock    lockDriver // a *pdLock, or a *gpioLock once its line is open
	contact *inputRef
	rex     *inputRef
	sm      *door.Door
	rule    policy.Rule
	// Multi-factor: what has been presented for the current attempt.
	pending    []policy.Presented
	pendingWho store.Identity
	keys       map[int][]byte // keypad digits per reader, until '#'
	inputs     map[inputRef]bool
}

func (d *doorRT) name() string { return d.cfg.Name }

func (d *doorRT) mode() policy.Mode {
	switch d.sm.State().Mode {
	case door.EmergencyUnlock:
		return policy.EmergencyUnlock
	case door.Lockdown:
		return policy.Lockdown
	}
	return policy.Normal
}

func (c *Controller) newDoor(dc config.Door, now time.Time) (*doorRT, []door.Action, error) {
	factors, err := dc.Policy.Combinations()
	if err != nil {
		return nil, nil, err
	}
	d := &doorRT{cfg: dc, lock: &pdLock{key: c.pdAt[dc.Lock.PD], name: dc.Lock.PD, output: dc.Lock.Output}, keys: map[int][]byte{}, inputs: map[inputRef]bool{},
		rule: policy.Rule{Door: dc.Name, Groups: dc.Policy.Groups, Factors: factors, FactorWindow: dc.Policy.FactorWindow,
			AntiPassback: policy.APBMode(dc.Policy.AntiPassback)}}
	if d.rule.AntiPassback == "off" {
		d.rule.AntiPassback = policy.APBOff
	}
	for _, r := range dc.Readers {
		src := pdSource(c.pdAt[r.PD])
		switch {
		case r.Converter != "":
			src = converterSource(r.Converter)
		case r.Fingerprint != "":
			src = fingerprintSource(r.Fingerprint)
		}
		d.readers = append(d.readers, readerRef{src, r.Reader, policy.Side(r.Side)})
	}
	ref := func(in *config.Input) *inputRef {
		switch {
		case in == nil:
			return nil
		case in.GPIO != nil:
			return &inputRef{gpio: in.GPIO.String()}
		}
		return &inputRef{pd: c.pdAt[in.PD], input: in.Input}
	}
	d.contact, d.rex = ref(dc.Contact), ref(dc.REX)
	sm, acts, err := door.New(door.Config{Name: dc.Name, Pulse: dc.Pulse, HeldOpen: dc.HeldOpen, REXUnlocks: dc.REXUnlocks,
		Contact: dc.Contact != nil, FailSafe: dc.FailSafe}, now)
	if err != nil {
		return nil, nil, err
	}
	d.sm = sm
	// The lock's terminal is not online yet (nor a GPIO line before Run):
	// the state machine must know, so it re-asserts the lock state when the
	// terminal comes up.
	acts = append(acts, sm.LockOnline(now, false)...)
	return d, acts, nil
}

// act carries out a door's actions in order and returns the release it
// asked the lock for (nil if none). Called with d.mu held.
//
// A release's "door.unlocked" is not recorded when the state machine emits
// it but when the lock's terminal acknowledges the command; if the terminal
// is offline, refuses it or never answers, "door.lock_failed" is recorded
// instead (see lockDone). The record says what the door did, not what it
// was asked.
func (c *Controller) act(ctx context.Context, d *doorRT, acts []door.Action) *lockWait {
	var release *lockWait
	held := map[int]bool{} // emits handed to a release, recorded when the lock answers
	for i, a := range acts {
		switch a.Kind {
		case door.Unlock, door.UnlockHold:
			// The release's "door.unlocked" is handed over before the command
			// goes out, so the answer cannot arrive before it.
			var ev *Event
			if j := unlockedEmit(acts, i); j >= 0 {
				held[j] = true
				ev = &Event{Kind: acts[j].Event, Door: d.name(), Detail: acts[j].Detail}
			}
			release = c.driveLock(ctx, d, a, ev)
		case door.Lock:
			c.driveLock(ctx, d, a, nil)
		case door.Emit:
			if held[i] {
				continue
			}
			ev := Event{Kind: a.Event, Door: d.name(), Detail: a.Detail}
			switch a.Event {
			case door.EventForcedOpen, door.EventHeldOpen, door.EventUnsecured:
				ev.Alarm = true
			case door.EventLockFailed:
				ev.PD, ev.Reason, ev.Alarm = d.lock.pd(), ReasonLockOffline, true
			}
			c.record(ctx, ev)
		}
	}
	return release
}

// unlockedEmit finds the "door.unlocked" that reports the release at
// acts[i]: the first one after it, before any other lock action; -1 if none.
func unlockedEmit(acts []door.Action, i int) int {
	for j := i + 1; j < len(acts); j++ {
		switch {
		case acts[j].Kind != door.Emit:
			return -1
		case acts[j].Event == door.EventUnlocked:
			return j
		}
	}
	return -1
}

// LockResult says what a door's lock did with a release.
type LockResult string

const (
	LockConfirmed   LockResult = "confirmed"       // the lock's terminal acknowledged (a GPIO lock: its line was set): the door is released
	LockOffline     LockResult = ReasonLockOffline // not sent: the terminal is offline
	LockRefused     LockResult = ReasonLockRefused // the terminal refused (NAK), or a GPIO lock's line could not be set
	LockNoReply     LockResult = ReasonLockNoReply
	LockUnconfirmed LockResult = "unconfirmed" // asked, no answer yet (see the door's events for the outcome)
	LockHeldOpen    LockResult = "held_open"   // emergency unlock: the door is already released
)

// Opened reports whether the door is known to be released.
func (r LockResult) Opened() bool { return r == LockConfirmed || r == LockHeldOpen }

// lockWait is a command to a door's lock waiting for the terminal's answer.
type lockWait struct {
	door    string
	release bool            // a release (not a re-lock): its failure means the door did not open
	failed  bool            // not sent at all (set before driveLock returns)
	held    *Event          // recorded on acknowledgement (door.unlocked)
	done    chan LockResult // receives the result once
}

// result waits up to wait for the lock's answer.
func (w *lockWait) result(ctx context.Context, wait time.Duration) LockResult {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case r := <-w.done:
		return r
	case <-t.C:
	case <-ctx.Done():
	}
	return LockUnconfirmed
}

// driveLock carries out a lock action through the door's lock driver. A
// release carries the event to record once the lock confirms it (nil for
// a re-lock).
func (c *Controller) driveLock(ctx context.Context, d *doorRT, a door.Action, held *Event) *lockWait {
	w := &lockWait{door: d.name(), release: a.Kind != door.Lock, held: held, done: make(chan LockResult, 1)}
	d.lock.drive(ctx, c, a, w)
	return w
}

// pdLock is a lock on an output of an OSDP PD: the PD pulses the output
// itself (TempOnThenOff) and acknowledges the command.
type pdLock struct {
	key    pdKey
	name   string
	output int
}

var _ lockDriver = (*pdLock)(nil)

func (p *pdLock) pd() string { return p.name }

// drive sends an OUT to the PD; its answer comes to lockDone on the bus's
// event goroutine.
func (p *pdLock) drive(ctx context.Context, c *Controller, a door.Action, w *lockWait) {
	r := osdp.OutRecord{Output: byte(p.output), Control: osdp.OutPermOffAbort}
	switch a.Kind {
	case door.Unlock:
		r.Control, r.Timer = osdp.OutTempOnThenOff, uint16(min(a.Duration/(100*time.Millisecond), 65535))
	case door.UnlockHold:
		r.Control = osdp.OutPermOnAbort
	}
	loop := c.loop(p.key.bus)
	if loop == nil {
		c.lockDone(ctx, p.name, w, fmt.Errorf("%w: no bus %q", osdp.ErrOffline, p.key.bus))
		return
	}
	// Registered under the bus's reqMu before the answer can arrive (it is
	// handled on the bus's event goroutine, which also takes reqMu).
	b := c.buses[p.key.bus]
	b.reqMu.Lock()
	id, err := loop.Submit(ctx, p.key.addr, osdp.Out{Records: []osdp.OutRecord{r}})
	if err == nil {
		b.lockReq[id] = w
	}
	b.reqMu.Unlock()
	if err != nil {
		w.failed = true
		c.lockDone(ctx, p.name, w, err)
	}
}

// lockAnswerWait bounds how long a person who asked for a door (a guard's
// or a phone's open) waits for the lock's answer before being told that it
// is not confirmed yet. The bus gives up on a silent terminal after its
// retries, so the door's events always say what happened in the end.
const lockAnswerWait = 3 * time.Second

// release carries out a grant at a door (d.mu held) and returns the lock's
// release to wait for or, when there is none, what is known at once: the
// door is held open (emergency unlock) or its lock cannot be asked.
func (c *Controller) release(ctx context.Context, d *doorRT) (*lockWait, LockResult) {
	w := c.act(ctx, d, d.sm.Grant(c.now()))
	switch {
	case w != nil:
		return w, ""
	case d.mode() == policy.EmergencyUnlock:
		return nil, LockHeldOpen
	}
	return nil, LockOffline
}

// awaitLock is what a grant's release came to: known when there was
// nothing to wait for, else the lock's answer, waited for up to
// lockAnswerWait. Called without d.mu.
func awaitLock(ctx context.Context, w *lockWait, known LockResult) LockResult {
	if w == nil {
		return known
	}
	return w.result(ctx, lockAnswerWait)
}

// lockDone records what became of a lock command and hands the result to
// whoever waits for it. pd is the lock's PD ("" for a GPIO line, whose
// error names it).
func (c *Controller) lockDone(ctx context.Context, pd string, w *lockWait, err error) {
	res := LockConfirmed
	var (
		nak  *osdp.NAKError
		line *gpio.LineError
	)
	switch {
	case err == nil:
	case errors.As(err, &nak), errors.As(err, &line):
		res = LockRefused
	case errors.Is(err, osdp.ErrTimeout):
		res = LockNoReply
	default:
		res = LockOffline
	}
	if res == LockConfirmed {
		if w.held != nil {
			c.record(ctx, *w.held)
		}
	} else {
		detail := err.Error()
		if w.release {
			detail = "door not opened: " + detail
		}
		c.record(ctx, Event{Kind: KindLockFailed, Door: w.door, PD: pd, Reason: string(res), Detail: detail, Alarm: true})
	}
	w.done <- res
}

// SetDoorMode puts a door into normal, emergency_unlock or lockdown mode.
// The mode is stored first, so it survives a restart; only another call
// changes it.
func (c *Controller) SetDoorMode(ctx context.Context, doorName string, m door.Mode, why string) error {
	return c.SetDoorModes(ctx, []string{doorName}, m, why)
}

// SetDoorModes puts several doors into a mode, all or nothing: every name
// is checked first (an unknown door is ErrNotFound, lockdown of a door in
// emergency unlock is door.ErrEmergency, each naming every such door), the
// modes are stored in one transaction, and only then are the doors driven.
// A request that fails changes no door.
func (c *Controller) SetDoorModes(ctx context.Context, names []string, m door.Mode, why string) error {
	var (
		doors            []*doorRT
		unknown, blocked []string
	)
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		d := c.doorByName(n)
		if d == nil {
			unknown = append(unknown, fmt.Sprintf("%q", n))
			continue
		}
		doors = append(doors, d)
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%w: door %s", store.ErrNotFound, strings.Join(unknown, ", "))
	}
	// Locks are always taken in configuration order, so two requests for
	// overlapping doors cannot deadlock.
	slices.SortFunc(doors, func(a, b *doorRT) int { return slices.Index(c.doors, a) - slices.Index(c.doors, b) })
	for _, d := range doors {
		d.mu.Lock()
		defer d.mu.Unlock()
	}
	var change []*doorRT
	for _, d := range doors {
		cur := d.sm.State().Mode
		if cur == m {
			continue
		}
		if m == door.Lockdown && cur == door.EmergencyUnlock {
			blocked = append(blocked, d.name())
		}
		change = append(change, d)
	}
	if len(blocked) > 0 {
		return fmt.Errorf("controller: door %s: %w", strings.Join(blocked, ", "), door.ErrEmergency)
	}
	modes := map[string]string{}
	for _, d := range change {
		modes[d.name()] = m.String()
	}
	if err := c.store.SetDoorModes(modes); err != nil {
		return err
	}
	for _, d := range change {
		if why != "" {
			c.record(ctx, Event{Kind: "door.mode_requested", Door: d.name(), Detail: m.String() + ": " + why})
		}
		acts, err := d.sm.SetMode(c.now(), m)
		if err != nil {
			// Checked above, so this is a bug; the stored mode is applied at
			// the next start.
			c.log.Error("door mode not applied", "door", d.name(), "err", err)
			continue
		}
		c.act(ctx, d, acts)
		d.pending, d.keys = nil, map[int][]byte{}
	}
	return nil
}

// DoorStatus is a door's live state for the API.
type DoorStatus struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"display_name"` // what a person reads: the config's display_name, or the name
	Mode        string   `json:"mode"`
	Locked      bool     `json:"locked"`
	Open        bool     `json:"open"`
	LockOnline  bool     `json:"lock_online"`
	Assumed     string   `json:"assumed,omitempty"` // lock state assumed while its terminal is offline
	Alarms      []string `json:"alarms,omitempty"`
}

// Doors reports every door.
func (c *Controller) Doors() []DoorStatus {
	var out []DoorStatus
	for _, d := range c.doors {
		d.mu.Lock()
		st := d.sm.State()
		d.mu.Unlock()
		ds := DoorStatus{Name: d.name(), DisplayName: cmp.Or(d.cfg.DisplayName, d.name()), Mode: st.Mode.String(), Locked: st.Locked, Open: st.Open, LockOnline: st.LockOnline, Assumed: st.Assumed}
		for name, on := range map[string]bool{"held_open": st.Alarms.HeldOpen, "forced_open": st.Alarms.Forced, "unsecured": st.Alarms.Unsecured} {
			if on {
				ds.Alarms = append(ds.Alarms, name)
			}
		}
		slices.Sort(ds.Alarms)
		out = append(out, ds)
	}
	return out
}

func (c *Controller) doorByName(name string) *doorRT {
	for _, d := range c.doors {
		if d.name() == name {
			return d
		}
	}
	return nil
}

// inputs handles an ISTATR: door contacts, REX buttons and fire alarms.
func (c *Controller) inputs(ctx context.Context, k pdKey, st []byte) {
	for _, d := range c.doors {
		d.mu.Lock()
		for _, ref := range []*inputRef{d.contact, d.rex} {
			if ref == nil || ref.gpio != "" || ref.pd != k || ref.input >= len(st) {
				continue
			}
			c.doorInput(ctx, d, ref, st[ref.input] != 0)
		}
		d.mu.Unlock()
	}
	for _, f := range c.cfg.Emergency.FireInputs {
		if f.GPIO != nil || c.pdAt[f.PD] != k || f.Input >= len(st) {
			continue
		}
		pd := c.pd(k) // its fire map is owned by this bus's event goroutine
		was := pd.fire[f.Input]
		c.fireInput(ctx, &was, st[f.Input] != 0, fmt.Sprintf("fire alarm input %d on %s", f.Input, f.PD))
		pd.fire[f.Input] = was
	}
}

// doorInput reports a door's contact or REX button (ref is d.contact or
// d.rex) as a PD or a GPIO line gave it: a first report or a change goes to
// the state machine, a report of the same level does nothing. Called with
// d.mu held.
func (c *Controller) doorInput(ctx context.Context, d *doorRT, ref *inputRef, active bool) {
	if was, ok := d.inputs[*ref]; ok && was == active {
		return
	}
	d.inputs[*ref] = active
	now := c.now()
	if ref == d.contact {
		c.act(ctx, d, d.sm.Contact(now, active))
	} else if active {
		c.act(ctx, d, d.sm.REX(now))
	}
}

// fireInput reports a fire input as a PD or a GPIO line gave it; was is its
// level before, owned by the caller's goroutine. Going active raises the
// alarm.
func (c *Controller) fireInput(ctx context.Context, was *bool, active bool, detail string) {
	rising := active && !*was
	*was = active
	if rising {
		c.fireAlarm(ctx, detail)
	}
}

// fireAlarm unlocks the escape doors. They stay unlocked until an operator
// sets them back to normal, even if the alarm input clears.
func (c *Controller) fireAlarm(ctx context.Context, detail string) {
	c.record(ctx, Event{Kind: KindFire, Detail: detail, Alarm: true})
	doors := c.cfg.Emergency.Doors
	if len(doors) == 0 {
		for _, d := range c.doors {
			doors = append(doors, d.name())
		}
	}
	for _, name := range doors {
		if err := c.SetDoorMode(ctx, name, door.EmergencyUnlock, ""); err != nil {
			c.log.Error("emergency unlock failed", "door", name, "err", err)
		}
	}
}

// lockOnline tells the doors whose lock is on this PD.
func (c *Controller) lockOnline(ctx context.Context, k pdKey, online bool) {
	for _, d := range c.doors {
		if p, ok := d.lock.(*pdLock); !ok || p.key != k {
			continue
		}
		d.mu.Lock()
		c.act(ctx, d, d.sm.LockOnline(c.now(), online))
		d.mu.Unlock()
	}
}

// tick runs the doors' timers and ends stale multi-factor attempts.
func (c *Controller) tick(ctx context.Context) {
	now := c.now()
	for _, d := range c.doors {
		d.mu.Lock()
		if dl := d.sm.Deadline(); !dl.IsZero() && !now.Before(dl) {
			c.act(ctx, d, d.sm.Tick(now))
		}
		if len(d.pending) > 0 && now.Sub(d.pending[0].At) > d.rule.FactorWindow {
			who := d.pendingWho
			factors := factorList(d.pending)
			d.pending = nil
			c.record(ctx, Event{Kind: KindDenied, Door: d.name(), Identity: who.ID, Name: who.Name, Factor: factors,
				Reason: ReasonFactorTimout, Detail: "the second factor did not come in time"})
		}
		d.mu.Unlock()
	}
}
