package eventlog

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Event is one entry of the durable log. Seq, Prev and Hash are set by the
// log when it is appended; Hash covers every other field and Prev, so
// changing any stored event breaks the chain from there on.
type Event struct {
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"`
	Door     string    `json:"door,omitempty"`
	PD       string    `json:"pd,omitempty"`
	Identity string    `json:"identity,omitempty"` // resident id
	Name     string    `json:"name,omitempty"`
	Card     string    `json:"card,omitempty"`     // masked hint, never the number
	Factor   string    `json:"factor,omitempty"`   // factors presented, e.g. "card+pin"
	Side     string    `json:"side,omitempty"`     // entry or exit reader
	CardRef  string    `json:"card_ref,omitempty"` // stable fingerprint of the card, to spot repeats
	FaceRef  string    `json:"face_ref,omitempty"` // the same unknown face seen again gets the same ref
	Alarm    bool      `json:"alarm,omitempty"`    // guards should look
	Reason   string    `json:"reason,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	// Ref is the seq of an earlier event this one is about (an
	// acknowledgement names the alarm it closes); 0 = none. Ref and
	// Account came after the other fields; being omitempty, an event
	// without them marshals as before, so older events keep their hashes.
	Ref uint64 `json:"ref,omitempty"`
	// Account is the console account that did what the event records
	// (an acknowledgement: the guard who acknowledged).
	Account string `json:"account,omitempty"`
	Prev    string `json:"prev"`
	Hash    string `json:"hash"`
}

// chainHash is SHA-256 over the previous hash and the event's JSON without
// its own hash.
func chainHash(e Event) string {
	e.Hash = ""
	b, _ := json.Marshal(e) // a struct of strings, ints and a time cannot fail
	h := sha256.New()
	h.Write([]byte(e.Prev))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}
