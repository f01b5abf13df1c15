package estate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"menwei/controller/eventlog"
	"menwei/controller/store"
)

// DirectoryStore is the gate's store as the applier writes it.
type DirectoryStore interface {
	DirectoryRevision() (uint64, error)
	ApplyDirectory(rev uint64, entries []store.DirectoryEntry) error
}

// ApplierOptions configures an Applier. Zero values are the defaults named.
type ApplierOptions struct {
	Gate  string         // this gate's name (required)
	Conn  *nats.Conn     // to the gate's embedded server (required)
	Store DirectoryStore // the gate's store (required)
	// Batch is the most messages applied in one transaction (0 = 200:
	// one sync each, and a transaction well within Badger's size limit).
	Batch int
	// Link names the leaf link to the office (Server.LeafLink: a new value
	// after every reconnect; nil = never changes). When it changes the
	// consumer is made again from the stored revision: deliveries made
	// while the link was down are lost on the way (the consumer
	// acknowledges nothing), and nothing else would tell until the next
	// message.
	Link func() uint64
	// Refresh is how long an idle consumer is kept before it is made
	// again from the stored revision, the safety net for a loss the link
	// did not show (0 = 2 min).
	Refresh time.Duration
	Log     *slog.Logger
}

// Applier keeps a gate's directory in step with its slice of the office's
// directory stream: an ordered consumer (office domain, through the leaf)
// filtered on the gate's subjects, from after the revision the gate's
// store holds; each batch of messages is applied in one transaction with
// the revision it reaches (store.ApplyDirectory). A kill at any moment
// leaves the records and the revision agreeing; a batch read again is a
// whole replacement again.
type Applier struct {
	o       ApplierOptions
	rev     atomic.Uint64
	pending atomic.Uint64
	last    atomic.Int64 // unix nanoseconds of the last apply
	applied atomic.Uint64
}

// NewApplier checks o and makes an Applier; Run runs it.
func NewApplier(o ApplierOptions) (*Applier, error) {
	switch {
	case !eventlog.ValidGate(o.Gate):
		return nil, fmt.Errorf("estate: directory applier: bad gate name %q", o.Gate)
	case o.Conn == nil || o.Store == nil:
		return nil, fmt.Errorf("estate: directory applier of %s: needs a connection and the store", o.Gate)
	}
	o.Batch = cmpOr(o.Batch, 200)
	o.Refresh = cmpOr(o.Refresh, 2*time.Minute)
	if o.Link == nil {
		o.Link = func() uint64 { return 1 }
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Log = o.Log.With("part", "estate-directory", "gate", o.Gate)
	a := &Applier{o: o}
	rev, err := o.Store.DirectoryRevision()
	if err != nil {
		return nil, fmt.Errorf("estate: directory applier of %s: %w", o.Gate, err)
	}
	a.rev.Store(rev)
	return a, nil
}

// DirectoryStatus is how far a gate's directory is.
type DirectoryStatus struct {
	Revision uint64    // the office's directory revision applied up to
	Applied  uint64    // messages applied since start
	Pending  uint64    // messages of the slice known to be waiting (the lag)
	Last     time.Time // the last apply (zero: none since start)
}

// Revision is the directory revision applied up to.
func (a *Applier) Revision() uint64 { return a.rev.Load() }

// Status says how far the directory is.
func (a *Applier) Status() DirectoryStatus {
	s := DirectoryStatus{Revision: a.rev.Load(), Applied: a.applied.Load(), Pending: a.pending.Load()}
	if n := a.last.Load(); n != 0 {
		s.Last = time.Unix(0, n)
	}
	return s
}

// Run applies until ctx ends. An office out of reach is waited for; a
// store that fails is retried with back-off (the batch is held).
func (a *Applier) Run(ctx context.Context) error {
	b := backoff{min: 200 * time.Millisecond, max: 10 * time.Second}
	down := false
	for ctx.Err() == nil {
		err := a.follow(ctx)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			if !down {
				a.o.Log.Warn("directory: cannot read the office's directory; the gate keeps its own", "revision", a.rev.Load(), "err", err)
				down = true
			}
			sleep(ctx, b.next())
			continue
		}
		down = false
		b.reset()
	}
	return ctx.Err()
}

