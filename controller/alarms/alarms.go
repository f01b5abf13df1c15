package alarms

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"menwei/controller/alerts"
	"menwei/controller/door"
	"menwei/controller/eventlog"
)

// Acknowledged is the kind of the event that records a guard's
// acknowledgement: Ref is the alarm's seq, Account who acknowledged,
// Detail the note.
const Acknowledged = "alarm.acknowledged"

// Errors of Ack.
var (
	ErrNotAlarm     = errors.New("alarms: not an alarm")
	ErrAcknowledged = errors.New("alarms: already acknowledged")
	ErrNotFound     = errors.New("alarms: no such event")
	ErrNotReady     = errors.New("alarms: still reading the event log")
)

// mirrors are the alert kinds that repeat one alarm event under the risk
// watcher's name (package alerts): the alarm is the event itself, so a
// forced door is one alarm, not two.
var mirrors = map[string]bool{
	alerts.DoorForced: true, alerts.DoorHeld: true, alerts.Tamper: true,
	alerts.TerminalOffline: true, alerts.Duress: true,
}

// IsAlarm reports whether e is an alarm a guard must acknowledge: an event
// the controller flagged (Alarm) that is not the risk watcher's copy of
// another one.
func IsAlarm(e eventlog.Event) bool {
	return e.Alarm && !mirrors[e.Kind] && e.Kind != Acknowledged
}

// Kinds of package controller (which imports this one) that clear an
// alarm; controller's tests check they are its constants.
const (
	kindPDOnline        = "pd.online"
	kindPDOffline       = "pd.offline"
	kindPDTamper        = "pd.tamper"
	kindPDTamperCleared = "pd.tamper_cleared"
	kindPDPower         = "pd.power"
	kindPDPowerRestored = "pd.power_restored"
)

// clear says which events end an alarm's condition: the kinds, at the same
// door (byDoor) or terminal. Alarms not listed (duress, fire, a lock that
// failed, a risk alert) do not clear by themselves.
var clear = map[string]struct {
	by     []string
	byDoor bool
}{
	door.EventForcedOpen: {[]string{door.EventClosed}, true},
	door.EventHeldOpen:   {[]string{door.EventClosed, door.EventHeldOpenCleared}, true},
	door.EventUnsecured:  {[]string{door.EventLockOnline}, true},
	kindPDOffline:        {[]string{kindPDOnline}, false},
	kindPDTamper:         {[]string{kindPDTamperCleared}, false},
	kindPDPower:          {[]string{kindPDPowerRestored}, false},
}

// clearing is every kind that may clear an alarm.
var clearing = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range clear {
		for _, k := range c.by {
			m[k] = true
		}
	}
	return m
}()

// Alarm is one open alarm.
type Alarm struct {
	Event eventlog.Event `json:"event"`
	// Cleared is the event that ended the condition by itself, if one
	// did; the alarm stays open until acknowledged.
	Cleared *eventlog.Event `json:"cleared,omitempty"`
}

// Book is the set of open alarms, read from the log in seq order.
type Book struct {
	mu      sync.Mutex
	open    map[uint64]*Alarm
	seen    uint64        // the last seq observed
	ready   bool          // the log has been read up to its head once
	changed chan struct{} // closed (and replaced) whenever seen advances
	ackMu   sync.Mutex    // one acknowledgement at a time
}

// NewBook returns an empty book.
func NewBook() *Book {
	return &Book{open: map[uint64]*Alarm{}, changed: make(chan struct{})}
}

// Observe takes the next event of the log. Events must come in seq order;
// one already seen is ignored.
func (b *Book) Observe(e eventlog.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e.Seq <= b.seen {
		return
	}
	b.seen = e.Seq
	close(b.changed)
	b.changed = make(chan struct{})
	switch {
	case IsAlarm(e):
		b.open[e.Seq] = &Alarm{Event: e}
	case e.Kind == Acknowledged && e.AtGate == "": // (an office's of a gate's alarm: GateBooks)
		delete(b.open, e.Ref)
	case clearing[e.Kind]:
		for _, a := range b.open {
			c, ok := clear[a.Event.Kind]
			if !ok || a.Cleared != nil || !slices.Contains(c.by, e.Kind) {
				continue
			}
			if c.byDoor && e.Door == a.Event.Door && e.Door != "" || !c.byDoor && e.PD == a.Event.PD && e.PD != "" {
				cleared := e
				a.Cleared = &cleared
			}
		}
	}
}

