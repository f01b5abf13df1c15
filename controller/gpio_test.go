package controller

import (
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/config"
	"menwei/controller/door"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/gpio"
	"menwei/devices/gpio/gpiotest"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// The realistic box: an OSDP reader on the bus, the lock's relay, the
// contact and the REX button on the box's own GPIO lines, a fire panel's
// contact on another.
const gpioDoorConfig = `
buses:
  - name: b
    device: /dev/null
    pds: [{ name: east-r, address: 1 }]
doors:
  - name: east-gate
    readers: [{ pd: east-r }]
    lock:    { gpio: { chip: gpiochip0, line: 17, active_low: true } }
    contact: { gpio: { chip: gpiochip0, line: 22, debounce: 20ms } }
    rex:     { gpio: { chip: gpiochip0, line: 23 } }
    pulse: 1s
    held_open: 1s
emergency:
  fire_inputs: [ { gpio: { chip: gpiochip0, line: 5, active_low: true } } ]
`

const (
	lockLine    = 17
	contactLine = 22
	rexLine     = 23
	fireLine    = 5
)

// servePD answers the controller as the emulated PD on one end of a pipe.
func servePD(ctx context.Context, rw io.ReadWriter, pd *osdppd.PD) {
	r := osdp.NewReader(rw)
	for ctx.Err() == nil {
		f, err := r.Next()
		if err != nil {
			return
		}
		if rep := pd.Handle(f); rep != nil {
			if _, err := rw.Write(rep); err != nil {
				return
			}
		}
	}
}

// watchedOpener hands out the bank's lines, calling onSet before each Set
// of an output goes to the line.
type watchedOpener struct {
	*gpiotest.Bank
	onSet func(l gpio.Line, active bool)
}

type watchedOutput struct {
	gpio.Output
	l     gpio.Line
	onSet func(l gpio.Line, active bool)
}

func (w watchedOutput) Set(active bool) error {
	if w.onSet != nil {
		w.onSet(w.l, active)
	}
	return w.Output.Set(active)
}

func (o watchedOpener) OpenOutput(l gpio.Line) (gpio.Output, error) {
	out, err := o.Bank.OpenOutput(l)
	if err != nil {
		return nil, err
	}
	return watchedOutput{out, l, o.onSet}, nil
}

type gpioRig struct {
	t     *testing.T
	c     *Controller
	s     *store.Store
	bank  *gpiotest.Bank
	pd    *osdppd.PD
	after uint64
}

// newGPIORig builds a controller on cfgText with the fake bank (lines set
// by before, ahead of New) and runs it against an emulated PD at address 1.
func newGPIORig(t *testing.T, cfgText string, before func(*gpiotest.Bank), onSet func(*gpioRig, gpio.Line, bool)) *gpioRig {
	t.Helper()
	cfg, err := config.Parse([]byte(cfgText), t.TempDir())
	require.NoError(t, err)
	s, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.PutIdentity(store.Identity{ID: "li", Kind: policy.Resident, Name: "Li Wei"}))
	require.NoError(t, s.AddCredential(store.Credential{Kind: policy.Card, Key: "1:1", Identity: "li"}))
	r := &gpioRig{t: t, s: s, bank: gpiotest.New()}
	if before != nil {
		before(r.bank)
	}
	op := watchedOpener{Bank: r.bank}
	if onSet != nil {
		op.onSet = func(l gpio.Line, active bool) { onSet(r, l, active) }
	}
	r.pd, err = osdppd.New(osdppd.Config{Addr: 1})
	require.NoError(t, err)
	cpEnd, pdEnd := net.Pipe()
	r.c, err = New(Options{Config: cfg, Store: s, OpenGPIO: op,
		OpenPort: func(config.Bus) (io.ReadWriteCloser, error) { return cpEnd, nil }})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); servePD(ctx, pdEnd, r.pd) }()
	go func() { defer wg.Done(); r.c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		pdEnd.Close()
		wg.Wait()
		r.c.Close()
		assert.False(t, r.bank.Open("gpiochip0", lockLine), "Close releases the lines")
	})
	require.Eventually(t, func() bool { return r.c.PDs()[0].Online && r.c.Doors()[0].LockOnline }, 10*time.Second, 10*time.Millisecond)
	return r
}

