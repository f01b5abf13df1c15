package door

import (
	"fmt"
	"time"
)

// Assumed lock states of State.Assumed while the lock is offline.
const (
	AssumedUnlocked = "unlocked"
	AssumedLocked   = "locked"
)

// Alarms are the alarms active on a door.
type Alarms struct {
	HeldOpen  bool `json:"held_open"` // open longer than HeldOpen
	Forced    bool `json:"forced"`    // opened while locked without an excuse, not yet closed
	Unsecured bool `json:"unsecured"` // fail-safe lock offline: assumed released
}

// State is a snapshot of a door, a value safe to hand out.
type State struct {
	Mode       Mode   `json:"mode"`
	Locked     bool   `json:"locked"`      // the lock is commanded locked
	Open       bool   `json:"open"`        // contact open (false when unknown or absent)
	LockOnline bool   `json:"lock_online"` //
	Alarms     Alarms `json:"alarms"`
	Assumed    string `json:"assumed,omitempty"` // while offline: AssumedUnlocked or AssumedLocked
}

// Door is the supervision state machine of one door. It is advanced by its
// input methods, each given the current time, and returns the actions to
// carry out. It is not safe for concurrent use: one goroutine owns it.
type Door struct {
	cfg Config
	now time.Time // latest time seen; time never goes back

	mode       Mode
	lockOnline bool

	contactKnown bool // a first Contact report arrived
	open         bool

	pulseUntil    time.Time // end of a grant or REX release; zero if none
	relockOnClose bool      // a release ended with the door open: relock when it closes
	excuseUntil   time.Time // an opening before this is legitimate

	heldAt   time.Time // when an open door raises held-open; zero if not supervised
	heldOpen bool      // held-open alarm active
	forced   bool      // forced-open alarm active
}

// New returns a door in Normal mode with its lock online and its contact
// state unknown, and the actions that lock it.
func New(cfg Config, now time.Time) (*Door, []Action, error) {
	if err := cfg.validate(); err != nil {
		return nil, nil, err
	}
	d := &Door{cfg: cfg.withDefaults(), now: now, lockOnline: true}
	return d, []Action{{Kind: Lock}}, nil
}

// Grant releases the lock for Pulse after an access decision granted
// passage, or extends a release in progress. It does nothing in
// EmergencyUnlock, and is obeyed in Lockdown.
func (d *Door) Grant(now time.Time) []Action {
	now, acts := d.advance(now)
	if d.mode == EmergencyUnlock {
		return acts
	}
	d.excuse(now)
	return d.release(now, acts, d.cfg.Pulse, DetailGrant)
}

// REX reports a press of the request-to-exit button. It excuses an opening
// within ExcuseWindow and, with REXUnlocks in Normal mode, releases the lock
// for REXPulse.
func (d *Door) REX(now time.Time) []Action {
	now, acts := d.advance(now)
	d.excuse(now)
	if !d.cfg.REXUnlocks || d.mode != Normal {
		return emit(acts, EventREX, "")
	}
	if !d.lockOnline {
		return d.release(now, emit(acts, EventREX, ""), d.cfg.REXPulse, DetailREX)
	}
	until := d.extend(now, d.cfg.REXPulse)
	acts = d.drive(acts, Unlock, until.Sub(now))
	acts = emit(acts, EventREX, "")
	return emit(acts, EventUnlocked, DetailREX)
}

// Contact reports the door contact. The first report only sets the state
// (an open door is reported opened and supervised, never forced); then a
// report of the same state does nothing. Doors without Config.Contact ignore
// it.
func (d *Door) Contact(now time.Time, open bool) []Action {
	now, acts := d.advance(now)
	if !d.cfg.Contact || (d.contactKnown && open == d.open) {
		return acts
	}
	first := !d.contactKnown
	d.contactKnown, d.open = true, open
	switch {
	case open:
		return d.opened(now, acts, first)
	case first:
		return acts
	}
	return d.closed(acts)
}

// LockOnline reports that the lock's terminal came online or went offline.
// While it is offline no lock actions are returned: the door remembers what
// it wants and asserts it when the terminal comes back.
func (d *Door) LockOnline(now time.Time, online bool) []Action {
	now, acts := d.advance(now)
	if online == d.lockOnline {
		return acts
	}
	d.lockOnline = online
	if online {
		acts = d.assert(now, acts)
		return emit(acts, EventLockOnline, "")
	}
	if d.cfg.FailSafe {
		acts = emit(acts, EventLockOffline, DetailFailSafeOffline)
		return emit(acts, EventUnsecured, "")
	}
	return emit(acts, EventLockOffline, DetailFailSecureOffline)
}

// SetMode changes the mode. Setting the current mode does nothing. An
// unknown mode returns ErrUnknownMode and Lockdown during EmergencyUnlock
// returns ErrEmergency; neither changes anything.
func (d *Door) SetMode(now time.Time, m Mode) ([]Action, error) {
	switch {
	case !m.valid():
		return nil, fmt.Errorf("%w %d", ErrUnknownMode, int(m))
	case m == Lockdown && d.mode == EmergencyUnlock:
		return nil, ErrEmergency
	}
	now, acts := d.advance(now)
	if m == d.mode {
		return acts, nil
	}
	from := d.mode
	d.mode = m
	switch m {
	case EmergencyUnlock:
		d.endRelease()
		d.heldAt, d.forced = time.Time{}, false
		acts = d.drive(acts, UnlockHold, 0)
		acts = emit(acts, EventMode, m.String())
		if d.heldOpen {
			d.heldOpen = false
			acts = emit(acts, EventHeldOpenCleared, "")
		}
		return acts, nil
	case Lockdown:
		d.endRelease()
		d.excuseUntil = time.Time{} // grants before the lockdown no longer excuse an opening
		acts = d.drive(acts, Lock, 0)
		return emit(acts, EventMode, m.String()), nil
	}
	if from == EmergencyUnlock {
		acts = d.drive(acts, Lock, 0)
		if d.open {
			d.heldAt = now.Add(d.cfg.HeldOpen)
		}
	}
	return emit(acts, EventMode, m.String()), nil
}

