package eventlog

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Erasure under the hash chain (PIPL art. 47: a person's right to have
// their data deleted).
//
// Each event carries a Digest: SHA-256 over a random per-event Salt and the
// fields that say who (Identity, Name, Card, CardRef, FaceRef, Detail,
// Mentions).
// The chain hash covers the Digest and every other field, not the personal
// fields themselves. Erase replaces a person's fields with a pseudonym,
// drops the salt, and marks the event with the seq of a person.erased
// event (Erased); that erasure event, appended to the chain in the same
// transaction, lists the seqs it covers (Covers, hashed like any field).
//
// Why tampering is still found:
//   - an event that is not erased must match its digest: changing who it
//     names breaks it (VerifyChain: "the person's fields do not match");
//   - the digest, the time, the kind, the door, the reason, the order and
//     the links are all under the chain hash, as before;
//   - the Erased mark is not hashed, but an event marked erased must be
//     listed by the erasure event it names, and every retained event an
//     erasure lists must be marked: marking an event erased to hide who
//     passed, or un-marking one, shows — and an erasure that is recorded is
//     itself a chained event with its time and account.
//
// An event that only mentions the person (Mentions: a visitor's
// registration names the host) keeps its own person: the mention is
// replaced by the pseudonym and marked MErased, and the mentions' own
// digest (MDigest, under the chain) is no longer checked; the event's own
// person still is, by Digest. An event can be erased once for its own
// person and once for each person it mentions: each mark names the erasure
// that made it, and that erasure lists the event.
//
// At the office (received.go). The office holds a copy of each gate's
// log and must erase the person too, but the person.erased event cannot
// say who the person was (that is what is being erased), and an office
// copy only tells which id an event names, not which of them was erased
// (a visitor's registration names the visitor and a host). So the erasure
// says what it did to each event it covers: Rewrites, in Covers order,
// "p" for the event's own person and "m<i>.<j>" for the mentions at those
// positions, computed when the gate's events are read and applied by the
// one rewriteOp.apply both on the gate and at the office. Given the same
// event before the erasure, both end with the same struct, hence the
// same stored bytes: a gate re-sending an erased event is a duplicate at
// the office, not a conflict. Rewrites is under the erasure's hash, and
// VerifyChain checks it against the marks (a "p" must be Erased by this
// erasure, an "m" must have MErased at or after it, and neither without
// its token), so a gate cannot tell the office one rewrite and do another
// without its own chain showing it. Positions, not ids: nothing about the
// person stays in the erasure. An erasure recorded before Rewrites (it
// verifies as it did: the field is omitted, the hash unchanged) is
// applied at the office when the copies it covers name one id in common.
//
// What an erased event still says is what happened, where and when; who
// it was is gone for good (the salt is gone, so the digest cannot be
// matched against guessed names either). Events recorded before digests
// existed are hashed whole and cannot be pseudonymised without breaking
// the chain: Erase counts them (Unerasable); they leave by retention.

// KindErased is the event that records an erasure.
const KindErased = "person.erased"

// eraseChunk bounds how many events one erasure rewrites (one Badger
// transaction).
const eraseChunk = 1000

func newSalt() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// EraseResult says what Erase did.
type EraseResult struct {
	Events     int      // events pseudonymised
	Unerasable int      // events of the person recorded before digests existed
	Erasures   []uint64 // the person.erased events recorded
}

// Erase pseudonymises every event about identity (its Identity field):
// the personal fields are replaced by pseudonym (Identity) and emptied,
// each chunk with a person.erased event recorded by account in the same
// transaction. The chain verifies afterwards.
func (w *Log) Erase(ctx context.Context, identity, pseudonym, account string) (EraseResult, error) {
	var res EraseResult
	if identity == "" || pseudonym == "" {
		return res, errors.New("eventlog: erase: identity and pseudonym are required")
	}
	var (
		seqs []uint64
		ops  []rewriteOp // what erasing identity does to each of seqs
	)
	err := w.whileOpen(func() error {
		return w.db.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keyEvent), PrefetchValues: true})
			defer it.Close()
			for it.Rewind(); it.Valid(); it.Next() {
				var e Event
				if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &e) }); err != nil {
					return err
				}
				switch {
				case e.Identity != identity && !slices.Contains(e.Mentions, identity):
				case e.Identity == identity && e.Digest == "":
					res.Unerasable++
				default:
					seqs = append(seqs, e.Seq)
					ops = append(ops, opFor(e, identity))
				}
			}
			return nil
		})
	})
	if err != nil {
		return res, err
	}
	for len(seqs) > 0 {
		chunk, chunkOps := seqs[:min(len(seqs), eraseChunk)], ops[:min(len(ops), eraseChunk)]
		seqs, ops = seqs[len(chunk):], ops[len(chunk):]
		ev := Event{Kind: KindErased, Identity: pseudonym, Account: account, Covers: ranges(chunk),
			Rewrites: formatRewrites(chunkOps), Detail: fmt.Sprintf("%d events pseudonymised", len(chunk))}
		done := 0
		r := &appendReq{ev: ev, done: make(chan appendResult, 1), also: func(txn *badger.Txn, er Event) error {
			done = 0
			for i, seq := range chunk {
				var e Event
				if err := getJSON(txn, string(eventKey(seq)), &e); errors.Is(err, errNotFound) {
					continue // pruned meanwhile
				} else if err != nil {
					return err
				}
				e, _ = chunkOps[i].apply(e, pseudonym, er.Seq)
				if err := setJSON(txn, string(eventKey(seq)), e); err != nil {
					return err
				}
				done++
			}
			return nil
		}}
		e, err := w.submit(ctx, r)
		if err != nil {
			return res, err
		}
		res.Events += done
		res.Erasures = append(res.Erasures, e.Seq)
	}
	return res, nil
}

