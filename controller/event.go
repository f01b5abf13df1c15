package controller

import (
	"menwei/controller/door"
	"menwei/controller/eventlog"
	"menwei/controller/store"
)

// Event kinds recorded by the controller. Door supervision adds the door.*
// kinds of package door, and risk warnings the alert.* kinds of package alerts.
const (
	KindGranted     = "access.granted"
	KindDenied      = "access.denied"
	KindDuress      = "alarm.duress"
	KindPDOnline    = "pd.online"
	KindPDOffline   = "pd.offline"
	KindPDSecure    = "pd.secure_channel"
	KindPDTamper    = "pd.tamper"
	KindPDPower     = "pd.power"
	KindDoorOpened  = door.EventOpened
	KindDoorClosed  = door.EventClosed
	KindForcedOpen  = door.EventForcedOpen
	KindDoorMode    = door.EventMode
	KindLockFailed  = door.EventLockFailed
	KindUnlocked    = door.EventUnlocked
	KindFire        = "emergency.fire"
	KindSystemStart = "system.start"
	KindSystemStop  = "system.stop"
	// A person's consent to a biometric, given or withdrawn (its detail
	// names the biometric and the text's version; the account is the
	// audit's).
	KindConsentGiven     = "consent.given"
	KindConsentWithdrawn = "consent.withdrawn"
	// Looking at or copying personal data, by an account: a face crop
	// viewed, events exported, a person's data exported.
	KindCropViewed     = "crop.viewed"
	KindEventsExported = "events.exported"
	KindPersonExported = "person.exported"
	// KindBackup: a backup of the store taken through the API, by an account.
	KindBackup = "store.backup"
	// KindPersonErased: a person's events pseudonymised (eventlog.Erase).
	KindPersonErased = eventlog.KindErased
)

// Reasons carried by access decisions besides those of package policy
// (machine readable).
const (
	ReasonGranted      = "granted"
	ReasonUnknownCard  = "unknown_card"
	ReasonBadRead      = "bad_read"
	ReasonNotAllowed   = "not_allowed_at_door"
	ReasonDisabled     = "identity_disabled"
	ReasonWrongPIN     = "wrong_pin"
	ReasonPINNoCard    = "pin_without_card"
	ReasonNoSchedule   = "schedule_missing"
	ReasonLockOffline  = "lock_offline"  // the lock's terminal is offline: the door did not open
	ReasonLockRefused  = "lock_refused"  // the lock's terminal refused the command (NAK)
	ReasonLockNoReply  = "lock_no_reply" // the lock's terminal never acknowledged the command
	ReasonInternal     = "internal_error"
	ReasonNotRecorded  = "not_recorded"
	ReasonFactorTimout = "factor_timeout"
)

// Event is one entry of the durable log (see package eventlog).
type Event = eventlog.Event

// EventQuery selects events.
type EventQuery = eventlog.Query

// EventPage is one page of a query's answer.
type EventPage = eventlog.Page

// ChainError says where the event chain breaks.
type ChainError = eventlog.ChainError

// cardRef is a stable fingerprint of a card for spotting repeats in the log
// without storing the number next to a name.
func cardRef(c store.Card) string { return c.Ref() }
