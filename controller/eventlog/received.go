package eventlog

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
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
//	gpend/<gate>/<seq: 8 bytes BE>         erasures held that cover an event not received yet (JSON seqs)
//
// Apply is idempotent by (gate, seq): an event already held is not stored
// again, so a gate that sends an event twice (a restart between its
// publish and its cursor, a redelivery after a crash of the office) leaves
// one copy. The chain is checked link by link as the gate's own VerifyChain
// does, from seq 1 and the empty hash; events may arrive out of order and
// are verified once the gap before them is filled.
//
// A gate's person.erased event is applied to the office's copies in the
// transaction that stores it: each event it covers is rewritten by its
// Rewrites exactly as Erase rewrote the gate's (rewriteOp.apply, the same
// code), so the office's copy ends byte for byte the gate's and a re-sent
// copy of it is a duplicate, not a conflict. A covered event that has not
// arrived yet is noted under gpend/ and rewritten on arrival, before it is
// first stored: its personal fields never reach the office's store. Why
// the chain still verifies: the rewrite changes only what the digests
// stand for (the personal fields, the salt, the mentions, their salt) and
// the marks, which are bound to the erasure's Covers and Rewrites, both
// under its hash (erase.go); Verify checks all of it for one gate.
const (
	keyGateEvent = "gev/"
	keyGateMeta  = "gmeta/"
	// keyThrough is how far the office has applied its stream: the stream
	// sequence of the last message applied, written in the transaction
	// that applies it (so after a crash it is exactly what is stored).
	keyThrough = "gthrough"
	keyPending = "gpend/"
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
// until the office has applied that erasure; after it, the copies are
// the same.)
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
	// Erased counts the office's copies pseudonymised by the gate's
	// erasures (held ones rewritten, or arriving ones before they were
	// stored); Unapplied lists erasures that could not be applied (one
	// whose hash does not match, one too old to say what it rewrote whose
	// person cannot be told from the copies held).
	Erased    int
	Unapplied []uint64
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

	subMu sync.Mutex
	subs  map[chan GateEvent]struct{}
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
	var (
		res    []Applied
		stored []GateEvent
	)
	err := r.db.Update(func(txn *badger.Txn) error {
		res, stored = res[:0], stored[:0]
		for _, b := range batch {
			a, err := applyGate(txn, b.Gate, b.Events, func(e Event) { stored = append(stored, GateEvent{b.Gate, e}) })
			if err != nil {
				return fmt.Errorf("from %s: %w", b.Gate, err)
			}
			res = append(res, a)
		}
		if err := refreshErased(txn, res, stored); err != nil {
			return err
		}
		if through == 0 {
			return nil
		}
		return txn.Set([]byte(keyThrough), binary.BigEndian.AppendUint64(nil, through))
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: received: %w", err)
	}
	r.notify(stored)
	return res, nil
}

// refreshErased reads the events stored in this transaction again when an
// erasure in it may have rewritten them: a subscriber is told of an event
// as the store holds it, never with fields already erased.
func refreshErased(txn *badger.Txn, res []Applied, stored []GateEvent) error {
	erased := false
	for _, a := range res {
		erased = erased || a.Erased > 0
	}
	if !erased {
		return nil
	}
	for i, e := range stored {
		// Into a fresh Event: decoding into the one held would keep the
		// fields the rewrite removed, and write into the slices it shares
		// with the caller's batch.
		var now Event
		if err := getJSON(txn, string(gateEventKey(e.Gate, e.Seq)), &now); err != nil {
			return err
		}
		stored[i].Event = now
	}
	return nil
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
// Each event stored new is passed to stored (as stored).
func applyGate(txn *badger.Txn, gate string, evs []Event, stored func(Event)) (Applied, error) {
	var res Applied
	c, err := getChain(txn, gate)
	if err != nil {
		return res, err
	}
	for _, e := range evs {
		if e.Seq == 0 {
			return res, errors.New("an event without a seq")
		}
		// Read through txn: an event stored earlier in this batch, or
		// rewritten by an erasure in it, is seen as it now is.
		var held Event
		switch err := getJSON(txn, string(gateEventKey(gate, e.Seq)), &held); {
		case err == nil:
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
		case !errors.Is(err, errNotFound):
			return res, err
		}
		e, n, err := applyPending(txn, gate, e)
		if err != nil {
			return res, err
		}
		res.Erased += n
		if err := setJSON(txn, string(gateEventKey(gate, e.Seq)), e); err != nil {
			return res, err
		}
		res.New++
		stored(e)
		c.Received++
		c.Highest = max(c.Highest, e.Seq)
		if e.Kind == KindErased && e.Covers != "" {
			n, ok, err := applyErasure(txn, gate, e)
			if err != nil {
				return res, err
			}
			res.Erased += n
			if !ok {
				res.Unapplied = append(res.Unapplied, e.Seq)
			}
		}
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
// most q.Limit (0 = 100, at most MaxLimit), matching q's filters (newest
// first with q.Newest).
func (r *Received) Events(gate string, q Query) ([]Event, error) {
	q.Scan = 0
	p, err := r.Page(gate, q)
	return p.Events, err
}

// Page answers q over gate's received events as Log.Page does over the
// office's own: at most q.Limit matches, reading at most q.Scan events.
func (r *Received) Page(gate string, q Query) (Page, error) {
	if !ValidGate(gate) {
		return Page{}, fmt.Errorf("eventlog: received: bad gate name %q", gate)
	}
	var p Page
	err := r.db.View(func(txn *badger.Txn) error {
		var err error
		p, err = pageIn(txn, []byte(keyGateEvent+gate+"/"), q)
		return err
	})
	return p, err
}

// GateEvent is a gate's event as the office stored it.
type GateEvent struct {
	Gate string
	Event
}

// Subscribe delivers each gate's event as it is stored at the office
// (after the transaction that stores it), in the order applied. A
// subscriber that cannot keep up is dropped: its channel is closed.
// cancel ends the subscription.
func (r *Received) Subscribe(buf int) (<-chan GateEvent, func()) {
	ch := make(chan GateEvent, buf)
	r.subMu.Lock()
	defer r.subMu.Unlock()
	if r.subs == nil {
		r.subs = map[chan GateEvent]struct{}{}
	}
	r.subs[ch] = struct{}{}
	return ch, func() {
		r.subMu.Lock()
		defer r.subMu.Unlock()
		if _, ok := r.subs[ch]; ok {
			delete(r.subs, ch)
			close(ch)
		}
	}
}

func (r *Received) notify(stored []GateEvent) {
	r.subMu.Lock()
	defer r.subMu.Unlock()
	for _, e := range stored {
		for ch := range r.subs {
			select {
			case ch <- e:
			default: // never waited for
				delete(r.subs, ch)
				close(ch)
			}
		}
	}
}

func pendingKey(gate string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(keyPending+gate+"/"), seq)
}

// erasureOps is what erasure er (already checked against its hash) does
// to each seq it covers, by its Rewrites.
func erasureOps(er Event) ([]uint64, []rewriteOp, error) {
	listed, err := parseRanges(er.Covers)
	if err != nil {
		return nil, nil, err
	}
	ops, err := parseRewrites(er.Rewrites, len(listed))
	return listed, ops, err
}

// applyErasure rewrites the office's copies of the events er covers, in
// txn, and notes those not received yet under gpend/. It returns how many
// copies it rewrote, and false when it could not apply er.
func applyErasure(txn *badger.Txn, gate string, er Event) (int, bool, error) {
	if chainHash(er) != er.Hash {
		return 0, false, nil // the chain check reports it; nothing is rewritten by what it says
	}
	var (
		listed []uint64
		ops    []rewriteOp
		err    error
	)
	// Pending notes only for an erasure that says what it did: one
	// recorded before Rewrites cannot be applied to a lone arrival.
	pend := er.Rewrites != ""
	if pend {
		if listed, ops, err = erasureOps(er); err != nil {
			return 0, false, nil // the gate's Verify, and the office's, report it
		}
	} else if listed, ops, err = inferOps(txn, gate, er); err != nil || ops == nil {
		return 0, false, err
	}
	n := 0
	for i, seq := range listed {
		if seq >= er.Seq {
			continue // an erasure rewrites only what came before it
		}
		var e Event
		switch err := getJSON(txn, string(gateEventKey(gate, seq)), &e); {
		case errors.Is(err, errNotFound):
			if !pend {
				continue
			}
			var ks []uint64
			if err := getJSON(txn, string(pendingKey(gate, seq)), &ks); err != nil && !errors.Is(err, errNotFound) {
				return n, false, err
			}
			if !slices.Contains(ks, er.Seq) {
				ks = append(ks, er.Seq)
				slices.Sort(ks)
				if err := setJSON(txn, string(pendingKey(gate, seq)), ks); err != nil {
					return n, false, err
				}
			}
			continue
		case err != nil:
			return n, false, err
		}
		if ops[i].person && e.Digest == "" {
			continue // hashed whole: the gate does not erase it either
		}
		e, changed := ops[i].apply(e, er.Identity, er.Seq)
		if !changed {
			continue // already as the gate sent it after the erasure
		}
		if err := setJSON(txn, string(gateEventKey(gate, seq)), e); err != nil {
			return n, false, err
		}
		n++
	}
	return n, true, nil
}

// applyPending rewrites e, arriving, by the erasures already held that
// cover it (in seq order, as the gate applied them), and clears the note.
func applyPending(txn *badger.Txn, gate string, e Event) (Event, int, error) {
	var ks []uint64
	switch err := getJSON(txn, string(pendingKey(gate, e.Seq)), &ks); {
	case errors.Is(err, errNotFound):
		return e, 0, nil
	case err != nil:
		return e, 0, err
	}
	n := 0
	for _, k := range ks {
		var er Event
		if err := getJSON(txn, string(gateEventKey(gate, k)), &er); err != nil {
			return e, n, fmt.Errorf("erasure %d noted for %d: %w", k, e.Seq, err)
		}
		listed, ops, err := erasureOps(er)
		if err != nil {
			continue // not noted by applyErasure
		}
		i, found := slices.BinarySearch(listed, e.Seq)
		if !found || ops[i].person && e.Digest == "" {
			continue
		}
		var changed bool
		if e, changed = ops[i].apply(e, er.Identity, er.Seq); changed {
			n = 1
		}
	}
	return e, n, txn.Delete(pendingKey(gate, e.Seq))
}

// inferOps is what an erasure recorded before Rewrites did to the copies
// the office holds: the person erased is the one id every covered copy not
// yet rewritten names (as its person or a mention). When no single id is
// (a lone visitor's registration names the visitor and a host), it
// returns nil: the office cannot tell, and leaves them. Covered events not
// held are not noted: they arrive as the gate has them.
func inferOps(txn *badger.Txn, gate string, er Event) ([]uint64, []rewriteOp, error) {
	listed, err := parseRanges(er.Covers)
	if err != nil {
		return nil, nil, nil
	}
	var (
		held  []uint64
		evs   []Event
		names map[string]bool
	)
	for _, seq := range listed {
		var e Event
		if err := getJSON(txn, string(gateEventKey(gate, seq)), &e); errors.Is(err, errNotFound) || seq >= er.Seq {
			continue
		} else if err != nil {
			return nil, nil, err
		}
		if e.Erased == er.Seq || e.MErased == er.Seq {
			continue // already rewritten by it
		}
		these := map[string]bool{}
		if e.Digest != "" && e.Erased == 0 {
			these[e.Identity] = true
		}
		for _, m := range e.Mentions {
			these[m] = true
		}
		if names == nil {
			names = these
		} else {
			maps.DeleteFunc(names, func(id string, _ bool) bool { return !these[id] })
		}
		held, evs = append(held, seq), append(evs, e)
	}
	delete(names, er.Identity)
	if len(names) != 1 {
		return nil, nil, nil
	}
	ops := make([]rewriteOp, len(evs))
	for id := range names {
		for i, e := range evs {
			ops[i] = opFor(e, id)
		}
	}
	return held, ops, nil
}

// Verify checks gate's received chain whole, as the gate's VerifyChain
// checks its own: every link and hash from seq 1, every digest of what is
// not erased, and every erasure mark against the erasure that made it. It
// returns how many events it checked, or a *ChainError.
func (r *Received) Verify(gate string) (uint64, error) {
	var n uint64
	err := r.db.View(func(txn *badger.Txn) error {
		prefix := []byte(keyGateEvent + gate + "/")
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
		defer it.Close()
		erasures := newErasureCheck()
		prev := ""
		for it.Rewind(); it.Valid(); it.Next() {
			key := it.Item().Key()
			if len(key) != len(prefix)+8 {
				continue // another gate whose name starts with this one's and a '/': none can
			}
			seq := binary.BigEndian.Uint64(key[len(prefix):])
			var e Event
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &e) }); err != nil {
				return &ChainError{seq, "unreadable: " + err.Error()}
			}
			if err := checkLink(seq, e, evAnchor{Seq: n + 1, Prev: prev}); err != nil {
				return err
			}
			if err := erasures.see(e); err != nil {
				return err
			}
			prev = e.Hash
			n++
		}
		return erasures.done(1)
	})
	return n, err
}