// rewriteOp is what one erasure does to one event it covers: its own
// person pseudonymised, and/or the mentions at these positions. It is the
// one rewrite the gate (Erase) and the office (Received) both apply, so
// their copies end the same, byte for byte.
type rewriteOp struct {
	person   bool
	mentions []int
}

// opFor is what erasing identity does to e.
func opFor(e Event, identity string) rewriteOp {
	op := rewriteOp{person: e.Identity == identity}
	for i, m := range e.Mentions {
		if m == identity {
			op.mentions = append(op.mentions, i)
		}
	}
	return op
}

// apply rewrites e as erasure seq k with pseudonym does, and reports
// whether anything changed. It is idempotent: an event already
// pseudonymised by k (or, for its own person, by a later erasure, which
// the gate made after k) is left as it is, so a copy that arrives already
// rewritten stays byte for byte what the gate sent.
func (op rewriteOp) apply(e Event, pseudonym string, k uint64) (Event, bool) {
	changed := false
	if op.person && e.Erased < k {
		e = e.withoutPerson()
		e.Identity, e.Erased = pseudonym, k
		changed = true
	}
	var mentions []string
	for _, i := range op.mentions {
		if i >= len(e.Mentions) || e.Mentions[i] == pseudonym {
			continue
		}
		if mentions == nil {
			mentions = slices.Clone(e.Mentions) // never write through a caller's slice
		}
		mentions[i] = pseudonym
	}
	if mentions != nil {
		// Erasures reach the office in any order: the mark is the latest,
		// as on the gate, which applies them in seq order.
		e.Mentions, e.MSalt, e.MErased = mentions, "", max(e.MErased, k)
		changed = true
	}
	return e, changed
}

// formatRewrites writes ops as Event.Rewrites: one token per event,
// comma-separated, "p", "m0.2" or "pm1".
func formatRewrites(ops []rewriteOp) string {
	var b strings.Builder
	for i, op := range ops {
		if i > 0 {
			b.WriteByte(',')
		}
		if op.person {
			b.WriteByte('p')
		}
		for j, m := range op.mentions {
			if j == 0 {
				b.WriteByte('m')
			} else {
				b.WriteByte('.')
			}
			b.WriteString(strconv.Itoa(m))
		}
	}
	return b.String()
}

// parseRewrites reads what formatRewrites wrote; want is how many tokens
// there must be (the seqs Covers lists).
func parseRewrites(s string, want int) ([]rewriteOp, error) {
	toks := strings.Split(s, ",")
	if len(toks) != want {
		return nil, fmt.Errorf("rewrites %q: %d entries for %d events covered", s, len(toks), want)
	}
	ops := make([]rewriteOp, len(toks))
	for i, tok := range toks {
		rest, person := strings.CutPrefix(tok, "p")
		ops[i].person = person
		if rest != "" {
			list, ok := strings.CutPrefix(rest, "m")
			if !ok || list == "" {
				return nil, fmt.Errorf("rewrites %q: bad entry %q", s, tok)
			}
			for _, n := range strings.Split(list, ".") {
				m, err := strconv.Atoi(n)
				if err != nil || m < 0 || m > 1<<16 {
					return nil, fmt.Errorf("rewrites %q: bad entry %q", s, tok)
				}
				ops[i].mentions = append(ops[i].mentions, m)
			}
		}
		if !ops[i].person && ops[i].mentions == nil {
			return nil, fmt.Errorf("rewrites %q: empty entry %d", s, i)
		}
	}
	return ops, nil
}

// ranges writes sorted seqs compactly: "3-5,9".
func ranges(seqs []uint64) string {
	var b strings.Builder
	for i := 0; i < len(seqs); {
		j := i
		for j+1 < len(seqs) && seqs[j+1] == seqs[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(seqs[i], 10))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.FormatUint(seqs[j], 10))
		}
		i = j + 1
	}
	return b.String()
}