// Tick runs the timers that are due: the end of a release and the held-open
// alarm. Calling it before Deadline, or twice at once, does nothing.
func (d *Door) Tick(now time.Time) []Action {
	_, acts := d.advance(now)
	return acts
}

// Deadline is the next time Tick has work, or zero if it has none.
func (d *Door) Deadline() time.Time {
	t := d.pulseUntil
	if !d.heldAt.IsZero() && (t.IsZero() || d.heldAt.Before(t)) {
		t = d.heldAt
	}
	return t
}

// State returns a snapshot of the door.
func (d *Door) State() State {
	s := State{
		Mode:       d.mode,
		Locked:     d.mode != EmergencyUnlock && d.pulseUntil.IsZero() && !d.relockOnClose,
		Open:       d.open,
		LockOnline: d.lockOnline,
		Alarms:     Alarms{HeldOpen: d.heldOpen, Forced: d.forced, Unsecured: !d.lockOnline && d.cfg.FailSafe},
	}
	switch {
	case d.lockOnline:
	case d.cfg.FailSafe:
		s.Assumed = AssumedUnlocked
	default:
		s.Assumed = AssumedLocked
	}
	return s
}

// advance moves the clock to now (never back) and runs the timers that are
// due, so that every input sees them fired even if Tick came late.
func (d *Door) advance(now time.Time) (time.Time, []Action) {
	if now.Before(d.now) {
		now = d.now
	}
	d.now = now
	var acts []Action
	if !d.pulseUntil.IsZero() && !now.Before(d.pulseUntil) {
		d.pulseUntil = time.Time{}
		if d.open {
			d.relockOnClose = true
		} else {
			acts = d.drive(acts, Lock, 0)
			acts = emit(acts, EventRelocked, "")
		}
	}
	if !d.heldAt.IsZero() && !now.Before(d.heldAt) {
		d.heldAt, d.heldOpen = time.Time{}, true
		acts = emit(acts, EventHeldOpen, "")
	}
	return now, acts
}

// excuse makes an opening until ExcuseWindow from now legitimate.
func (d *Door) excuse(now time.Time) {
	if t := now.Add(d.cfg.ExcuseWindow); t.After(d.excuseUntil) {
		d.excuseUntil = t
	}
}

// extend makes the release last at least p from now and returns its end.
func (d *Door) extend(now time.Time, p time.Duration) time.Time {
	if t := now.Add(p); t.After(d.pulseUntil) {
		d.pulseUntil = t
	}
	d.relockOnClose = false
	return d.pulseUntil
}

// release starts or extends a release of at least p. With the lock's
// terminal offline nothing can be released: the door did not open, and
// saying so is the only truthful record. No release is kept for later
// either, so the lock coming back does not open a door nobody waits at.
func (d *Door) release(now time.Time, acts []Action, p time.Duration, why string) []Action {
	if !d.lockOnline {
		return emit(acts, EventLockFailed, DetailLockOffline)
	}
	until := d.extend(now, p)
	acts = d.drive(acts, Unlock, until.Sub(now))
	return emit(acts, EventUnlocked, why)
}

// endRelease forgets a release without re-locking.
func (d *Door) endRelease() {
	d.pulseUntil, d.relockOnClose = time.Time{}, false
}

// opened handles the contact opening.
func (d *Door) opened(now time.Time, acts []Action, first bool) []Action {
	acts = emit(acts, EventOpened, "")
	if d.mode == EmergencyUnlock {
		return acts
	}
	legit := first || !d.pulseUntil.IsZero() || d.relockOnClose ||
		now.Before(d.excuseUntil) || (!d.lockOnline && d.cfg.FailSafe)
	d.excuseUntil = time.Time{} // an excuse covers one opening
	if !legit {
		d.forced = true
		acts = emit(acts, EventForcedOpen, "")
	}
	d.heldAt = now.Add(d.cfg.HeldOpen)
	return acts
}

// closed handles the contact closing: alarms end and a release ends with it
// (relock on close).
func (d *Door) closed(acts []Action) []Action {
	relock := !d.pulseUntil.IsZero() || d.relockOnClose
	if relock {
		d.endRelease()
		acts = d.drive(acts, Lock, 0)
	}
	acts = emit(acts, EventClosed, "")
	if d.heldOpen {
		acts = emit(acts, EventHeldOpenCleared, "")
	}
	d.heldAt, d.heldOpen, d.forced = time.Time{}, false, false
	if relock {
		acts = emit(acts, EventRelocked, "")
	}
	return acts
}

// assert drives the lock to the state it should be in now.
func (d *Door) assert(now time.Time, acts []Action) []Action {
	switch {
	case d.mode == EmergencyUnlock:
		return d.drive(acts, UnlockHold, 0)
	case !d.pulseUntil.IsZero():
		return d.drive(acts, Unlock, d.pulseUntil.Sub(now))
	}
	return d.drive(acts, Lock, 0)
}

// drive appends a lock action unless the lock is offline and cannot get it.
func (d *Door) drive(acts []Action, k ActionKind, p time.Duration) []Action {
	if !d.lockOnline {
		return acts
	}
	return append(acts, Action{Kind: k, Duration: p})
}

func emit(acts []Action, event, detail string) []Action {
	return append(acts, Action{Kind: Emit, Event: event, Detail: detail})
}
