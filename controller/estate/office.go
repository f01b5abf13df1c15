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
// (store.Store.Received()): each batch in one transaction with the stream
// sequence it reached, which Through reads back.
type Receiver interface {
	ApplyBatch(through uint64, batch []eventlog.GateEvents) ([]eventlog.Applied, error)
	Through() (uint64, error)
}

// OfficeOptions configures an Office. Zero values are the defaults named.
type OfficeOptions struct {
	Conn     *nats.Conn // to the office's embedded server (required)
	Received Receiver   // required
	// Batch is the most messages applied in one transaction (0 = 256).
	Batch int
	// Duplicates is the stream's dedup window (0 = 2 min). The office's
	// apply is idempotent by (gate, seq) however long ago an event came.
	Duplicates time.Duration
	// MaxAge is how long the stream keeps a message after it came (0 = 30
	// days); the office's store keeps the events, and the office reads the
	// stream from where its store says it got to.
	MaxAge time.Duration
	Log    *slog.Logger
}

// Office applies every gate's events from the office's stream into its
// store, once each, and reports breaks in a gate's chain.
//
// How far it got is not a consumer's acknowledgements but a sequence in
// the office's own store, written in the transaction that applies the
// messages up to it (Receiver.ApplyBatch). Reading starts after it, with
// an ordered consumer (client-side, no acks): a kill at any moment leaves
// the store and the sequence agreeing, and nothing waits for an ack
// timeout to be delivered again.
type Office struct {
	o       OfficeOptions
	js      jetstream.JetStream
	applied atomic.Uint64
	through atomic.Uint64
}

// NewOffice checks o and makes an Office; Run runs it.
func NewOffice(o OfficeOptions) (*Office, error) {
	if o.Conn == nil || o.Received == nil {
		return nil, errors.New("estate: office: needs a connection and a receiver")
	}
	o.Batch = cmpOr(o.Batch, 256)
	o.Duplicates = cmpOr(o.Duplicates, 2*time.Minute)
	o.MaxAge = cmpOr(o.MaxAge, 30*24*time.Hour)
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

// Through is the stream sequence applied up to.
func (f *Office) Through() uint64 { return f.through.Load() }

// Setup makes (or updates) the stream.
func (f *Office) Setup(ctx context.Context) (jetstream.Stream, error) {
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
	return st, nil
}

// Run applies until ctx ends. A failure of the office's store is retried
// (the batch is held) with back-off; so is a stream that cannot be read.
func (f *Office) Run(ctx context.Context) error {
	b := backoff{min: 200 * time.Millisecond, max: 10 * time.Second}
	for ctx.Err() == nil {
		if err := f.follow(ctx); err != nil && ctx.Err() == nil {
			f.o.Log.Error("reading the events stream; trying again", "err", err)
			select {
			case <-time.After(b.next()):
			case <-ctx.Done():
			}
			continue
		}
		b.reset()
	}
	return ctx.Err()
}

// follow reads the stream from after the store's sequence and applies it
// in batches, until ctx ends or reading fails.
func (f *Office) follow(ctx context.Context) error {
	st, err := f.Setup(ctx)
	if err != nil {
		return err
	}
	through, err := f.o.Received.Through()
	if err != nil {
		return fmt.Errorf("estate: office: read how far the stream is applied: %w", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return fmt.Errorf("estate: office: stream %s: %w", StreamEvents, err)
	}
	if through > info.State.LastSeq {
		// The stream is younger than the store (its files were lost or
		// it was made again): read it whole; what is held is skipped.
		f.o.Log.Warn("the events stream ends before where the store got to: reading it from its start", "through", through, "stream_last", info.State.LastSeq)
		through = 0
	}
	if info.State.Msgs > 0 && info.State.FirstSeq > through+1 {
		f.o.Log.Error("the events stream no longer holds messages the store has not applied; a gate's chain will show the gap", "through", through, "stream_first", info.State.FirstSeq)
	}
	f.through.Store(through)
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{eventSubjects}, DeliverPolicy: jetstream.DeliverAllPolicy}
	if through > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, through+1
	}
	c, err := f.js.OrderedConsumer(ctx, StreamEvents, cfg)
	if err != nil {
		return fmt.Errorf("estate: office: consumer: %w", err)
	}
	it, err := c.Messages(jetstream.PullMaxMessages(2 * f.o.Batch))
	if err != nil {
		return fmt.Errorf("estate: office: consumer: %w", err)
	}
	defer it.Stop()
	for ctx.Err() == nil {
		// Wait for one message, then take what else is already here.
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("estate: office: next: %w", err)
		}
		if err := f.apply(ctx, takeWaiting(it, m, f.o.Batch)); err != nil {
			return nil // ctx ended: the batch is read again next time
		}
	}
	return nil
}

// takeWaiting is first and what else is already here, up to max messages:
// a lone message is applied at once, a burst in batches.
func takeWaiting(it jetstream.MessagesContext, first jetstream.Msg, max int) []jetstream.Msg {
	msgs := []jetstream.Msg{first}
	for len(msgs) < max {
		m, err := it.Next(jetstream.NextMaxWait(time.Millisecond))
		if err != nil {
			break
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// apply stores one batch in one transaction with the stream sequence of
// its last message, retrying a failing store until it works or ctx ends.
func (f *Office) apply(ctx context.Context, msgs []jetstream.Msg) error {
	var (
		batch   []eventlog.GateEvents
		at      = map[string]int{}
		through uint64
	)
	for _, m := range msgs {
		if meta, err := m.Metadata(); err == nil {
			through = max(through, meta.Sequence.Stream)
		}
		gate, e, err := decode(m)
		if err != nil {
			f.o.Log.Error("a message on the events stream is not a gate's event; skipped", "subject", m.Subject(), "stream_seq", through, "err", err)
			continue
		}
		i, ok := at[gate]
		if !ok {
			i = len(batch)
			at[gate] = i
			batch = append(batch, eventlog.GateEvents{Gate: gate})
		}
		batch[i].Events = append(batch[i].Events, e)
	}
	b := backoff{min: 200 * time.Millisecond, max: 10 * time.Second}
	for {
		res, err := f.o.Received.ApplyBatch(through, batch)
		if err == nil {
			for i, a := range res {
				f.report(batch[i].Gate, a)
			}
			f.through.Store(through)
			return nil
		}
		f.o.Log.Error("cannot store the gates' events; retrying", "through", through, "err", err)
		select {
		case <-time.After(b.next()):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *Office) report(gate string, a eventlog.Applied) {
	f.applied.Add(uint64(a.New))
	for _, c := range a.Conflicts {
		f.o.Log.Error("a gate sent another event under a seq the office holds; kept the first", "gate", gate, "seq", c.Seq, "held", c.Held, "received", c.Received)
	}
	if a.Erased > 0 {
		f.o.Log.Info("a gate's erasure pseudonymised the office's copies", "gate", gate, "events", a.Erased)
	}
	for _, seq := range a.Unapplied {
		f.o.Log.Error("a gate's erasure could not be applied to the office's copies; they keep the person's fields", "gate", gate, "seq", seq)
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
