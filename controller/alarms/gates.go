package alarms

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"menwei/controller/eventlog"
)

// Received is the office's copy of its gates' logs (eventlog.Received).
type Received interface {
	Gates() ([]string, error)
	Page(gate string, q eventlog.Query) (eventlog.Page, error)
	Subscribe(buf int) (<-chan eventlog.GateEvent, func())
}

// GateAlarm is an open alarm of one of the office's gates.
type GateAlarm struct {
	Gate string `json:"gate"`
	Alarm
}

// GateBooks are an estate office's books of its gates' alarms: one Book
// per gate, read from the office's copy of that gate's log, and closed by
// the gate's own acknowledgements (uploaded like its other events) or by
// the office's (an Acknowledged event of the office's log naming the gate
// in AtGate and the gate's seq in Ref).
//
// A gate's events may reach the office out of order (a resend after a
// timeout): a gate's book reads only as far as its seqs run without a gap,
// so an alarm that arrives late is not skipped — it is read when the gap
// before it fills.
type GateBooks struct {
	mu    sync.Mutex
	books map[string]*Book
	acked map[string]map[uint64]bool // the office's acknowledgements: gate → seqs
	ready bool
	ackMu sync.Mutex
}

// NewGateBooks returns empty books.
func NewGateBooks() *GateBooks {
	return &GateBooks{books: map[string]*Book{}, acked: map[string]map[uint64]bool{}}
}

func (g *GateBooks) book(gate string) *Book {
	g.mu.Lock()
	defer g.mu.Unlock()
	b, ok := g.books[gate]
	if !ok {
		b = NewBook()
		g.books[gate] = b
	}
	return b
}

// Open is every gate's open alarms, oldest first (by time; a gate's own by
// seq), and whether every book has been read up to what the office holds.
func (g *GateBooks) Open() ([]GateAlarm, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []GateAlarm
	for gate, b := range g.books {
		open, _ := b.Open()
		for _, a := range open {
			if !g.acked[gate][a.Event.Seq] {
				out = append(out, GateAlarm{gate, a})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b GateAlarm) int {
		return cmp.Or(a.Event.Time.Compare(b.Event.Time), cmp.Compare(a.Gate, b.Gate), cmp.Compare(a.Event.Seq, b.Event.Seq))
	})
	return out, g.ready
}

// advance reads gate's events after its book's last into it, as far as
// their seqs run without a gap.
func (g *GateBooks) advance(r Received, gate string) error {
	b := g.book(gate)
	for {
		b.mu.Lock()
		after := b.seen
		b.mu.Unlock()
		p, err := r.Page(gate, eventlog.Query{After: after, Limit: eventlog.MaxLimit})
		if err != nil {
			return fmt.Errorf("alarms: read gate %s's events: %w", gate, err)
		}
		for _, e := range p.Events {
			if e.Seq != after+1 {
				return nil // a gap: read on when it fills
			}
			b.Observe(e)
			after = e.Seq
		}
		if !p.More {
			return nil
		}
	}
}

// observeOwn takes an event of the office's own log: its acknowledgement
// of a gate's alarm closes that alarm.
func (g *GateBooks) observeOwn(e eventlog.Event) {
	if e.Kind != Acknowledged || e.AtGate == "" {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.acked[e.AtGate] == nil {
		g.acked[e.AtGate] = map[uint64]bool{}
	}
	g.acked[e.AtGate][e.Ref] = true
}

// Follow reads every gate's events the office holds, and the office's own
// acknowledgements of them from own, then keeps the books up to date from
// both live streams until ctx ends. A stream that drops it is taken up
// again and what it missed read from the stores. It returns an error only
// when a store cannot be read.
func (g *GateBooks) Follow(ctx context.Context, r Received, own Log) error {
	for {
		done, err := g.follow(ctx, r, own)
		if done || err != nil {
			return err
		}
		// Dropped by a stream: take both up again. A closed store closes
		// every stream at once: do not spin on it.
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// follow is one round of Follow: done when ctx ended, false when a stream
// dropped it.
func (g *GateBooks) follow(ctx context.Context, r Received, own Log) (done bool, err error) {
	gateLive, gcancel := r.Subscribe(1024) // before reading: nothing falls between
	defer gcancel()
	ownLive, ocancel := own.Subscribe(1024)
	defer ocancel()
	if err := g.catchUp(ctx, r, own); err != nil {
		return true, err
	}
	g.mu.Lock()
	g.ready = true
	g.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return true, nil
		case e, ok := <-gateLive:
			if !ok {
				return false, nil
			}
			if err := g.advance(r, e.Gate); err != nil {
				return true, err
			}
		case e, ok := <-ownLive:
			if !ok {
				return false, nil
			}
			g.observeOwn(e)
		}
	}
}

func (g *GateBooks) catchUp(ctx context.Context, r Received, own Log) error {
	gates, err := r.Gates()
	if err != nil {
		return fmt.Errorf("alarms: the gates: %w", err)
	}
	for _, gate := range gates {
		if err := g.advance(r, gate); err != nil {
			return err
		}
	}
	for after := uint64(0); ctx.Err() == nil; {
		p, err := own.Page(eventlog.Query{After: after, Limit: eventlog.MaxLimit, Kinds: []string{Acknowledged}})
		if err != nil {
			return fmt.Errorf("alarms: read the log: %w", err)
		}
		for _, e := range p.Events {
			g.observeOwn(e)
		}
		if !p.More {
			return nil
		}
		after = p.Next
	}
	return nil
}

// Ack records in the office's own log that account acknowledged gate's
// alarm seq with note, and closes it at the office. It fails with
// ErrNotFound (not an open alarm of that gate: unknown, or already
// acknowledged) or ErrNotReady and records nothing then.
func (g *GateBooks) Ack(ctx context.Context, own Log, gate string, seq uint64, account, note string, now time.Time) (eventlog.Event, error) {
	g.ackMu.Lock()
	defer g.ackMu.Unlock()
	var alarm *Alarm
	open, ready := g.Open()
	if !ready {
		return eventlog.Event{}, ErrNotReady
	}
	for _, a := range open {
		if a.Gate == gate && a.Event.Seq == seq {
			alarm = &a.Alarm
		}
	}
	if alarm == nil {
		return eventlog.Event{}, fmt.Errorf("%w: gate %s's %d is not an open alarm", ErrNotFound, gate, seq)
	}
	ev, err := own.Append(ctx, eventlog.Event{Time: now.UTC(), Kind: Acknowledged, AtGate: gate, Ref: seq,
		Door: alarm.Event.Door, PD: alarm.Event.PD, Account: account, Detail: note})
	if err != nil {
		return eventlog.Event{}, fmt.Errorf("alarms: record the acknowledgement of gate %s's %d: %w", gate, seq, err)
	}
	g.observeOwn(ev)
	return ev, nil
}