// events returns what was recorded since the last call.
func (r *gpioRig) events() []Event {
	evs, err := r.s.Events(EventQuery{After: r.after, Limit: 1000})
	require.NoError(r.t, err)
	if len(evs) > 0 {
		r.after = evs[len(evs)-1].Seq
	}
	return evs
}

// waitFor waits until an event of kind is recorded and returns it with
// everything recorded before it since the last call.
func (r *gpioRig) waitFor(kind string) (Event, []Event) {
	r.t.Helper()
	var seen []Event
	var found Event
	require.Eventually(r.t, func() bool {
		for _, ev := range r.events() {
			seen = append(seen, ev)
			if ev.Kind == kind {
				found = ev
				return true
			}
		}
		return false
	}, 10*time.Second, 5*time.Millisecond, "waiting for %s, seen %v", kind, kinds(seen))
	return found, seen
}

func (r *gpioRig) lockActive() bool { return r.bank.Active("gpiochip0", lockLine) }

// A card at the PD reader releases the GPIO lock: the grant is durable
// before the line is set, door.unlocked is recorded only after it was set,
// and the line drops when the pulse ends.
func TestGPIOLockGrantRecordedThenReleased(t *testing.T) {
	var mu sync.Mutex
	var atRelease []string // the kinds in the log when the line went active
	r := newGPIORig(t, gpioDoorConfig, nil, func(r *gpioRig, l gpio.Line, active bool) {
		if !active {
			return
		}
		evs, err := r.s.Events(EventQuery{Limit: 1000})
		require.NoError(t, err)
		mu.Lock()
		atRelease = kinds(evs)
		mu.Unlock()
	})
	cfg := r.bank.Config("gpiochip0", lockLine)
	assert.True(t, cfg.ActiveLow, "active_low handed to the line")
	assert.Zero(t, cfg.Debounce, "no debounce on an output")
	assert.Equal(t, 20*time.Millisecond, r.bank.Config("gpiochip0", contactLine).Debounce)
	assert.Equal(t, config.DefaultDebounce, r.bank.Config("gpiochip0", rexLine).Debounce)
	r.waitFor(door.EventLockOnline)
	assert.False(t, r.lockActive(), "locked at start")

	r.pd.PresentWiegand26(1, 1)
	unlocked, before := r.waitFor(door.EventUnlocked)
	assert.Contains(t, kinds(before), KindGranted)
	assert.True(t, r.lockActive())
	mu.Lock()
	assert.Contains(t, atRelease, KindGranted, "the grant was durable before the line was set")
	assert.NotContains(t, atRelease, door.EventUnlocked, "door.unlocked is recorded after the line was set")
	mu.Unlock()
	assert.Empty(t, unlocked.PD)
	assert.False(t, r.c.Doors()[0].Locked)

	r.waitFor(door.EventRelocked) // the pulse ended (the supervisor's tick)
	assert.False(t, r.lockActive(), "the line dropped at pulse end")
	sets := r.bank.Sets("gpiochip0", lockLine)
	require.GreaterOrEqual(t, len(sets), 3)
	assert.Equal(t, []bool{false, true}, sets[:2], "locked at start, released")
	assert.NotContains(t, sets[2:], true, "then locked (by the line's timer, the state machine's Lock, or both)")
}

// A timed release drops its line by itself after the pulse, even when the
// state machine's tick cannot run (here the door's mutex is held, as by a
// stalled supervisor): the door is not left released.
func TestGPIOLockDropsWithoutATick(t *testing.T) {
	r := newGPIORig(t, gpioDoorConfig, nil, nil)
	r.pd.PresentWiegand26(1, 1)
	r.waitFor(door.EventUnlocked)
	d := r.c.doors[0]
	d.mu.Lock()
	released := !d.sm.State().Locked
	if released { // else the tick came first: nothing stalled to test
		assert.Eventually(t, func() bool { return !r.lockActive() }, 10*time.Second, 5*time.Millisecond, "the line's own timer dropped it")
		assert.False(t, d.sm.State().Locked, "the state machine has not relocked: its tick is stalled")
	}
	d.mu.Unlock()
	require.True(t, released, "the door was released when the card's door.unlocked was read")
	r.waitFor(door.EventRelocked)
}

