package estate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"menwei/controller/eventlog"
	"menwei/controller/store"
)

// EventSource is the gate's event log, read only.
type EventSource interface {
	Events(q eventlog.Query) ([]eventlog.Event, error)
	Subscribe(buf int) (<-chan eventlog.Event, func())
}

// Cursor keeps the upload cursor: the seq up to which the office has
// acknowledged every event (store.Store: UploadCursor, SetUploadCursor).
type Cursor interface {
	UploadCursor(name string) (uint64, error)
	SetUploadCursor(name string, seq uint64) error
}

// CursorEvents is the name of the event log's upload cursor.
const CursorEvents = store.CursorEvents

// UploaderOptions configures an Uploader. Zero values are the defaults named.
type UploaderOptions struct {
	Gate   string      // this gate's name (required)
	Conn   *nats.Conn  // to the gate's embedded server (required)
	Events EventSource // required
	Cursor Cursor      // required
	// Batch is how many events are published before waiting for their
	// acks (0 = 256, at most eventlog.MaxLimit).
	Batch int
	// AckWait is how long a publish waits for its ack (0 = 5 s).
	AckWait time.Duration
	// Backoff bounds the wait after a failure: from Backoff.Min doubling to
	// Backoff.Max, with jitter, reset on success (0 = 200 ms and 10 s).
	MinBackoff, MaxBackoff time.Duration
	Log                    *slog.Logger
}

// Uploader sends a gate's event log to the office's stream, each event
// once, in order, from its persisted cursor; see docs/estate.md.
type Uploader struct {
	o        UploaderOptions
	js       jetstream.JetStream
	cursor   atomic.Uint64
	failures atomic.Uint64
}

// NewUploader checks o and makes an Uploader; Run runs it.
func NewUploader(o UploaderOptions) (*Uploader, error) {
	switch {
	case !eventlog.ValidGate(o.Gate):
		return nil, fmt.Errorf("estate: uploader: bad gate name %q", o.Gate)
	case o.Conn == nil || o.Events == nil || o.Cursor == nil:
		return nil, fmt.Errorf("estate: uploader of %s: needs a connection, the event log and a cursor", o.Gate)
	}
	o.Batch = min(cmpOr(o.Batch, 1000), eventlog.MaxLimit)
	o.AckWait = cmpOr(o.AckWait, 5*time.Second)
	o.MinBackoff = cmpOr(o.MinBackoff, 200*time.Millisecond)
	o.MaxBackoff = cmpOr(o.MaxBackoff, 10*time.Second)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Log = o.Log.With("part", "estate-upload", "gate", o.Gate)
	js, err := jetstream.New(o.Conn, jetstream.WithPublishAsyncTimeout(o.AckWait),
		jetstream.WithPublishAsyncMaxPending(2*o.Batch))
	if err != nil {
		return nil, fmt.Errorf("estate: uploader of %s: %w", o.Gate, err)
	}
	return &Uploader{o: o, js: js}, nil
}

// Uploaded is the cursor: every event up to it is at the office.
func (u *Uploader) Uploaded() uint64 { return u.cursor.Load() }

// Failures counts the batches that ended in a failed publish.
func (u *Uploader) Failures() uint64 { return u.failures.Load() }

// Run uploads until ctx ends. It returns only ctx's error or a failure of
// the gate's own store (reading the log or writing the cursor); a link
// that is down is waited out.
func (u *Uploader) Run(ctx context.Context) error {
	cur, err := u.o.Cursor.UploadCursor(CursorEvents)
	if err != nil {
		return fmt.Errorf("estate: uploader of %s: %w", u.o.Gate, err)
	}
	u.cursor.Store(cur)
	// Subscribe before the first read, so nothing appended in between is
	// missed; the events themselves are read from the log.
	wake, cancel := u.o.Events.Subscribe(64)
	defer func() { cancel() }()
	b := backoff{min: u.o.MinBackoff, max: u.o.MaxBackoff}
	down := false
	for ctx.Err() == nil {
		evs, err := u.o.Events.Events(eventlog.Query{After: cur, Limit: u.o.Batch})
		if err != nil {
			return fmt.Errorf("estate: uploader of %s: read the event log after %d: %w", u.o.Gate, cur, err)
		}
		if len(evs) == 0 {
			select {
			case _, ok := <-wake:
				if !ok { // dropped for falling behind: the log has it all
					cancel()
					wake, cancel = u.o.Events.Subscribe(64)
				}
			case <-ctx.Done():
			}
			continue
		}
		if evs[0].Seq > cur+1 {
			// Retention removed events before they were uploaded: they are
			// gone from this gate, and the office's chain will wait for them.
			u.o.Log.Error("events were pruned before they reached the office", "from", cur+1, "to", evs[0].Seq-1)
		}
		n, err := u.publish(ctx, evs)
		if n > 0 {
			cur = evs[n-1].Seq
			if err := u.o.Cursor.SetUploadCursor(CursorEvents, cur); err != nil {
				return fmt.Errorf("estate: uploader of %s: write the cursor %d: %w", u.o.Gate, cur, err)
			}
			u.cursor.Store(cur)
		}
		if err == nil {
			if down {
				u.o.Log.Info("uploading to the office again", "after", cur-uint64(n))
				down = false
			}
			b.reset()
			continue
		}
		if ctx.Err() != nil {
			break
		}
		u.failures.Add(1)
		if !down {
			u.o.Log.Warn("cannot upload to the office; the events wait in the log", "from", cur+1, "err", err)
			down = true
		}
		select {
		case <-time.After(b.next()):
		case <-ctx.Done():
		}
	}
	return ctx.Err()
}

// publish sends evs (in seq order) and returns how many from the first
// on were acknowledged by the office's stream, and the first failure.
func (u *Uploader) publish(ctx context.Context, evs []eventlog.Event) (int, error) {
	subj := EventSubject(u.o.Gate)
	futs := make([]jetstream.PubAckFuture, 0, len(evs))
	var perr error
	for _, e := range evs {
		b, err := json.Marshal(e)
		if err != nil {
			perr = fmt.Errorf("encode event %d: %w", e.Seq, err)
			break
		}
		f, err := u.js.PublishMsgAsync(&nats.Msg{Subject: subj, Data: b}, jetstream.WithMsgID(MsgID(u.o.Gate, e.Seq)))
		if err != nil {
			perr = fmt.Errorf("publish event %d: %w", e.Seq, err)
			break
		}
		futs = append(futs, f)
	}
	for i, f := range futs {
		select {
		case ack := <-f.Ok():
			if ack.Stream != StreamEvents {
				return i, fmt.Errorf("event %d: acknowledged by stream %q, not %s", evs[i].Seq, ack.Stream, StreamEvents)
			}
		case err := <-f.Err():
			return i, fmt.Errorf("event %d: %w", evs[i].Seq, err)
		case <-ctx.Done():
			return i, ctx.Err()
		}
	}
	return len(futs), perr
}

// backoff doubles from min to max with ±25% jitter.
type backoff struct {
	min, max time.Duration
	attempt  int
}

func (b *backoff) next() time.Duration {
	d := b.min << min(b.attempt, 16)
	if d > b.max || d <= 0 {
		d = b.max
	}
	b.attempt++
	return d*3/4 + rand.N(d/2+1)
}

func (b *backoff) reset() { b.attempt = 0 }
