package estate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"menwei/controller/eventlog"
)

// Receiver is where the office applies its gates' events
// (store.Store.Received()).
type Receiver interface {
	Apply(gate string, evs []eventlog.Event) (eventlog.Applied, error)
}

// OfficeOptions configures an Office. Zero values are the defaults named.
type OfficeOptions struct {
	Conn     *nats.Conn // to the office's embedded server (required)
	Received Receiver   // required
	// Batch is how many messages one fetch takes (0 = 256).
	Batch int
	// AckWait is how long a fetched message waits for its ack before it is
	// delivered again (0 = 30 s).
	AckWait time.Duration
	// Duplicates is the stream's dedup window (0 = 2 min). The office's
	// apply is idempotent by (gate, seq) however long ago an event came.
	Duplicates time.Duration
	// MaxAge is how long the stream keeps a message after it came (0 = 7
	// days); the office's store keeps the events.
	MaxAge time.Duration
	Log    *slog.Logger
}

// Office applies every gate's events from the office's stream into its
// store, once each, and reports breaks in a gate's chain.
type Office struct {
	o       OfficeOptions
	js      jetstream.JetStream
	applied atomic.Uint64
}

// NewOffice checks o and makes an Office; Run runs it.
func NewOffice(o OfficeOptions) (*Office, error) {
	if o.Conn == nil || o.Received == nil {
		return nil, errors.New("estate: office: needs a connection and a receiver")
	}
	o.Batch = cmpOr(o.Batch, 256)
	o.AckWait = cmpOr(o.AckWait, 30*time.Second)
	o.Duplicates = cmpOr(o.Duplicates, 2*time.Minute)
	o.MaxAge = cmpOr(o.MaxAge, 7*24*time.Hour)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Log = o.Log.With("part", "estate-office")
	js, err := jetstream.New(o.Conn)
	if err != nil {
		return nil, fmt.Errorf("estate: office: %w", err)
	}
	return &Office{o: o, js: js}, nil
}

// Applied counts the events stored (not the duplicates skipped).
func (f *Office) Applied() uint64 { return f.applied.Load() }

// Setup makes (or updates) the stream and the durable consumer.
func (f *Office) Setup(ctx context.Context) (jetstream.Consumer, error) {
	st, err := f.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamEvents,
		Description: "every gate's events, on their way into the office's store",
		Subjects:    []string{eventSubjects},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Duplicates:  f.o.Duplicates,
		MaxAge:      f.o.MaxAge,
	})
	if err != nil {
		return nil, fmt.Errorf("estate: office: stream %s: %w", StreamEvents, err)
	}
	c, err := st.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       ConsumerApply,
		Description:   "applies each gate's events into the office's store",
		AckPolicy:     jetstream.AckAllPolicy,
		AckWait:       f.o.AckWait,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 4 * f.o.Batch,
	})
	if err != nil {
		return nil, fmt.Errorf("estate: office: consumer %s: %w", ConsumerApply, err)
	}
	return c, nil
}

