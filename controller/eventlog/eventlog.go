package eventlog

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// ErrClosed is returned by Append, Prune and Export after Close.
var ErrClosed = errors.New("eventlog: closed")

// Key layout in the Badger database the log shares with its owner.
//
// Events sort before every other key, Badger's own (!badger!txn, written
// with every transaction) included: a table flushed from memory then spans
// only the events of its own minutes besides the other records, and
// compactions leave older events where they are. Under ev/, which sorted
// among the records, every flushed table overlapped the whole history and
// compactions rewrote it again and again, in memory, as it grew (the store
// moves a log written so, once: MoveV1Events).
const (
	keyEvent    = "!!ev/"         // !!ev/<seq, 8 bytes big endian> → Event (JSON)
	keyEvHead   = "meta/evhead"   // the last seq and hash
	keyEvAnchor = "meta/evanchor" // the first retained seq and the hash it chains from
)

// maxBatch bounds one group commit.
const maxBatch = 512

type appendReq struct {
	ev   Event
	done chan appendResult
	// also runs in the transaction that writes ev, with ev as numbered
	// (an erasure rewrites the events it covers with it).
	also func(txn *badger.Txn, ev Event) error
	// ping writes nothing: it is answered once the writer has written
	// what came before it (see Ping).
	ping bool
}

type appendResult struct {
	ev  Event
	err error
}

// Log is the durable, hash-chained event log. One goroutine appends:
// concurrent Appends that arrive while a write is in progress are written
// together in the next transaction, one fsync for the whole batch (group
// commit).
type Log struct {
	db      *badger.DB
	log     *slog.Logger
	reqs    chan *appendReq
	quit    chan struct{}
	stopped chan struct{}

	// closing guards enqueueing against Close: once closed is set no request
	// enters reqs, and every request that did is written before stopped.
	closing sync.RWMutex
	closed  bool

	// pruning serialises Prune calls; appends never wait for it.
	pruning sync.Mutex

	mu    sync.Mutex
	seq   uint64 // last appended
	head  string // its hash
	first uint64 // first retained, seq+1 when nothing is
	subs  map[chan Event]struct{}

	writes atomic.Uint64 // transactions written (the benchmarks' events per sync)
}

type evHead struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// evAnchor is where the retained chain starts: event Seq is the oldest kept
// and its Prev must be Prev. A log that was never pruned has no anchor and
// starts at seq 1 from the empty hash.
type evAnchor struct {
	Seq  uint64 `json:"seq"`
	Prev string `json:"prev"`
}

func getAnchor(txn *badger.Txn) (evAnchor, error) {
	a := evAnchor{Seq: 1}
	if err := getJSON(txn, keyEvAnchor, &a); err != nil && !errors.Is(err, errNotFound) {
		return evAnchor{}, err
	}
	return a, nil
}

func eventKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(keyEvent), seq)
}

// seqOf is the seq an event key names.
func seqOf(key []byte) (uint64, bool) {
	if len(key) != len(keyEvent)+8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(key[len(keyEvent):]), true
}