// follow reads the slice from after the stored revision and applies it
// until ctx ends or reading fails.
func (a *Applier) follow(ctx context.Context) error {
	js, err := jetstream.NewWithDomain(a.o.Conn, OfficeDomain)
	if err != nil {
		return err
	}
	rev, err := a.o.Store.DirectoryRevision()
	if err != nil {
		return fmt.Errorf("read the directory revision: %w", err)
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{DirectoryFilter(a.o.Gate)}, DeliverPolicy: jetstream.DeliverAllPolicy}
	if rev > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, rev+1
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := js.OrderedConsumer(cctx, StreamDirectory, cfg)
	cancel()
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	it, err := c.Messages(jetstream.PullMaxMessages(2*a.o.Batch), jetstream.PullHeartbeat(2*time.Second))
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	defer it.Stop()
	link, idleSince := a.o.Link(), time.Now()
	for ctx.Err() == nil {
		m, err := it.Next(jetstream.NextMaxWait(time.Second))
		if errors.Is(err, nats.ErrTimeout) {
			if a.o.Link() != link || time.Since(idleSince) > a.o.Refresh {
				return nil // made again from the stored revision
			}
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("next: %w", err)
		}
		idleSince = time.Now()
		if err := a.apply(ctx, takeWaiting(it, m, a.o.Batch)); err != nil {
			return nil // ctx ended: the batch is read again next time
		}
	}
	return nil
}

// apply stores a batch in one transaction with the stream sequence of its
// last message, retrying a failing store until it works or ctx ends. A
// message that is not a record of this gate's slice is logged (by its
// subject) and skipped.
func (a *Applier) apply(ctx context.Context, msgs []jetstream.Msg) error {
	var (
		entries []store.DirectoryEntry
		rev     uint64
		pending uint64
	)
	for _, m := range msgs {
		if meta, err := m.Metadata(); err == nil {
			rev, pending = max(rev, meta.Sequence.Stream), meta.NumPending
		}
		e, err := decodeEntry(a.o.Gate, m.Subject(), m.Data())
		if err != nil {
			a.o.Log.Error("directory: a message is not a record of this gate's slice; skipped", "subject", m.Subject(), "revision", rev, "err", err)
			continue
		}
		entries = append(entries, e)
	}
	if rev == 0 {
		return nil
	}
	b := backoff{min: 200 * time.Millisecond, max: 10 * time.Second}
	for {
		err := a.o.Store.ApplyDirectory(rev, entries)
		if err == nil {
			a.rev.Store(rev)
			a.pending.Store(pending)
			a.applied.Add(uint64(len(entries)))
			a.last.Store(time.Now().UnixNano())
			return nil
		}
		if errors.Is(err, store.ErrBadRequest) && len(entries) > 0 {
			// One bad record must not hold the others back.
			entries = a.applyEach(entries, rev)
			continue
		}
		a.o.Log.Error("directory: cannot apply; retrying", "revision", rev, "err", err)
		select {
		case <-time.After(b.next()):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// applyEach applies a batch the store refused one entry at a time (under
// the revision already held), logging and dropping the entries it
// refuses; what is left to apply with rev is then nothing.
func (a *Applier) applyEach(entries []store.DirectoryEntry, rev uint64) []store.DirectoryEntry {
	for i, e := range entries {
		if err := a.o.Store.ApplyDirectory(a.rev.Load(), []store.DirectoryEntry{e}); err != nil {
			a.o.Log.Error("directory: the store refuses a record; skipped", "entry", i+1, "revision", rev, "err", err)
		}
	}
	return nil
}
