package controller

import (
	"encoding/json"

	"menwei/controller/eventlog"
)

// Event kinds.
const (
	KindGranted     = "access.granted"
	KindDenied      = "access.denied"
	KindPDOnline    = "pd.online"
	KindPDOffline   = "pd.offline"
	KindPDSecure    = "pd.secure_channel"
	KindPDTamper    = "pd.tamper"
	KindPDPower     = "pd.power"
	KindDoorOpened  = "door.opened"
	KindDoorClosed  = "door.closed"
	KindLockFailed  = "door.lock_failed"
	KindSystemStart = "system.start"
	KindSystemStop  = "system.stop"
)

// Reasons carried by access decisions (machine readable).
const (
	ReasonGranted     = "granted"
	ReasonUnknownCard = "unknown_card"
	ReasonBadRead     = "bad_read"
	ReasonNotAllowed  = "not_allowed_at_door"
	ReasonDisabled    = "identity_disabled"
	ReasonLockOffline = "lock_offline"
)

// Event is one entry of the durable log (see package eventlog).
type Event = eventlog.Event

// EventQuery selects events.
type EventQuery = eventlog.Query

// ChainError says where the event chain breaks.
type ChainError = eventlog.ChainError

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
