package eventlog

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// The events an estate's office receives from its gates (docs/estate.md).
// They live beside the office's own log, under their own prefixes, and
// never mix with it:
//
//	gev/<gate>/<seq: 8 bytes, big endian>  the event as the gate sent it (JSON)
//	gmeta/<gate>                           GateChain: how far the gate's chain verifies
//	gthrough                               the office stream's sequence applied up to (8 bytes BE)
//
// Apply is idempotent by (gate, seq): an event already held is not stored
// again, so a gate that sends an event twice (a restart between its
// publish and its cursor, a redelivery after a crash of the office) leaves
// one copy. The chain is checked link by link as the gate's own VerifyChain
// does, from seq 1 and the empty hash; events may arrive out of order and
// are verified once the gap before them is filled.
const (
	keyGateEvent = "gev/"
	keyGateMeta  = "gmeta/"
	// keyThrough is how far the office has applied its stream: the stream
	// sequence of the last message applied, written in the transaction
	// that applies it (so after a crash it is exactly what is stored).
	keyThrough = "gthrough"
)

// CheckLink checks one link of a chain: e must follow the event whose hash
// is prev, and its own hash and (unless erased) its personal digest must
// match its content. It returns a *ChainError naming e.Seq.
func CheckLink(prev string, e Event) error {
	return checkLink(e.Seq, e, evAnchor{Seq: e.Seq, Prev: prev})
}

// GateChain is what the office knows of one gate's chain.
type GateChain struct {
	Gate string `json:"gate"`
	// Verified is the highest seq up to which every event is held and every
	// link checks; Hash is that event's hash.
	Verified uint64 `json:"verified"`
	Hash     string `json:"hash"`
	// Received counts the distinct events held; Highest is the largest seq.
	Received uint64 `json:"received"`
	Highest  uint64 `json:"highest"`
	// Break is the first link that does not check (nil: none). Events after
	// it are kept but not counted as verified.
	Break *ChainError `json:"break,omitempty"`
}

// Waiting is the seq the chain waits for (0 when nothing is missing below
// Highest, or the chain is broken).
func (c GateChain) Waiting() uint64 {
	if c.Break != nil || c.Verified >= c.Highest {
		return 0
	}
	return c.Verified + 1
}

// Conflict is an event that arrived under a seq the office already holds
// with other content: reported, never stored. (A gate that erased a
// person's fields after uploading and then sends the event again conflicts
// too, until the office applies erasures: docs/estate.md, next steps.)
type Conflict struct {
	Gate     string
	Seq      uint64
	Held     string // the hash held
	Received string // the hash that arrived
}

// Applied says what one Apply did.
type Applied struct {
	New        int // events stored
	Duplicates int // events already held (same hash), skipped
	Conflicts  []Conflict
	// Break is set when this Apply found the gate's chain broken (a break
	// found earlier is in the GateChain, not repeated here).
	Break *ChainError
	Chain GateChain // the gate's chain after the Apply
}

// GateEvents are events from one gate.
type GateEvents struct {
	Gate   string
	Events []Event
}

// Received is the office's copy of its gates' logs.
type Received struct {
	db *badger.DB
	mu sync.Mutex // serialises Apply: one read-modify-write of a gate's meta at a time
}

// OpenReceived keeps received events in db (which must sync its writes).
func OpenReceived(db *badger.DB) *Received { return &Received{db: db} }

// ValidGate reports whether name can be a gate's name: 1 to 32 of a-z, 0-9
// and '-' (it is a NATS subject token and a key segment).
func ValidGate(name string) bool {
	if len(name) == 0 || len(name) > 32 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func gateEventKey(gate string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(keyGateEvent+gate+"/"), seq)
}

// Apply stores gate's events (any order, repeats allowed) in one
// transaction and advances the gate's verified chain over them.
func (r *Received) Apply(gate string, evs []Event) (Applied, error) {
	res, err := r.ApplyBatch(0, []GateEvents{{gate, evs}})
	if err != nil {
		return Applied{}, err
	}
	return res[0], nil
}

