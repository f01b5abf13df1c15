package door

import (
	"errors"
	"fmt"
)

// Mode is how a door is run. The state machine never changes it by itself:
// only SetMode does.
type Mode int

const (
	// Normal: locked, released for a grant (and a REX press if configured).
	Normal Mode = iota
	// EmergencyUnlock (fire alarm): the lock is held released; no forced or
	// held-open alarms; grants do nothing.
	EmergencyUnlock
	// Lockdown: locked; any release in progress is cancelled, as is the
	// excuse of grants before it, and REX presses no longer release the lock
	// (they still excuse an opening: egress). Grants still do: the access
	// policy decides who is granted during a lockdown.
	Lockdown
)

// ErrUnknownMode is returned for a Mode or a mode name that does not exist.
var ErrUnknownMode = errors.New("door: unknown mode")

// ErrEmergency is returned by SetMode(Lockdown) during EmergencyUnlock: a
// door unlocked for a fire alarm is only locked again by returning it to
// Normal first, never by a lockdown.
var ErrEmergency = errors.New("door: emergency unlock active: return to normal first")

var modeNames = [...]string{Normal: "normal", EmergencyUnlock: "emergency_unlock", Lockdown: "lockdown"}

func (m Mode) valid() bool { return m >= 0 && int(m) < len(modeNames) }

// String returns the machine-readable name: "normal", "emergency_unlock" or
// "lockdown".
func (m Mode) String() string {
	if !m.valid() {
		return fmt.Sprintf("mode(%d)", int(m))
	}
	return modeNames[m]
}

// ParseMode is the inverse of Mode.String.
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if s == name {
			return Mode(m), nil
		}
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownMode, s)
}

// MarshalText encodes the mode by name, for JSON and YAML.
func (m Mode) MarshalText() ([]byte, error) {
	if !m.valid() {
		return nil, fmt.Errorf("%w %d", ErrUnknownMode, int(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText decodes a mode name.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