// A Set that fails is door.lock_failed, never door.unlocked, and a guard's
// open is told the door did not open.
func TestGPIOLockSetFails(t *testing.T) {
	r := newGPIORig(t, gpioDoorConfig, nil, nil)
	r.waitFor(door.EventLockOnline)
	r.bank.FailSet("gpiochip0", lockLine, errors.New("input/output error"))

	r.pd.PresentWiegand26(1, 1)
	failed, before := r.waitFor(KindLockFailed)
	assert.Contains(t, kinds(before), KindGranted)
	assert.NotContains(t, kinds(before), door.EventUnlocked)
	assert.Equal(t, ReasonLockRefused, failed.Reason)
	assert.Contains(t, failed.Detail, "door not opened: gpio: gpiochip0 line 17: set: input/output error")
	assert.True(t, failed.Alarm)
	assert.False(t, r.lockActive())

	res, err := r.c.GuardOpen(context.Background(), "east-gate", "guard1")
	require.NoError(t, err)
	assert.Equal(t, LockRefused, res)
	assert.False(t, res.Opened())
	_, evs := r.waitFor(KindLockFailed)
	assert.NotContains(t, kinds(evs), door.EventUnlocked)

	r.bank.FailSet("gpiochip0", lockLine, nil)
	res, err = r.c.GuardOpen(context.Background(), "east-gate", "guard1")
	require.NoError(t, err)
	assert.Equal(t, LockConfirmed, res, "confirmed once the line was set")
	assert.True(t, r.lockActive())
}

// The contact and REX on GPIO lines behave as a PD's inputs: an opening
// without a grant or REX is forced, one after REX is not, and a door left
// open raises held-open.
func TestGPIOContactAndREX(t *testing.T) {
	r := newGPIORig(t, gpioDoorConfig, nil, nil)
	r.waitFor(door.EventLockOnline)

	r.bank.Toggle("gpiochip0", contactLine, true)
	forced, _ := r.waitFor(door.EventForcedOpen)
	assert.True(t, forced.Alarm)
	assert.True(t, r.c.Doors()[0].Open)
	r.bank.Toggle("gpiochip0", contactLine, false)
	r.waitFor(door.EventClosed)

	r.bank.Toggle("gpiochip0", rexLine, true)
	r.waitFor(door.EventREX)
	r.bank.Toggle("gpiochip0", rexLine, false)
	r.bank.Toggle("gpiochip0", contactLine, true)
	_, evs := r.waitFor(door.EventOpened)
	assert.NotContains(t, kinds(evs), door.EventForcedOpen, "REX excuses the opening")

	held, _ := r.waitFor(door.EventHeldOpen) // after held_open, 1s
	assert.True(t, held.Alarm)
	assert.Contains(t, r.c.Doors()[0].Alarms, "held_open")
	r.bank.Toggle("gpiochip0", contactLine, false)
	r.waitFor(door.EventHeldOpenCleared)
}

// A door standing open when menweid starts is learned from the line's
// level at open, as a PD's first input report: opened, supervised, not
// forced.
func TestGPIOContactInitialLevel(t *testing.T) {
	r := newGPIORig(t, gpioDoorConfig, func(b *gpiotest.Bank) { b.Toggle("gpiochip0", contactLine, true) }, nil)
	_, evs := r.waitFor(door.EventOpened)
	assert.NotContains(t, kinds(evs), door.EventForcedOpen)
	assert.True(t, r.c.Doors()[0].Open)
}

// A fire input on a GPIO line puts the escape doors into emergency unlock
// and holds the lock line released after the alarm clears.
func TestGPIOFireInput(t *testing.T) {
	r := newGPIORig(t, gpioDoorConfig, nil, nil)
	r.waitFor(door.EventLockOnline)
	r.bank.Toggle("gpiochip0", fireLine, true)
	fire, _ := r.waitFor(KindFire)
	assert.Equal(t, "fire alarm input gpiochip0 line 5", fire.Detail)
	require.Eventually(t, func() bool { return r.c.Doors()[0].Mode == "emergency_unlock" }, 10*time.Second, 5*time.Millisecond)
	assert.True(t, r.lockActive(), "held released")
	r.bank.Toggle("gpiochip0", fireLine, false)
	r.pd.PresentWiegand26(1, 1)
	r.waitFor(KindGranted)
	assert.Equal(t, "emergency_unlock", r.c.Doors()[0].Mode)
	assert.True(t, r.lockActive())
	require.NoError(t, r.c.SetDoorMode(context.Background(), "east-gate", door.Normal, "all clear"))
	assert.False(t, r.lockActive())
}

