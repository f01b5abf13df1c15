package door

import (
	"fmt"
	"time"
)

// ActionKind says what an Action asks the controller to do.
type ActionKind int

const (
	// Unlock releases the lock for Duration, as a pulse the lock's terminal
	// times itself.
	Unlock ActionKind = iota + 1
	// UnlockHold releases the lock until told otherwise.
	UnlockHold
	// Lock re-locks now, cancelling any pulse or hold.
	Lock
	// Emit records the event Event with Detail.
	Emit
)

func (k ActionKind) String() string {
	switch k {
	case Unlock:
		return "unlock"
	case UnlockHold:
		return "unlock_hold"
	case Lock:
		return "lock"
	case Emit:
		return "emit"
	}
	return fmt.Sprintf("action(%d)", int(k))
}

// Action is one thing for the controller to do. Inputs return them in the
// order they are to be carried out.
type Action struct {
	Kind     ActionKind
	Duration time.Duration // Unlock only
	Event    string        // Emit only: one of the Event constants
	Detail   string        // Emit only
}

// String reads like "unlock(3s)", "lock" or "door.mode: lockdown".
func (a Action) String() string {
	switch a.Kind {
	case Unlock:
		return fmt.Sprintf("unlock(%v)", a.Duration)
	case Emit:
		if a.Detail != "" {
			return a.Event + ": " + a.Detail
		}
		return a.Event
	}
	return a.Kind.String()
}

// Event kinds carried by Emit actions (machine readable).
const (
	EventOpened          = "door.opened"
	EventClosed          = "door.closed"            // also ends a forced-open alarm
	EventHeldOpen        = "door.held_open"         // alarm raised
	EventHeldOpenCleared = "door.held_open_cleared" // alarm ended
	EventForcedOpen      = "door.forced_open"       // alarm raised; ends with door.closed
	EventREX             = "door.rex"
	EventUnlocked        = "door.unlocked"     // Detail: DetailGrant or DetailREX
	EventRelocked        = "door.relocked"     // a grant or REX release ended
	EventMode            = "door.mode"         // Detail: the new Mode
	EventLockOffline     = "door.lock_offline" // Detail: the assumption made
	EventLockOnline      = "door.lock_online"  // also ends an unsecured alarm
	EventUnsecured       = "door.unsecured"    // alarm: fail-safe lock offline
	// EventLockFailed: a release the lock could not carry out, so the door
	// did not open (Detail says why). The controller records the same kind
	// when the lock's terminal refuses or never acknowledges the command.
	EventLockFailed = "door.lock_failed"
)

// Details of Emit actions.
const (
	DetailGrant             = "grant"
	DetailREX               = "rex"
	DetailFailSafeOffline   = "fail-safe: lock assumed released"
	DetailFailSecureOffline = "fail-secure: lock assumed locked"
	DetailLockOffline       = "lock offline: not released"
)