// Run applies until ctx ends. A failure of the office's store is retried
// (the messages are held, not acknowledged) with back-off.
func (f *Office) Run(ctx context.Context) error {
	var c jetstream.Consumer
	b := backoff{min: 200 * time.Millisecond, max: 10 * time.Second}
	for {
		var err error
		if c, err = f.Setup(ctx); err == nil {
			break
		}
		f.o.Log.Error("cannot set up the stream", "err", err)
		select {
		case <-time.After(b.next()):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	b.reset()
	for ctx.Err() == nil {
		msgs, err := f.fetch(ctx, c)
		if err != nil {
			if ctx.Err() == nil {
				f.o.Log.Warn("fetch", "err", err)
				select {
				case <-time.After(b.next()):
				case <-ctx.Done():
				}
			}
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		if err := f.apply(ctx, msgs); err != nil {
			continue // ctx ended: unacknowledged, delivered again
		}
		// AckAll: the last acknowledges the batch. Lost, the batch comes
		// again and is skipped as already held.
		if err := msgs[len(msgs)-1].Ack(); err != nil {
			f.o.Log.Warn("ack", "err", err)
		}
		b.reset()
	}
	return ctx.Err()
}

// fetch takes what is waiting, up to a batch, without waiting; when
// nothing is, it waits (up to 2 s) for the next message alone, so an event
// that comes alone is applied at once and a backlog goes in batches.
func (f *Office) fetch(ctx context.Context, c jetstream.Consumer) ([]jetstream.Msg, error) {
	collect := func(batch jetstream.MessageBatch) ([]jetstream.Msg, error) {
		var msgs []jetstream.Msg
		for m := range batch.Messages() {
			msgs = append(msgs, m)
		}
		if err := batch.Error(); err != nil && len(msgs) == 0 && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) {
			return nil, err
		}
		return msgs, nil
	}
	batch, err := c.FetchNoWait(f.o.Batch)
	if err != nil {
		return nil, err
	}
	msgs, err := collect(batch)
	if err != nil || len(msgs) > 0 {
		return msgs, err
	}
	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if batch, err = c.Fetch(1, jetstream.FetchContext(fctx)); err != nil {
		if ctx.Err() == nil && fctx.Err() != nil {
			return nil, nil // nothing came: ask again
		}
		return nil, err
	}
	return collect(batch)
}

// apply stores one fetched batch, a transaction per gate in it, retrying
// a failing store until it works or ctx ends.
func (f *Office) apply(ctx context.Context, msgs []jetstream.Msg) error {
	var order []string
	byGate := map[string][]eventlog.Event{}
	for _, m := range msgs {
		gate, e, err := decode(m)
		if err != nil {
			meta, _ := m.Metadata()
			var seq uint64
			if meta != nil {
				seq = meta.Sequence.Stream
			}
			f.o.Log.Error("a message on the events stream is not a gate's event; skipped", "subject", m.Subject(), "stream_seq", seq, "err", err)
			continue
		}
		if _, ok := byGate[gate]; !ok {
			order = append(order, gate)
		}
		byGate[gate] = append(byGate[gate], e)
	}
	b := backoff{min: 200 * time.Millisecond, max: 10 * time.Second}
	for _, gate := range order {
		for {
			a, err := f.o.Received.Apply(gate, byGate[gate])
			if err == nil {
				f.report(gate, a)
				break
			}
			f.o.Log.Error("cannot store a gate's events; retrying", "gate", gate, "err", err)
			select {
			case <-time.After(b.next()):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

func (f *Office) report(gate string, a eventlog.Applied) {
	f.applied.Add(uint64(a.New))
	for _, c := range a.Conflicts {
		f.o.Log.Error("a gate sent another event under a seq the office holds; kept the first", "gate", gate, "seq", c.Seq, "held", c.Held, "received", c.Received)
	}
	if a.Break != nil {
		f.o.Log.Error("a gate's chain is broken", "gate", gate, "seq", a.Break.Seq, "reason", a.Break.Reason, "verified", a.Chain.Verified)
	}
}

// decode checks a message against its subject and msg id: the gate is the
// subject's (what the office's permissions let that gate publish on), and
// the id must name that gate and the event's seq.
func decode(m jetstream.Msg) (string, eventlog.Event, error) {
	gate, ok := strings.CutPrefix(m.Subject(), eventPrefix)
	if !ok || !eventlog.ValidGate(gate) {
		return "", eventlog.Event{}, fmt.Errorf("subject %q is not %s<gate>", m.Subject(), eventPrefix)
	}
	var e eventlog.Event
	if err := json.Unmarshal(m.Data(), &e); err != nil {
		return gate, e, fmt.Errorf("gate %s: not an event: %w", gate, err)
	}
	id := m.Headers().Get(jetstream.MsgIDHeader)
	if want := MsgID(gate, e.Seq); id != want {
		return gate, e, fmt.Errorf("gate %s: msg id %q, want %q", gate, id, want)
	}
	if e.Seq == 0 {
		return gate, e, fmt.Errorf("gate %s: event without a seq", gate)
	}
	return gate, e, nil
}