// Open starts the log on db (which must sync its writes to be durable).
func Open(db *badger.DB, log *slog.Logger) (*Log, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Log{db: db, log: log, reqs: make(chan *appendReq, maxBatch), quit: make(chan struct{}),
		stopped: make(chan struct{}), subs: map[chan Event]struct{}{}}
	var (
		h evHead
		a evAnchor
	)
	err := db.View(func(txn *badger.Txn) error {
		if err := getJSON(txn, keyEvHead, &h); err != nil && !errors.Is(err, errNotFound) {
			return err
		}
		var err error
		a, err = getAnchor(txn)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("eventlog: read head: %w", err)
	}
	w.seq, w.head, w.first = h.Seq, h.Hash, a.Seq
	go w.run()
	return w, nil
}

func (w *Log) run() {
	defer close(w.stopped)
	expect := 0 // appends the next batch may gather (see collect)
	for {
		select {
		case r := <-w.reqs:
			expect = w.write(w.collect(r, expect))
		case <-w.quit:
			for {
				select {
				case r := <-w.reqs:
					w.write(w.collect(r, 0))
				default:
					return
				}
			}
		}
	}
}

// gatherFor bounds how long collect waits for appends about to arrive.
// A timer cannot wait so little (it wakes after a millisecond here), so
// collect yields the processor instead, to the writers just answered.
const gatherFor = 50 * time.Microsecond

// collect takes r and whatever else is already waiting. When fewer than
// expect have arrived it waits, at most gatherFor, for the rest: expect is
// how many appends the last batch answered plus how many were queued when
// it was done, each a writer that may append again at once. Without it,
// writers split into two groups, each syncing while the other queues; one
// sync for them all is half the syncs. A lone writer (expect 1) never
// waits.
func (w *Log) collect(r *appendReq, expect int) []*appendReq {
	batch := []*appendReq{r}
	var deadline time.Time
	for len(batch) < maxBatch {
		select {
		case r := <-w.reqs:
			batch = append(batch, r)
			continue
		default:
		}
		if len(batch) >= expect {
			return batch
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(gatherFor)
		} else if now.After(deadline) {
			return batch
		}
		runtime.Gosched()
	}
	return batch
}

// write writes batch in one transaction and answers its appends. It
// returns how many appends the next batch may gather: those it answered
// and those queued meanwhile.
func (w *Log) write(batch []*appendReq) int {
	var pings []*appendReq
	batch = slices.DeleteFunc(batch, func(r *appendReq) bool {
		if r.ping {
			pings = append(pings, r)
		}
		return r.ping
	})
	defer func() {
		for _, r := range pings {
			r.done <- appendResult{}
		}
	}()
	if len(batch) == 0 {
		return 0
	}
	w.mu.Lock()
	seq, head := w.seq, w.head
	w.mu.Unlock()
	evs := make([]Event, len(batch))
	for i, r := range batch {
		e := r.ev
		seq++
		e.Seq, e.Prev = seq, head
		if e.Time.IsZero() {
			e.Time = time.Now().UTC()
		}
		e.Hash = chainHash(e)
		head = e.Hash
		evs[i] = e
	}
	err := w.db.Update(func(txn *badger.Txn) error {
		for _, e := range evs {
			if err := setJSON(txn, string(eventKey(e.Seq)), e); err != nil {
				return err
			}
		}
		for i, r := range batch {
			if r.also != nil {
				if err := r.also(txn, evs[i]); err != nil {
					return err
				}
			}
		}
		return setJSON(txn, keyEvHead, evHead{seq, head})
	})
	if err != nil {
		w.log.Error("event log write failed", "events", len(batch), "err", err)
		for _, r := range batch {
			r.done <- appendResult{err: fmt.Errorf("eventlog: append: %w", err)}
		}
		return 0
	}
	w.writes.Add(1)
	w.mu.Lock()
	w.seq, w.head = seq, head
	// Subscribers first: when an Append returns, every subscriber has had
	// its event offered.
	for i := range batch {
		for ch := range w.subs {
			select {
			case ch <- evs[i]:
			default: // a subscriber that cannot keep up is dropped, never waited for
				delete(w.subs, ch)
				close(ch)
			}
		}
	}
	for i, r := range batch {
		r.done <- appendResult{ev: evs[i]}
	}
	w.mu.Unlock()
	return len(batch) + len(w.reqs)
}

// sealPerson gives e new salts and the digests of its personal fields and
// mentions (see chainHash).
func sealPerson(e *Event) {
	e.Salt, e.Erased = newSalt(), 0
	e.Digest = personalDigest(*e)
	e.MSalt, e.MDigest, e.MErased = "", "", 0
	if len(e.Mentions) > 0 {
		e.MSalt = newSalt()
		e.MDigest = mentionDigest(*e)
	}
}

// whileOpen runs fn unless the log is closed, and Close waits for it.
func (w *Log) whileOpen(fn func() error) error {
	w.closing.RLock()
	defer w.closing.RUnlock()
	if w.closed {
		return ErrClosed
	}
	return fn()
}

// Close writes what is queued and stops the writer; a Prune or Export
// running stops at its next step. Idempotent.
func (w *Log) Close() {
	w.closing.Lock()
	if !w.closed {
		w.closed = true
		close(w.quit)
	}
	w.closing.Unlock()
	<-w.stopped
	w.mu.Lock()
	for ch := range w.subs {
		close(ch)
	}
	w.subs = nil
	w.mu.Unlock()
}

// Append writes e durably (synced to disk) and returns it with its sequence
// number and hash. It returns only after the write, so a caller that acts on
// the event afterwards never acts on something that could be lost.
func (w *Log) Append(ctx context.Context, e Event) (Event, error) {
	return w.submit(ctx, &appendReq{ev: e, done: make(chan appendResult, 1)})
}

// Ping returns once the writer goroutine has taken a request and written
// everything queued with it: the log is not stuck. It writes nothing. The
// service watchdog asks it (a stuck writer would hold every door shut).
func (w *Log) Ping(ctx context.Context) error {
	done := make(chan appendResult, 1)
	w.closing.RLock()
	if w.closed {
		w.closing.RUnlock()
		return ErrClosed
	}
	select {
	case w.reqs <- &appendReq{ping: true, done: done}:
		w.closing.RUnlock()
	case <-ctx.Done():
		w.closing.RUnlock()
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// submit queues r for the writer and waits until it is written. The
// event's personal digests, which do not depend on where it goes in the
// chain, are made here, on the caller's goroutine, not the writer's.
func (w *Log) submit(ctx context.Context, r *appendReq) (Event, error) {
	sealPerson(&r.ev)
	w.closing.RLock()
	if w.closed {
		w.closing.RUnlock()
		return Event{}, ErrClosed
	}
	select {
	case w.reqs <- r:
		w.closing.RUnlock()
	case <-ctx.Done():
		w.closing.RUnlock()
		return Event{}, ctx.Err()
	}
	res := <-r.done // once queued it is written; wait so the answer is true
	return res.ev, res.err
}

// Subscribe returns a channel that receives every event appended from now
// on, and a cancel function. A subscriber that falls buf events behind is
// dropped (its channel closes).
func (w *Log) Subscribe(buf int) (<-chan Event, func()) {
	ch := make(chan Event, buf)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.subs == nil {
		close(ch)
		return ch, func() {}
	}
	w.subs[ch] = struct{}{}
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if _, ok := w.subs[ch]; ok {
			delete(w.subs, ch)
			close(ch)
		}
	}
}

// Query selects events. Zero fields do not filter.
type Query struct {
	After    uint64 // only events with Seq > After
	Before   uint64 // only events with Seq < Before (0 = no bound)
	Limit    int    // 0 = 100, at most 1000
	Kind     string
	Door     string
	Identity string
	Since    time.Time
	Until    time.Time
	// Kinds keeps events of any of these kinds; an entry ending in ".*"
	// keeps a family ("door.*": door.opened, door.closed…). Empty = any.
	// An event must match Kind too when both are set.
	Kinds []string
	// Person keeps events about one person: the identity equal to it, or
	// a name containing it (case-insensitive).
	Person string
	// Newest returns the newest matches first (descending Seq), so Limit
	// keeps the last N. To page back, pass the last Seq returned as Before.
	Newest bool
	// Scan bounds how many events one Page call reads, matching or not
	// (0 = no bound): a filter that matches little cannot make one page
	// read the whole log. A page cut short by Scan says where it stopped.
	Scan int
}

// match reports whether e passes q's filters (not After, Before or Limit).
func (q *Query) match(e Event) bool {
	return (q.Kind == "" || e.Kind == q.Kind) && (q.Door == "" || e.Door == q.Door) &&
		(q.Identity == "" || e.Identity == q.Identity) &&
		(q.Since.IsZero() || !e.Time.Before(q.Since)) && (q.Until.IsZero() || e.Time.Before(q.Until)) &&
		(len(q.Kinds) == 0 || KindIn(e.Kind, q.Kinds)) &&
		(q.Person == "" || e.Identity == q.Person || strings.Contains(strings.ToLower(e.Name), strings.ToLower(q.Person)))
}

// KindIn reports whether kind is one of kinds, where an entry ending in
// ".*" stands for every kind with that prefix.
func KindIn(kind string, kinds []string) bool {
	for _, k := range kinds {
		if k == kind || strings.HasSuffix(k, ".*") && strings.HasPrefix(kind, k[:len(k)-1]) {
			return true
		}
	}
	return false
}

// MaxLimit is the most events one Events call returns.
const MaxLimit = 1000

// Page is one page of a query's answer.
type Page struct {
	Events []Event
	// Next is where the page stopped: the Seq of the last event read
	// (returned or not). Pass it as After (as Before with Newest) for the
	// next page. When nothing was read it is the query's own bound.
	Next uint64
	// More is false when the page reached the end of the log (the oldest
	// retained event with Newest): no later page can hold a match.
	More bool
}

// Events returns events in sequence order (newest first with q.Newest). To
// page, pass the last Seq returned as After (as Before with q.Newest).
func (w *Log) Events(q Query) ([]Event, error) {
	q.Scan = 0
	p, err := w.Page(q)
	return p.Events, err
}

// Page answers q one page at a time: at most q.Limit matches, reading at
// most q.Scan events, in one read transaction. Only the matches are kept,
// so memory is bounded by the limit however large the log.
func (w *Log) Page(q Query) (Page, error) {
	var p Page
	err := w.db.View(func(txn *badger.Txn) error {
		var err error
		p, err = pageIn(txn, []byte(keyEvent), q)
		return err
	})
	return p, err
}

// pageIn answers q over the events under prefix (prefix + 8 bytes of seq,
// big endian: the office's log or one gate's copy), in txn.
func pageIn(txn *badger.Txn, prefix []byte, q Query) (Page, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, MaxLimit)
	p := Page{Next: q.After}
	if q.Newest {
		p.Next = q.Before
	}
	key := func(seq uint64) []byte { return binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), seq) }
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 64, Reverse: q.Newest})
	defer it.Close()
	// Forward from After+1, or (reverse) back from Before-1: a reverse
	// Seek lands on the largest key at or below the one given.
	start := key(q.After + 1)
	if q.Newest {
		start = key(math.MaxUint64)
		if q.Before > 0 {
			start = key(q.Before - 1)
		}
	}
	read := 0
	for it.Seek(start); it.Valid(); it.Next() {
		if len(p.Events) == q.Limit || q.Scan > 0 && read == q.Scan {
			p.More = true
			return p, nil
		}
		k := it.Item().Key()
		if len(k) != len(prefix)+8 {
			continue
		}
		seq := binary.BigEndian.Uint64(k[len(prefix):])
		if q.Before > 0 && seq >= q.Before || seq <= q.After {
			return p, nil // past the range: keys are in Seq order either way
		}
		var e Event
		if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &e) }); err != nil {
			return p, err
		}
		read++
		p.Next = seq
		if q.match(e) {
			p.Events = append(p.Events, e)
		}
	}
	return p, nil
}