// Open returns the open alarms, oldest first, and whether the book has
// read the log up to its head (before that the list is incomplete).
func (b *Book) Open() ([]Alarm, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Alarm, 0, len(b.open))
	for _, a := range b.open {
		x := *a
		if a.Cleared != nil {
			c := *a.Cleared
			x.Cleared = &c
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b Alarm) int { return cmp.Compare(a.Event.Seq, b.Event.Seq) })
	return out, b.ready
}

// Log is what a Book reads and writes: package eventlog's *Log.
type Log interface {
	Page(q eventlog.Query) (eventlog.Page, error)
	Subscribe(buf int) (<-chan eventlog.Event, func())
	Append(ctx context.Context, e eventlog.Event) (eventlog.Event, error)
}

// Follow reads the log into b from where b is, then keeps it up to date
// from the live stream until ctx ends. A stream that drops it (it fell
// behind) is taken up again and the gap read from the log, so b misses no
// event. It returns an error only when the log cannot be read.
func (b *Book) Follow(ctx context.Context, log Log) error {
	for {
		live, cancel := log.Subscribe(1024) // before reading: nothing falls between
		err := b.catchUp(ctx, log)
		if err != nil {
			cancel()
			return err
		}
		b.mu.Lock()
		b.ready = true
		b.mu.Unlock()
		for stay := true; stay; {
			select {
			case <-ctx.Done():
				cancel()
				return nil
			case e, ok := <-live:
				if !ok {
					stay = false // dropped: subscribe again and read the gap
					break
				}
				b.Observe(e)
			}
		}
		cancel()
		// A closed log closes every stream at once: do not spin on it.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (b *Book) catchUp(ctx context.Context, log Log) error {
	for {
		if err := ctx.Err(); err != nil {
			return nil
		}
		b.mu.Lock()
		after := b.seen
		b.mu.Unlock()
		p, err := log.Page(eventlog.Query{After: after, Limit: eventlog.MaxLimit})
		if err != nil {
			return fmt.Errorf("alarms: read the log: %w", err)
		}
		for _, e := range p.Events {
			b.Observe(e)
		}
		if !p.More {
			return nil
		}
	}
}

// waitSeen waits until b has observed seq, or ctx ends.
func (b *Book) waitSeen(ctx context.Context, seq uint64) bool {
	for {
		b.mu.Lock()
		seen, ch := b.seen, b.changed
		b.mu.Unlock()
		if seen >= seq {
			return true
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// Ack records that account acknowledged alarm seq with note, and closes
// it. The acknowledgement is an event of the log (kind Acknowledged),
// durable before Ack returns. It fails with ErrNotFound, ErrNotAlarm or
// ErrAcknowledged and records nothing when seq is not an open alarm.
func (b *Book) Ack(ctx context.Context, log Log, seq uint64, account, note string, now time.Time) (eventlog.Event, error) {
	b.ackMu.Lock()
	defer b.ackMu.Unlock()
	b.mu.Lock()
	ready := b.ready
	b.mu.Unlock()
	if !ready {
		return eventlog.Event{}, ErrNotReady
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Second) // an alarm just recorded, not yet streamed
	seen := b.waitSeen(wctx, seq)
	cancel()
	b.mu.Lock()
	a, open := b.open[seq]
	b.mu.Unlock()
	if !open {
		p, err := log.Page(eventlog.Query{After: seq - 1, Limit: 1, Scan: 1})
		switch {
		case err != nil:
			return eventlog.Event{}, fmt.Errorf("alarms: read event %d: %w", seq, err)
		case !seen || len(p.Events) == 0 || p.Events[0].Seq != seq:
			return eventlog.Event{}, fmt.Errorf("%w: %d", ErrNotFound, seq)
		case IsAlarm(p.Events[0]):
			return eventlog.Event{}, fmt.Errorf("%w: %d", ErrAcknowledged, seq)
		default:
			return eventlog.Event{}, fmt.Errorf("%w: %d is %s", ErrNotAlarm, seq, p.Events[0].Kind)
		}
	}
	ev, err := log.Append(ctx, eventlog.Event{Time: now.UTC(), Kind: Acknowledged, Ref: seq, Door: a.Event.Door, PD: a.Event.PD,
		Account: account, Detail: note})
	if err != nil {
		return eventlog.Event{}, fmt.Errorf("alarms: record the acknowledgement of %d: %w", seq, err)
	}
	// Closed now, not when the stream brings the event back: the next
	// list must not show it (Observe of the event later changes nothing).
	b.mu.Lock()
	delete(b.open, seq)
	b.mu.Unlock()
	return ev, nil
}