// ApplyBatch applies several gates' events in one transaction, and
// records through (the stream sequence of the last message they came in;
// 0 = leave it) as how far the office has applied its stream — in the same
// transaction, so the two never disagree after a crash.
func (r *Received) ApplyBatch(through uint64, batch []GateEvents) ([]Applied, error) {
	for _, b := range batch {
		if !ValidGate(b.Gate) {
			return nil, fmt.Errorf("eventlog: received: bad gate name %q", b.Gate)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var res []Applied
	err := r.db.Update(func(txn *badger.Txn) error {
		res = res[:0]
		for _, b := range batch {
			a, err := applyGate(txn, b.Gate, b.Events)
			if err != nil {
				return fmt.Errorf("from %s: %w", b.Gate, err)
			}
			res = append(res, a)
		}
		if through == 0 {
			return nil
		}
		return txn.Set([]byte(keyThrough), binary.BigEndian.AppendUint64(nil, through))
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: received: %w", err)
	}
	return res, nil
}

// Through is the stream sequence ApplyBatch last recorded (0 = none).
func (r *Received) Through() (uint64, error) {
	var n uint64
	err := r.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(keyThrough))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(b []byte) error {
			if len(b) != 8 {
				return fmt.Errorf("eventlog: received: %s is %d bytes", keyThrough, len(b))
			}
			n = binary.BigEndian.Uint64(b)
			return nil
		})
	})
	return n, err
}

// applyGate stores gate's events and advances its chain, in txn.
func applyGate(txn *badger.Txn, gate string, evs []Event) (Applied, error) {
	var res Applied
	c, err := getChain(txn, gate)
	if err != nil {
		return res, err
	}
	seen := map[uint64]Event{} // within this batch
	for _, e := range evs {
		if e.Seq == 0 {
			return res, errors.New("an event without a seq")
		}
		held, ok := seen[e.Seq]
		if !ok {
			switch err := getJSON(txn, string(gateEventKey(gate, e.Seq)), &held); {
			case err == nil:
				ok = true
			case !errors.Is(err, errNotFound):
				return res, err
			}
		}
		if ok {
			// The same event again, or another under its seq: compared
			// whole, not by its hash alone (a changed field under the
			// same hash is a conflict too).
			hb, _ := json.Marshal(held)
			eb, _ := json.Marshal(e)
			if string(hb) == string(eb) {
				res.Duplicates++
			} else {
				res.Conflicts = append(res.Conflicts, Conflict{gate, e.Seq, held.Hash, e.Hash})
			}
			continue
		}
		if err := setJSON(txn, string(gateEventKey(gate, e.Seq)), e); err != nil {
			return res, err
		}
		seen[e.Seq] = e
		res.New++
		c.Received++
		c.Highest = max(c.Highest, e.Seq)
	}
	// Advance the verified chain over what is now held.
	for c.Break == nil && c.Verified < c.Highest {
		var e Event
		err := getJSON(txn, string(gateEventKey(gate, c.Verified+1)), &e)
		if errors.Is(err, errNotFound) {
			break // a gap: wait for it
		}
		if err != nil {
			return res, err
		}
		if err := CheckLink(c.Hash, e); err != nil {
			var ce *ChainError
			errors.As(err, &ce)
			c.Break, res.Break = ce, ce
			break
		}
		c.Verified, c.Hash = e.Seq, e.Hash
	}
	res.Chain = c
	return res, setJSON(txn, keyGateMeta+gate, c)
}

func getChain(txn *badger.Txn, gate string) (GateChain, error) {
	c := GateChain{Gate: gate}
	if err := getJSON(txn, keyGateMeta+gate, &c); err != nil && !errors.Is(err, errNotFound) {
		return GateChain{}, err
	}
	return c, nil
}

// Chain is what the office knows of gate's chain (zero for a gate never heard from).
func (r *Received) Chain(gate string) (GateChain, error) {
	var c GateChain
	err := r.db.View(func(txn *badger.Txn) error {
		var err error
		c, err = getChain(txn, gate)
		return err
	})
	return c, err
}

// Gates lists the gates the office has received events from, in name order.
func (r *Received) Gates() ([]string, error) {
	var gates []string
	err := r.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keyGateMeta)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			gates = append(gates, strings.TrimPrefix(string(it.Item().Key()), keyGateMeta))
		}
		return nil
	})
	return gates, err
}

// Events returns gate's received events in seq order, from q.After on, at
// most q.Limit (0 = 100, at most MaxLimit), matching q's filters.
func (r *Received) Events(gate string, q Query) ([]Event, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, MaxLimit)
	var out []Event
	err := r.db.View(func(txn *badger.Txn) error {
		prefix := []byte(keyGateEvent + gate + "/")
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 64})
		defer it.Close()
		for it.Seek(gateEventKey(gate, q.After+1)); it.Valid() && len(out) < q.Limit; it.Next() {
			if len(it.Item().Key()) != len(prefix)+8 {
				continue
			}
			seq := binary.BigEndian.Uint64(it.Item().Key()[len(prefix):])
			if q.Before > 0 && seq >= q.Before || seq == math.MaxUint64 {
				break
			}
			var e Event
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &e) }); err != nil {
				return err
			}
			if q.match(e) {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}