// A fail-safe lock on a GPIO line is online once Run holds its line (it
// cannot go offline as a PD's terminal can): no door.unsecured, nothing
// assumed, and health says nothing about it.
func TestGPIOFailSafeLock(t *testing.T) {
	r := newGPIORig(t, strings.Replace(gpioDoorConfig, "held_open: 1s", "held_open: 1s\n    fail_safe: true", 1), nil, nil)
	_, evs := r.waitFor(door.EventLockOnline)
	assert.NotContains(t, kinds(evs), door.EventUnsecured)
	st := r.c.Doors()[0]
	assert.True(t, st.LockOnline)
	assert.True(t, st.Locked)
	assert.Empty(t, st.Assumed)
	assert.Empty(t, st.Alarms)
	assert.False(t, r.lockActive(), "locked: the line drives the maglock")
	for _, why := range r.c.Health().NotReady {
		assert.NotContains(t, why, "gpio")
	}
}

// A stored emergency unlock is asserted on the GPIO lock when Run starts.
func TestGPIOStoredEmergency(t *testing.T) {
	// Run once to store the mode, then again on the same store.
	cfg, err := config.Parse([]byte(gpioDoorConfig), t.TempDir())
	require.NoError(t, err)
	s, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.SetDoorModes(map[string]string{"east-gate": "emergency_unlock"}))
	bank := gpiotest.New()
	c, err := New(Options{Config: cfg, Store: s, OpenGPIO: bank,
		OpenPort: func(config.Bus) (io.ReadWriteCloser, error) {
			a, b := net.Pipe()
			go io.Copy(io.Discard, b)
			return a, nil
		}})
	require.NoError(t, err)
	assert.False(t, bank.Active("gpiochip0", lockLine), "nothing driven before Run")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx) }()
	require.Eventually(t, func() bool { return bank.Active("gpiochip0", lockLine) }, 10*time.Second, 5*time.Millisecond, "held released")
	cancel()
	<-done
	c.Close()
	assert.False(t, bank.Open("gpiochip0", lockLine))
}

// A line that cannot be opened stops New with an error naming the door,
// the role and the line, and the lines opened before it are released.
func TestGPIOOpenFails(t *testing.T) {
	cfg, err := config.Parse([]byte(gpioDoorConfig), t.TempDir())
	require.NoError(t, err)
	s, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	defer s.Close()

	bank := gpiotest.New()
	bank.FailOpen("gpiochip0", rexLine, errors.New("device or resource busy"))
	_, err = New(Options{Config: cfg, Store: s, OpenGPIO: bank})
	require.Error(t, err)
	assert.Equal(t, "controller: door east-gate: rex: gpio: gpiochip0 line 23: request: device or resource busy", err.Error())
	assert.False(t, bank.Open("gpiochip0", lockLine), "the lock's line opened before is released")
	assert.False(t, bank.Open("gpiochip0", contactLine))

	bank.FailOpen("gpiochip0", rexLine, nil)
	bank.FailOpen("gpiochip0", fireLine, errors.New("permission denied"))
	_, err = New(Options{Config: cfg, Store: s, OpenGPIO: bank})
	assert.EqualError(t, err, "controller: fire input 0: gpio: gpiochip0 line 5: request: permission denied")
	assert.False(t, slices.ContainsFunc([]int{lockLine, contactLine, rexLine}, func(l int) bool { return bank.Open("gpiochip0", l) }))

	// The real character device: a chip that is not there.
	chip := filepath.Join(t.TempDir(), "gpiochip0")
	cfg, err = config.Parse([]byte(strings.ReplaceAll(gpioDoorConfig, "chip: gpiochip0", "chip: "+chip)), t.TempDir())
	require.NoError(t, err)
	_, err = New(Options{Config: cfg, Store: s})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "controller: door east-gate: lock: gpio: "+chip+" line 17: open "+chip+": no such file or directory")
}