// parseRanges reads what ranges wrote.
func parseRanges(s string) ([]uint64, error) {
	var out []uint64
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("covers %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 64); err != nil || b < a || b-a > 1<<20 {
				return nil, fmt.Errorf("covers %q: bad range %q", s, part)
			}
		}
		for x := a; x <= b; x++ {
			out = append(out, x)
		}
	}
	return out, nil
}

// erasureCheck binds erased events to the erasures that list them
// (VerifyChain).
type erasureCheck struct {
	marked   map[uint64][]uint64 // erasure seq → events marked with it
	covers   map[uint64]string   // erasure seq → its Covers
	rewrites map[uint64]string   // erasure seq → its Rewrites (absent before they existed)
	// event seq → its marks: Erased (its own person) and MErased (its
	// mentions)
	erased, merased map[uint64]uint64
}

func newErasureCheck() *erasureCheck {
	return &erasureCheck{marked: map[uint64][]uint64{}, covers: map[uint64]string{}, rewrites: map[uint64]string{},
		erased: map[uint64]uint64{}, merased: map[uint64]uint64{}}
}

func (c *erasureCheck) see(e Event) error {
	if e.Erased != 0 {
		if e.Erased <= e.Seq || e.Digest == "" {
			return &ChainError{e.Seq, fmt.Sprintf("marked erased by event %d, which cannot have erased it", e.Erased)}
		}
		c.marked[e.Erased] = append(c.marked[e.Erased], e.Seq)
		c.erased[e.Seq] = e.Erased
	}
	if e.MErased != 0 {
		if e.MErased <= e.Seq || e.MDigest == "" {
			return &ChainError{e.Seq, fmt.Sprintf("mentions marked erased by event %d, which cannot have erased them", e.MErased)}
		}
		if e.MErased != e.Erased {
			c.marked[e.MErased] = append(c.marked[e.MErased], e.Seq)
		}
		c.merased[e.Seq] = e.MErased
	}
	if e.Kind == KindErased && e.Covers != "" {
		c.covers[e.Seq] = e.Covers
		if e.Rewrites != "" {
			c.rewrites[e.Seq] = e.Rewrites
		}
	}
	return nil
}

// done checks, once every retained event has been seen, that each event
// marked erased is listed by its erasure and each retained event an
// erasure lists is marked by it. first is the oldest retained seq.
func (c *erasureCheck) done(first uint64) error {
	var bad []ChainError
	for k, seqs := range c.marked {
		cov, ok := c.covers[k]
		if !ok {
			bad = append(bad, ChainError{seqs[0], fmt.Sprintf("marked erased by event %d, which is not an erasure", k)})
			continue
		}
		listed, err := parseRanges(cov)
		if err != nil {
			bad = append(bad, ChainError{k, err.Error()})
			continue
		}
		for _, s := range seqs {
			if _, found := slices.BinarySearch(listed, s); !found {
				bad = append(bad, ChainError{s, fmt.Sprintf("marked erased, but erasure %d does not list it", k)})
			}
		}
	}
	for k, cov := range c.covers {
		listed, err := parseRanges(cov)
		if err != nil {
			bad = append(bad, ChainError{k, err.Error()})
			continue
		}
		for _, s := range listed {
			// Marked by k, for its person or its mentions; or its mentions
			// marked by a later erasure (which, checked above, lists it
			// too): one event mentioning two people erased one after the
			// other.
			if m := c.merased[s]; s >= first && c.erased[s] != k && m < k {
				bad = append(bad, ChainError{s, fmt.Sprintf("listed by erasure %d, but not pseudonymised", k)})
			}
		}
	}
	if len(bad) == 0 {
		bad = c.checkRewrites(first)
	}
	if len(bad) == 0 {
		return nil
	}
	slices.SortFunc(bad, func(a, b ChainError) int { return cmp.Compare(a.Seq, b.Seq) })
	return &bad[0]
}

// checkRewrites checks, once the marks and the lists agree, that each
// erasure's Rewrites says what its marks show: "p" for an event it marked
// for its own person, "m…" for one whose mentions it (or a later erasure)
// marked. The office rewrites its copies by Rewrites, so a Rewrites that
// lied would leave the office's copy other than the gate's.
func (c *erasureCheck) checkRewrites(first uint64) []ChainError {
	var bad []ChainError
	for k, rw := range c.rewrites {
		listed, err := parseRanges(c.covers[k])
		if err != nil {
			continue // reported by done
		}
		ops, err := parseRewrites(rw, len(listed))
		if err != nil {
			bad = append(bad, ChainError{k, err.Error()})
			continue
		}
		for i, s := range listed {
			if s < first {
				continue
			}
			hasM, m := len(ops[i].mentions) > 0, c.merased[s]
			if ops[i].person != (c.erased[s] == k) || hasM && m < k || !hasM && m == k {
				bad = append(bad, ChainError{s, fmt.Sprintf("erasure %d says it rewrote %q, which its marks do not show", k, formatRewrites(ops[i:i+1]))})
			}
		}
	}
	return bad
}
