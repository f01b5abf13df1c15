package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Retention says which old events Prune removes. A zero field does not
// limit.
type Retention struct {
	MaxAge   time.Duration // remove events older than this
	MaxCount uint64        // keep at most this many of the newest events
	// KeepAfter, when set, keeps every event with a greater seq whatever
	// its age or the count: an estate's gate passes its upload cursor, so
	// no event leaves the gate before it is at the office.
	KeepAfter *uint64
}

// maxPruneTxn bounds the deletes in one pruning transaction, well inside
// Badger's limit for the memtable sizes we run with.
const maxPruneTxn = 10_000

// Prune removes the oldest events that r does not retain and returns how
// many it removed. It works from the tail only: it stops at the first event
// that is young enough and within the count, so an event with an old Time
// behind a newer one stays until the newer one goes too.
//
// Appends go on while Prune runs: they write only the head, Prune deletes
// only the tail, each step in its own transaction of at most maxPruneTxn
// deletes that also moves the anchor (meta/evanchor) the chain is verified
// from. Every step is consistent, so Events and VerifyChain are correct
// during and after a Prune, and a Prune cut short by ctx or an error
// leaves a shorter, still verifiable log.
//
// Prune verifies each event before deleting it and will not delete past a
// broken link: it returns the *ChainError instead, so tampering is never
// pruned away unnoticed.
//
// After removing events it asks Badger to reclaim their space (see
// reclaim); that part may take a while on a large database.
func (w *Log) Prune(ctx context.Context, r Retention, now time.Time) (removed uint64, err error) {
	w.pruning.Lock()
	defer w.pruning.Unlock()
	if r.MaxAge <= 0 && r.MaxCount == 0 {
		return 0, nil
	}
	w.mu.Lock()
	last := w.seq // appends only raise it, so the count kept only grows
	w.mu.Unlock()
	var upTo uint64 // remove every seq <= upTo, whatever its age
	if r.MaxCount > 0 && last > r.MaxCount {
		upTo = last - r.MaxCount
	}
	var before time.Time // and the events older than this
	if r.MaxAge > 0 {
		before = now.Add(-r.MaxAge)
	}
	keep := uint64(math.MaxUint64) // and never one above this
	if r.KeepAfter != nil {
		keep = *r.KeepAfter
	}
	// A transaction holds fewer than MaxBatchCount entries: the deletes and
	// the anchor. Deletes carry no value, so the count is what binds.
	chunk := max(1, min(maxPruneTxn, int(w.db.MaxBatchCount())-2))
	for {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		var (
			n    uint64
			more bool
		)
		err := w.whileOpen(func() (err error) {
			n, more, err = w.pruneStep(chunk, upTo, before, keep)
			return err
		})
		removed += n
		if err != nil {
			return removed, err
		}
		if !more {
			break
		}
	}
	if removed > 0 {
		w.log.Info("event log pruned", "removed", removed)
		if err := w.whileOpen(func() error { return w.reclaim(ctx) }); err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// pruneStep deletes up to max events from the tail in one transaction,
// those with seq <= upTo or a Time before before, none above keep, and
// moves the anchor past them. more says there may be further events to
// remove.
func (w *Log) pruneStep(max int, upTo uint64, before time.Time, keep uint64) (n uint64, more bool, err error) {
	var next evAnchor
	var broken error
	err = w.db.Update(func(txn *badger.Txn) error {
		a, err := getAnchor(txn)
		if err != nil {
			return err
		}
		next, n, more = a, 0, false
		var keys [][]byte
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keyEvent), PrefetchValues: true, PrefetchSize: 256})
		for it.Seek(eventKey(a.Seq)); it.Valid(); it.Next() {
			if len(keys) == max {
				more = true
				break
			}
			item := it.Item()
			seq, ok := seqOf(item.Key())
			if !ok {
				broken = &ChainError{next.Seq, fmt.Sprintf("stray key %q", item.Key())}
				break
			}
			if seq > upTo && before.IsZero() || seq > keep {
				break
			}
			var e Event
			if err := item.Value(func(b []byte) error { return json.Unmarshal(b, &e) }); err != nil {
				broken = &ChainError{seq, "unreadable: " + err.Error()}
				break
			}
			if seq > upTo && !e.Time.Before(before) {
				break
			}
			if broken = checkLink(seq, e, next); broken != nil {
				break
			}
			keys = append(keys, item.KeyCopy(nil))
			next = evAnchor{Seq: seq + 1, Prev: e.Hash}
		}
		it.Close()
		if len(keys) == 0 {
			return nil
		}
		for _, k := range keys {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		n = uint64(len(keys))
		return setJSON(txn, keyEvAnchor, next)
	})
	if err != nil {
		return 0, false, fmt.Errorf("eventlog: prune: %w", err)
	}
	if n > 0 {
		w.mu.Lock()
		w.first = next.Seq
		w.mu.Unlock()
	}
	return n, more && broken == nil, broken
}

// checkLink checks that e, stored under seq, is the event the chain
// expects at a.
func checkLink(seq uint64, e Event, a evAnchor) error {
	switch {
	case seq != a.Seq:
		return &ChainError{a.Seq, fmt.Sprintf("missing (next stored is %d)", seq)}
	case e.Seq != seq:
		return &ChainError{seq, fmt.Sprintf("event %d stored under %d", e.Seq, seq)}
	case e.Prev != a.Prev:
		return &ChainError{seq, "previous hash does not match"}
	case chainHash(e) != e.Hash:
		return &ChainError{seq, "content does not match its hash"}
	case e.Digest != "" && e.Erased == 0 && personalDigest(e) != e.Digest:
		return &ChainError{seq, "the person's fields do not match their digest"}
	case e.MDigest != "" && e.MErased == 0 && mentionDigest(e) != e.MDigest:
		return &ChainError{seq, "the people it mentions do not match their digest"}
	case e.MDigest == "" && (len(e.Mentions) > 0 || e.MErased != 0):
		return &ChainError{seq, "mentions without their digest"}
	}
	return nil
}

// reclaim gets Badger to give back the space of deleted events: Flatten
// compacts the LSM tree so deletions meet the values they delete and both
// are dropped, then value log GC rewrites value log files that are mostly
// garbage, until it finds none. Events are far below the value threshold and
// live in the LSM tree; the value log GC is for what else the database
// holds.
//
// Deletions still in the memtable are not in any table yet; they reach
// the disk when the memtable fills, and the next compaction drops them.
func (w *Log) reclaim(ctx context.Context) error {
	if err := w.db.Flatten(2); err != nil {
		return fmt.Errorf("eventlog: prune: flatten: %w", err)
	}
	for ctx.Err() == nil {
		err := w.db.RunValueLogGC(0.5)
		switch {
		case err == nil:
			continue
		case errors.Is(err, badger.ErrNoRewrite), errors.Is(err, badger.ErrGCInMemoryMode),
			errors.Is(err, badger.ErrRejected): // ErrRejected: a GC is already running
			return nil
		default:
			return fmt.Errorf("eventlog: prune: value log gc: %w", err)
		}
	}
	return ctx.Err()
}

// Stats returns the oldest retained and the newest appended sequence
// numbers. The log holds last-first+1 events, none when first > last (a new
// log reports 1, 0).
func (w *Log) Stats() (first, last uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.first, w.seq
}
