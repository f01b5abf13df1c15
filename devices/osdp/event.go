package osdp

import (
	"errors"
	"fmt"
)

// EventKind says what an Event reports.
type EventKind int

const (
	// EventOnline: the PD answered ID and CAP (and completed the secure
	// channel when it has a key). Secure tells whether SC is active.
	EventOnline EventKind = iota + 1
	// EventOffline: no valid reply for the offline period, or the link was
	// torn down (Err says why). Queued commands fail with ErrOffline.
	EventOffline
	// EventSecureChannel: the secure channel failed (Err) or a new key was
	// installed with KEYSET (Err nil, Secure true).
	EventSecureChannel
	// EventReport: a reply carrying data: PDID, PDCap, Raw, Keypad, LStatR,
	// IStatR, OStatR, RStatR, BioReadR, BioMatchR, MfgRep or Com.
	EventReport
	// EventResult: the outcome of a command submitted with Bus.Submit:
	// Err nil when the PD accepted it, a *NAKError, ErrOffline or ErrTimeout.
	EventResult
)

func (k EventKind) String() string {
	switch k {
	case EventOnline:
		return "online"
	case EventOffline:
		return "offline"
	case EventSecureChannel:
		return "secure-channel"
	case EventReport:
		return "report"
	case EventResult:
		return "result"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is what the bus reports to its owner.
type Event struct {
	Addr   byte
	Kind   EventKind
	Msg    Message // EventReport: the reply
	Secure bool    // EventOnline, EventSecureChannel: SC active
	Err    error   // EventOffline, EventSecureChannel, EventResult
	Req    uint64  // EventResult: the request it answers
	Cmd    byte    // EventResult: the command code
}

// Errors reported for commands and links.
var (
	ErrOffline   = errors.New("osdp: pd offline")
	ErrTimeout   = errors.New("osdp: no reply")
	ErrQueueFull = errors.New("osdp: command queue full")
	ErrUnknownPD = errors.New("osdp: no such pd on this bus")
	ErrNoSC      = errors.New("osdp: sc: pd does not support the secure channel")
	ErrNotSecure = errors.New("osdp: command needs an established secure channel")
	ErrRestarted = errors.New("osdp: pd restarted")
)