// ChainError says where the event chain breaks.
type ChainError struct {
	Seq    uint64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("eventlog: chain broken at seq %d: %s", e.Seq, e.Reason)
}

// VerifyChain recomputes every hash from the oldest retained event (the
// anchor Prune leaves, or seq 1) to the head and returns the number of events
// checked, or a *ChainError naming the first broken link. It reads one
// snapshot, so it is right while events are appended or pruned.
func (w *Log) VerifyChain() (uint64, error) {
	var n uint64
	err := w.db.View(func(txn *badger.Txn) error {
		a, err := getAnchor(txn)
		if err != nil {
			return err
		}
		last, prev := a.Seq-1, a.Prev
		erasures := newErasureCheck()
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(keyEvent), PrefetchValues: true})
		defer it.Close()
		// Rewind, not Seek to the anchor: an event stored below it is a break too.
		for it.Rewind(); it.Valid(); it.Next() {
			seq, ok := seqOf(it.Item().Key())
			switch {
			case !ok:
				return &ChainError{last + 1, fmt.Sprintf("stray key %q", it.Item().Key())}
			case seq <= last:
				return &ChainError{seq, fmt.Sprintf("stored before the chain start %d", a.Seq)}
			case seq > last+1:
				return &ChainError{last + 1, fmt.Sprintf("missing (next stored is %d)", seq)}
			}
			var e Event
			if err := it.Item().Value(func(b []byte) error { return json.Unmarshal(b, &e) }); err != nil {
				return &ChainError{seq, "unreadable: " + err.Error()}
			}
			if err := checkLink(seq, e, evAnchor{Seq: seq, Prev: prev}); err != nil {
				return err
			}
			if err := erasures.see(e); err != nil {
				return err
			}
			prev, last = e.Hash, seq
			n++
		}
		if err := erasures.done(a.Seq); err != nil {
			return err
		}
		var h evHead
		if err := getJSON(txn, keyEvHead, &h); err != nil && !errors.Is(err, errNotFound) {
			return err
		}
		switch {
		case h.Seq == last && h.Hash != prev:
			return &ChainError{last, "head hash does not match"}
		case h.Seq != last: // events missing at the end, or the head rewound
			return &ChainError{min(h.Seq, last) + 1, fmt.Sprintf("head says seq %d, events end at %d", h.Seq, last)}
		}
		return nil
	})
	return n, err
}

func getJSON(txn *badger.Txn, key string, v any) error {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

func setJSON(txn *badger.Txn, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set([]byte(key), b)
}

var errNotFound = errors.New("eventlog: not found")
