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
	// AtGate, on an estate office's own event about an event of one of its
	// gates (its acknowledgement of a gate's alarm), names that gate; Ref is
	// then the gate's seq. Omitted otherwise, so every other event keeps
	// its hash.
	AtGate string `json:"at_gate,omitempty"`
	// Mentions are the ids of other people the event is about besides its
	// own person: a visitor's host, the resident a face looked like (never
	// written into Detail). They have their own digest under the chain,
	// MDigest over MSalt and Mentions, so that erasing one of those people
	// pseudonymises the mention (MErased: the erasure's seq) while the
	// event's own person stays checked by Digest.
	Mentions []string `json:"mentions,omitempty"`
	MSalt    string   `json:"msalt,omitempty"`
	MDigest  string   `json:"mdigest,omitempty"`
	MErased  uint64   `json:"merased,omitempty"`
	// The person's fields under the chain (erase.go): Digest is SHA-256
	// over Salt and the personal fields (Identity, Name, Card, CardRef,
	// FaceRef, Detail), and the chain hash covers Digest instead of them,
	// so they can be erased and the chain still verifies. Salt is random
	// per event (so a digest cannot be matched against guessed names) and
	// goes with the fields. Erased is the seq of the person.erased event
	// that pseudonymised this one (0 = not erased); it is not hashed, but
	// that event's Covers, which is, must list this seq. Events recorded
	// before digests existed have none and are hashed whole.
	Salt   string `json:"salt,omitempty"`
	Digest string `json:"digest,omitempty"`
	Erased uint64 `json:"erased,omitempty"`
	// Covers, on a person.erased event, lists the seqs it pseudonymised
	// ("12-15,20").
	Covers string `json:"covers,omitempty"`
	// Rewrites, on a person.erased event, says what it did to each seq
	// Covers lists, in the same order: "p" (its own person), "m0.2" (the
	// mentions at those positions), "pm1" (both). It lets the office
	// rewrite its copies as the gate did without being told who the
	// person was (erase.go). Erasures recorded before it have none.
	Rewrites string `json:"rewrites,omitempty"`
	Prev     string `json:"prev"`
	Hash     string `json:"hash"`
}

// chainHash is SHA-256 over the previous hash and the event's JSON without
// its own hash — and, for an event with a Digest, without its personal
// fields, its salt and its erasure mark, which the Digest stands for.
func chainHash(e Event) string {
	e.Hash = ""
	if e.Digest != "" {
		e = e.withoutPerson()
		e.Erased = 0
	}
	if e.MDigest != "" {
		e.Mentions, e.MSalt, e.MErased = nil, "", 0
	}
	b, _ := json.Marshal(e) // a struct of strings, ints and a time cannot fail
	h := sha256.New()
	h.Write([]byte(e.Prev))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// personal is what an event says about a person: what erasure removes.
type personal struct {
	Identity string `json:"identity"`
	Name     string `json:"name"`
	Card     string `json:"card"`
	CardRef  string `json:"card_ref"`
	FaceRef  string `json:"face_ref"`
	Detail   string `json:"detail"`
}

// personalDigest is SHA-256 over the salt and the personal fields.
func personalDigest(e Event) string {
	b, _ := json.Marshal(personal{e.Identity, e.Name, e.Card, e.CardRef, e.FaceRef, e.Detail})
	h := sha256.New()
	h.Write([]byte(e.Salt))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// mentionDigest is SHA-256 over the mention salt and the mentions.
func mentionDigest(e Event) string {
	b, _ := json.Marshal(e.Mentions)
	h := sha256.New()
	h.Write([]byte(e.MSalt))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// withoutPerson is e with its personal fields and salt cleared.
func (e Event) withoutPerson() Event {
	e.Identity, e.Name, e.Card, e.CardRef, e.FaceRef, e.Detail, e.Salt = "", "", "", "", "", "", ""
	return e
}
