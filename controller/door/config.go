package door

import (
	"errors"
	"fmt"
	"time"
)

// ErrConfig is returned by New for a Config it cannot run.
var ErrConfig = errors.New("door: bad config")

// Config describes one door. The zero value of every field is a documented
// default, so Config{Name: "gate"} is a fail-secure door without a contact
// whose grants release the lock for 3s.
type Config struct {
	// Name identifies the door in errors; the state machine does not use it
	// otherwise.
	Name string

	// Pulse is how long a grant releases the lock. 0 = 3s.
	Pulse time.Duration

	// HeldOpen is how long the door may stand open before a held-open alarm
	// is raised. The time runs from the opening, whether it was legitimate
	// or forced. 0 = 30s.
	HeldOpen time.Duration

	// REXPulse is how long a REX press releases the lock when REXUnlocks is
	// set. 0 = Pulse.
	REXPulse time.Duration

	// REXUnlocks makes a REX press release the lock (maglocks). Without it
	// a press only excuses the next opening (strikes with a mechanical
	// handle on the inside).
	REXUnlocks bool

	// Contact says the door has a contact input. Without one, Contact calls
	// are ignored and there are no forced or held-open alarms.
	Contact bool

	// FailSafe says the lock releases when it loses power or control (a
	// maglock). false is fail-secure: it stays locked (an electric strike).
	FailSafe bool

	// ExcuseWindow is how long after a grant or a REX press an opening is
	// legitimate even though the lock is commanded locked. 0 = 10s.
	ExcuseWindow time.Duration
}

// Defaults for the zero values of Config.
const (
	DefaultPulse        = 3 * time.Second
	DefaultHeldOpen     = 30 * time.Second
	DefaultExcuseWindow = 10 * time.Second
)

// validate rejects what no default can fix.
func (c Config) validate() error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"pulse", c.Pulse},
		{"held_open", c.HeldOpen},
		{"rex_pulse", c.REXPulse},
		{"excuse_window", c.ExcuseWindow},
	} {
		if f.d < 0 {
			return fmt.Errorf("%w: door %q: %s %v is negative", ErrConfig, c.Name, f.name, f.d)
		}
	}
	return nil
}

// withDefaults replaces zero values by their defaults.
func (c Config) withDefaults() Config {
	if c.Pulse == 0 {
		c.Pulse = DefaultPulse
	}
	if c.HeldOpen == 0 {
		c.HeldOpen = DefaultHeldOpen
	}
	if c.REXPulse == 0 {
		c.REXPulse = c.Pulse
	}
	if c.ExcuseWindow == 0 {
		c.ExcuseWindow = DefaultExcuseWindow
	}
	return c
}
