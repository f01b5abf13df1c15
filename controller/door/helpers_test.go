package door

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// An input applied to a door at a time.
type input struct {
	name string
	do   func(d *Door, now time.Time) []Action
}

var (
	grant    = input{"grant", (*Door).Grant}
	rex      = input{"rex", (*Door).REX}
	tick     = input{"tick", (*Door).Tick}
	opens    = input{"open", func(d *Door, now time.Time) []Action { return d.Contact(now, true) }}
	closes   = input{"close", func(d *Door, now time.Time) []Action { return d.Contact(now, false) }}
	offline  = input{"offline", func(d *Door, now time.Time) []Action { return d.LockOnline(now, false) }}
	online   = input{"online", func(d *Door, now time.Time) []Action { return d.LockOnline(now, true) }}
	normal   = setMode(Normal)
	emerg    = setMode(EmergencyUnlock)
	lockdown = setMode(Lockdown)
)

func setMode(m Mode) input {
	return input{"mode " + m.String(), func(d *Door, now time.Time) []Action {
		acts, err := d.SetMode(now, m)
		if err != nil {
			panic(err) // refused transitions are tested on their own
		}
		return acts
	}}
}

// Expected actions.
var (
	lock = Action{Kind: Lock}
	hold = Action{Kind: UnlockHold}
)

func unlock(p time.Duration) Action { return Action{Kind: Unlock, Duration: p} }
func ev(event string) Action        { return Action{Kind: Emit, Event: event} }
func evd(event, detail string) Action {
	return Action{Kind: Emit, Event: event, Detail: detail}
}
func acts(a ...Action) []Action { return a }

// A step feeds one input at t0+at and expects exactly want (nil: nothing)
// and, when state is set, that state afterwards.
type step struct {
	at    time.Duration
	in    input
	want  []Action
	state *State
}

// Common states.
func st(f func(*State)) *State {
	s := State{Mode: Normal, Locked: true, LockOnline: true}
	f(&s)
	return &s
}

var idle = st(func(*State) {})

// run creates a door from cfg and plays steps on it.
func run(t *testing.T, cfg Config, steps []step) *Door {
	t.Helper()
	d, start, err := New(cfg, t0)
	require.NoError(t, err)
	require.Equal(t, acts(lock), start)
	for i, s := range steps {
		now := t0.Add(s.at)
		got := s.in.do(d, now)
		if len(s.want) == 0 {
			assert.Empty(t, got, "step %d: %s at %v", i, s.in.name, s.at)
		} else {
			assert.Equal(t, s.want, got, "step %d: %s at %v", i, s.in.name, s.at)
		}
		if s.state != nil {
			assert.Equal(t, *s.state, d.State(), "step %d: %s at %v: state", i, s.in.name, s.at)
		}
		if dl := d.Deadline(); !dl.IsZero() {
			assert.True(t, dl.After(now), "step %d: deadline %v not after %v", i, dl, now)
		}
	}
	return d
}
