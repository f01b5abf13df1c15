package door

import (
	"math/rand/v2"
	"testing"
	"time"
)

// Ops a random sequence is made of.
const (
	opGrant = iota
	opREX
	opOpen
	opClose
	opTick
	opTickAtDeadline
	opOffline
	opOnline
	opNormal
	opEmergency
	opLockdown
	opCount
)

// checker plays inputs on a door and checks invariants after each.
type checker struct {
	t   testing.TB
	cfg Config // with defaults
	d   *Door
	now time.Time // latest time given

	lastLock          ActionKind // last lock action returned
	grantedInLockdown bool       // a Grant since Lockdown was entered
	heldRaised        bool       // a door.held_open not yet cleared
}

func newChecker(t testing.TB, cfg Config) *checker {
	d, acts, err := New(cfg, t0)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	c := &checker{t: t, cfg: cfg.withDefaults(), d: d, now: t0}
	c.check("new", acts, d.State(), d.State())
	return c
}

// step applies op after dt; dt may be negative (time given going back).
func (c *checker) step(op int, dt time.Duration) {
	now := c.now.Add(dt)
	if dl := c.d.Deadline(); op == opTickAtDeadline && !dl.IsZero() {
		now = dl // exactly when the door asked to be ticked
	}
	if now.After(c.now) {
		c.now = now
	}
	before := c.d.State()
	var acts []Action
	name := ""
	switch op {
	case opGrant:
		name, acts = "grant", c.d.Grant(now)
		if before.Mode == Lockdown {
			c.grantedInLockdown = true
		}
	case opREX:
		name, acts = "rex", c.d.REX(now)
	case opOpen:
		name, acts = "open", c.d.Contact(now, true)
	case opClose:
		name, acts = "close", c.d.Contact(now, false)
	case opTick:
		name, acts = "tick", c.d.Tick(now)
	case opTickAtDeadline:
		name, acts = "tick at deadline", c.d.Tick(now)
	case opOffline:
		name, acts = "offline", c.d.LockOnline(now, false)
	case opOnline:
		name, acts = "online", c.d.LockOnline(now, true)
	case opNormal, opEmergency, opLockdown:
		m := Mode(op - opNormal)
		name = "mode " + m.String()
		var err error
		acts, err = c.d.SetMode(now, m)
		if err != nil && !(m == Lockdown && before.Mode == EmergencyUnlock) {
			c.t.Fatalf("SetMode(%v) from %v: %v", m, before.Mode, err)
		}
		if err == nil && m == Lockdown && before.Mode != Lockdown {
			c.grantedInLockdown = false
		}
	}
	c.check(name, acts, before, c.d.State())

	// Idempotent: everything due has fired.
	if again := c.d.Tick(c.now); len(again) != 0 {
		c.t.Fatalf("%s: a second tick at %v returned %v", name, c.now, again)
	}
	if dl := c.d.Deadline(); !dl.IsZero() && !dl.After(c.now) {
		c.t.Fatalf("%s: deadline %v not after now %v", name, dl, c.now)
	}
}

func (c *checker) check(name string, acts []Action, before, after State) {
	fail := func(format string, args ...any) {
		c.t.Helper()
		c.t.Fatalf("%s at %v: %v: "+format, append([]any{name, c.now.Sub(t0), acts}, args...)...)
	}
	online := before.LockOnline || name == "online" // re-asserts come before door.lock_online
	for _, a := range acts {
		switch a.Kind {
		case Unlock, UnlockHold, Lock:
			if !online {
				fail("lock action while the lock is offline")
			}
			if a.Kind == Unlock && (a.Duration <= 0 || a.Duration > max(c.cfg.Pulse, c.cfg.REXPulse)) {
				fail("unlock for %v", a.Duration)
			}
			if a.Kind == Unlock && after.Mode == Lockdown {
				switch {
				case name == "grant":
				case name == "online" && c.grantedInLockdown && a.Duration <= c.cfg.Pulse:
				default:
					fail("unlock in lockdown")
				}
			}
			c.lastLock = a.Kind
		case Emit:
			switch a.Event {
			case EventForcedOpen, EventHeldOpen, EventHeldOpenCleared:
				if !c.cfg.Contact {
					fail("%s without a contact", a.Event)
				}
				if a.Event != EventHeldOpenCleared && before.Mode == EmergencyUnlock && after.Mode == EmergencyUnlock {
					fail("%s in emergency unlock", a.Event)
				}
				if a.Event == EventHeldOpen {
					if c.heldRaised {
						fail("held open raised twice")
					}
					c.heldRaised = true
				}
				if a.Event == EventHeldOpenCleared {
					if !c.heldRaised {
						fail("held open cleared but not raised")
					}
					c.heldRaised = false
				}
			case EventLockOffline:
				online = false
			case EventLockFailed:
				if online {
					fail("lock failed while the lock is online")
				}
			case EventUnlocked:
				if !online {
					fail("unlocked while the lock is offline")
				}
			case EventOpened, EventClosed, EventREX, EventRelocked,
				EventMode, EventLockOnline, EventUnsecured:
			default:
				fail("unknown event %q", a.Event)
			}
		default:
			fail("bad action kind %v", a.Kind)
		}
	}
	if after.Mode == EmergencyUnlock && after.LockOnline && c.lastLock != UnlockHold {
		fail("emergency unlock but the last lock action was %v", c.lastLock)
	}
	if after.Locked && after.LockOnline && c.lastLock != Lock {
		fail("locked but the last lock action was %v", c.lastLock)
	}
	if after.Alarms.HeldOpen != c.heldRaised {
		fail("held-open alarm %v but events say %v", after.Alarms.HeldOpen, c.heldRaised)
	}
	if !c.cfg.Contact && (after.Open || after.Alarms.Forced || after.Alarms.HeldOpen) {
		fail("contact state without a contact: %+v", after)
	}
	if after.Mode == EmergencyUnlock && (after.Alarms.Forced || after.Alarms.HeldOpen || after.Locked) {
		fail("emergency unlock state %+v", after)
	}
	if after.Alarms.Unsecured != (!after.LockOnline && c.cfg.FailSafe) {
		fail("unsecured %v", after.Alarms.Unsecured)
	}
	if want := map[bool]string{true: "", false: map[bool]string{true: AssumedUnlocked, false: AssumedLocked}[c.cfg.FailSafe]}[after.LockOnline]; after.Assumed != want {
		fail("assumed %q, want %q", after.Assumed, want)
	}
	if after.Mode != before.Mode && name[:4] != "mode" {
		fail("mode changed by itself from %v to %v", before.Mode, after.Mode)
	}
}

// configFrom picks a Config from a few bits and small numbers.
func configFrom(bits byte, pulse, held, rexPulse, excuse byte) Config {
	ms := func(b byte) time.Duration { return time.Duration(b) * 250 * time.Millisecond }
	return Config{
		Name:         "prop",
		Contact:      bits&1 != 0,
		FailSafe:     bits&2 != 0,
		REXUnlocks:   bits&4 != 0,
		Pulse:        ms(pulse),
		HeldOpen:     ms(held),
		REXPulse:     ms(rexPulse),
		ExcuseWindow: ms(excuse),
	}
}

func TestProperties(t *testing.T) {
	seqs, ops := 400, 300
	if testing.Short() {
		seqs = 50
	}
	for seed := range uint64(seqs) {
		r := rand.New(rand.NewPCG(seed, 0x6d656e776569))
		cfg := configFrom(byte(r.IntN(8)), byte(r.IntN(40)), byte(r.IntN(200)), byte(r.IntN(40)), byte(r.IntN(60)))
		c := newChecker(t, cfg)
		for range ops {
			var dt time.Duration
			switch r.IntN(4) {
			case 0: // same instant
			case 1, 2:
				dt = time.Duration(r.IntN(4000)) * time.Millisecond
			case 3:
				dt = time.Duration(r.IntN(60)) * time.Second
			}
			op := r.IntN(opCount)
			if r.IntN(3) == 0 { // the door moves more than anything else
				op = opOpen + r.IntN(2)
			}
			c.step(op, dt)
			if t.Failed() {
				t.Fatalf("seed %d, config %+v", seed, cfg)
			}
		}
	}
}

func FuzzDoor(f *testing.F) {
	f.Add([]byte{0x01, 12, 120, 0, 40, opGrant, 0, opOpen, 4, opTick, 12, opClose, 1})
	f.Add([]byte{0x07, 0, 0, 0, 0, opEmergency, 0, opOpen, 1, opOffline, 2, opNormal, 3, opOnline, 4, opTickAtDeadline, 0})
	f.Add([]byte{0x03, 4, 8, 20, 1, opLockdown, 0, opGrant, 1, opOffline, 2, opREX, 3, opOpen, 200, opOnline, 255, opClose, 0})
	f.Add([]byte{0x05, 1, 1, 1, 1, opREX, 0, opGrant, 0, opOpen, 0, opClose, 0, opEmergency, 0, opLockdown, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 5 {
			return
		}
		c := newChecker(t, configFrom(b[0], b[1], b[2], b[3], b[4]))
		for b = b[5:]; len(b) >= 2; b = b[2:] {
			// dt in 100ms steps, -1.2s…+24s: time given may go back.
			dt := time.Duration(int(b[1])-12) * 100 * time.Millisecond
			c.step(int(b[0])%opCount, dt)
		}
	})
}
