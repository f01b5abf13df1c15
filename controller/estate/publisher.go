package estate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"menwei/controller/eventlog"
	"menwei/controller/policy"
	"menwei/controller/store"
)

// DirectorySource is the office's store as the publisher reads it: its
// change feed and the records it names.
type DirectorySource interface {
	SubscribeChanges(f func(store.Change)) (cancel func())
	DirectoryPerson(id string) (store.DirectoryPerson, error)
	DirectoryPeople() (map[string]*store.DirectoryPerson, error)
	Identity(id string) (store.Identity, error)
	Identities(kind policy.Kind) ([]store.Identity, error)
	Schedules() ([]store.Schedule, error)
	Holidays() (map[string]string, error)
}

// PublisherOptions configures a Publisher. Zero values are the defaults named.
type PublisherOptions struct {
	Conn  *nats.Conn      // to the office's embedded server (required)
	Store DirectorySource // the office's store (required)
	Gates []GateSlice     // the gates and their slices (required)
	// Coalesce is how long changes gather before they are published: a
	// person's import writes many changes, published once (0 = 50 ms).
	Coalesce time.Duration
	// AckWait is how long a publish waits for its ack (0 = 5 s).
	AckWait time.Duration
	Log     *slog.Logger
}

// Publisher turns the office store's change feed into the directory
// stream: on every committed change about a person, their whole current
// record (or a tombstone) on the subject of each gate whose slice holds
// them — or held them. It knows what the stream holds for every subject
// (the digest of its last message), so a record that did not change is not
// sent again, and on start it compares the whole stream with the store and
// publishes the differences: nothing a stopped office missed is lost.
type Publisher struct {
	o  PublisherOptions
	js jetstream.JetStream

	mu    sync.Mutex
	dirty dirtySet
	// guests are the visitors of each host, kept from the change feed
	// (and the reconcile's full read): a host's slice is their visitors'.
	guests map[string]map[string]bool
	hostOf map[string]string // visitor → host, the other way
	wake   chan struct{}

	// have is each subject's last message digest in the stream
	// (tombstoneDigest for a tombstone); the run goroutine's own.
	have      map[string]string
	published atomic.Uint64
}

// tombstoneDigest is the digest of an empty body.
var tombstoneDigest = digest(nil)

// dirtySet is what changed since the last publish.
type dirtySet struct {
	people, schedules, holidays map[string]bool
}

func newDirty() dirtySet {
	return dirtySet{people: map[string]bool{}, schedules: map[string]bool{}, holidays: map[string]bool{}}
}

func (d dirtySet) empty() bool {
	return len(d.people)+len(d.schedules)+len(d.holidays) == 0
}

func (d dirtySet) merge(o dirtySet) {
	maps.Copy(d.people, o.people)
	maps.Copy(d.schedules, o.schedules)
	maps.Copy(d.holidays, o.holidays)
}

// NewPublisher checks o and makes a Publisher; Run runs it.
func NewPublisher(o PublisherOptions) (*Publisher, error) {
	if o.Conn == nil || o.Store == nil {
		return nil, errors.New("estate: directory publisher: needs a connection and the office's store")
	}
	for i, g := range o.Gates {
		if !eventlog.ValidGate(g.Name) {
			return nil, fmt.Errorf("estate: directory publisher: gates[%d]: bad name %q", i, g.Name)
		}
	}
	o.Coalesce = cmpOr(o.Coalesce, 50*time.Millisecond)
	o.AckWait = cmpOr(o.AckWait, 5*time.Second)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.Log = o.Log.With("part", "estate-directory")
	js, err := jetstream.New(o.Conn, jetstream.WithPublishAsyncTimeout(o.AckWait), jetstream.WithPublishAsyncMaxPending(512))
	if err != nil {
		return nil, fmt.Errorf("estate: directory publisher: %w", err)
	}
	return &Publisher{o: o, js: js, dirty: newDirty(), guests: map[string]map[string]bool{}, hostOf: map[string]string{}, wake: make(chan struct{}, 1)}, nil
}

// Published counts the messages the stream acknowledged.
func (p *Publisher) Published() uint64 { return p.published.Load() }

// Setup makes (or updates) the directory stream.
func (p *Publisher) Setup(ctx context.Context) (jetstream.Stream, error) {
	st, err := p.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              StreamDirectory,
		Description:       "each gate's directory slice: the last record of every person, schedule and holiday",
		Subjects:          []string{dirSubjects},
		Storage:           jetstream.FileStorage,
		Retention:         jetstream.LimitsPolicy,
		MaxMsgsPerSubject: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("estate: directory: stream %s: %w", StreamDirectory, err)
	}
	return st, nil
}

// follow is the change feed's subscriber: it notes what changed (quick,
// on the store's write path) and wakes the run loop.
func (p *Publisher) follow(c store.Change) {
	p.mu.Lock()
	switch c.Kind {
	case store.IdentityPut:
		p.dirty.people[c.ID] = true
		p.noteGuest(c.ID, c.Identity)
	case store.IdentityDeleted:
		p.dirty.people[c.ID] = true
		p.noteGuest(c.ID, nil)
	case store.CredentialPut, store.CredentialRemoved,
		store.FacePut, store.FacesDeleted, store.TemplatePut, store.TemplatesDeleted, store.ConsentPut, store.ConsentRemoved:
		p.dirty.people[c.ID] = true
	case store.SchedulePut:
		p.dirty.schedules[c.ID] = true
	case store.HolidayPut, store.HolidayDeleted:
		p.dirty.holidays[c.ID] = true
	default:
		p.mu.Unlock()
		return // per gate: anti-passback, door modes, accounts, phones, cursors
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// noteGuest records i (nil: gone) as a visitor of its host, or as none.
// p.mu is held.
func (p *Publisher) noteGuest(id string, i *store.Identity) {
	if h, ok := p.hostOf[id]; ok {
		delete(p.guests[h], id)
		delete(p.hostOf, id)
	}
	if i == nil || i.Kind != policy.Visitor || i.Host == "" {
		return
	}
	p.hostOf[id] = i.Host
	if p.guests[i.Host] == nil {
		p.guests[i.Host] = map[string]bool{}
	}
	p.guests[i.Host][id] = true
}

// guestsOf lists the visitors of the hosts in ids.
func (p *Publisher) guestsOf(ids map[string]bool) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for h := range ids {
		for v := range p.guests[h] {
			out = append(out, v)
		}
	}
	return out
}

// take swaps out what changed.
func (p *Publisher) take() dirtySet {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.dirty
	p.dirty = newDirty()
	return d
}

// putBack returns what could not be published, to be tried again.
func (p *Publisher) putBack(d dirtySet) {
	p.mu.Lock()
	p.dirty.merge(d)
	p.mu.Unlock()
}

// Run publishes until ctx ends: first a full reconcile of the stream
// against the store, then every change. A stream or a publish that fails
// is tried again with back-off; what changed is kept until it is published.
func (p *Publisher) Run(ctx context.Context) error {
	cancel := p.o.Store.SubscribeChanges(p.follow)
	defer cancel()
	b := backoff{min: 200 * time.Millisecond, max: 10 * time.Second}
	for p.have == nil && ctx.Err() == nil {
		if err := p.reconcile(ctx); err != nil {
			p.o.Log.Error("directory: cannot reconcile the stream with the store; trying again", "err", err)
			sleep(ctx, b.next())
		}
	}
	b.reset()
	for ctx.Err() == nil {
		select {
		case <-p.wake:
		case <-ctx.Done():
			return ctx.Err()
		}
		sleep(ctx, p.o.Coalesce)
		d := p.take()
		if d.empty() {
			continue
		}
		if err := p.publish(ctx, d); err != nil {
			p.putBack(d)
			if ctx.Err() != nil {
				break
			}
			p.o.Log.Warn("directory: publishing failed; trying again", "err", err)
			sleep(ctx, b.next())
			select {
			case p.wake <- struct{}{}:
			default:
			}
			continue
		}
		b.reset()
	}
	return ctx.Err()
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

// reconcile reads what the stream holds for every subject (headers only)
// and publishes every record that differs from the store, and a tombstone
// for every live subject the store no longer has.
func (p *Publisher) reconcile(ctx context.Context) error {
	if _, err := p.Setup(ctx); err != nil {
		return err
	}
	have, err := p.readStream(ctx)
	if err != nil {
		return err
	}
	p.have = have
	d := newDirty()
	people, err := p.o.Store.Identities("")
	if err != nil {
		return fmt.Errorf("estate: directory: list the people: %w", err)
	}
	p.mu.Lock()
	for _, i := range people {
		d.people[i.ID] = true
		p.noteGuest(i.ID, &i)
	}
	p.mu.Unlock()
	for subj, dg := range have {
		if dg == tombstoneDigest {
			continue
		}
		for _, g := range p.o.Gates {
			if what, id, err := parseDirSubject(g.Name, subj); err == nil {
				map[string]map[string]bool{dirPerson: d.people, dirSchedule: d.schedules, dirHoliday: d.holidays}[what][id] = true
			}
		}
	}
	scs, err := p.o.Store.Schedules()
	if err != nil {
		return fmt.Errorf("estate: directory: schedules: %w", err)
	}
	for _, s := range scs {
		d.schedules[s.ID] = true
	}
	hols, err := p.o.Store.Holidays()
	if err != nil {
		return fmt.Errorf("estate: directory: holidays: %w", err)
	}
	for h := range hols {
		d.holidays[h] = true
	}
	if err := p.publish(ctx, d); err != nil {
		p.have = nil
		return err
	}
	p.o.Log.Info("directory: the stream is in step with the store", "subjects", len(p.have), "published", p.published.Load())
	return nil
}

// readStream reads the digest of every subject's last message.
func (p *Publisher) readStream(ctx context.Context) (map[string]string, error) {
	st, err := p.js.Stream(ctx, StreamDirectory)
	if err != nil {
		return nil, fmt.Errorf("estate: directory: stream %s: %w", StreamDirectory, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("estate: directory: stream %s: %w", StreamDirectory, err)
	}
	have := map[string]string{}
	if info.State.Msgs == 0 {
		return have, nil
	}
	c, err := p.js.OrderedConsumer(ctx, StreamDirectory, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{dirSubjects}, DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy, HeadersOnly: true})
	if err != nil {
		return nil, fmt.Errorf("estate: directory: read the stream: %w", err)
	}
	it, err := c.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return nil, fmt.Errorf("estate: directory: read the stream: %w", err)
	}
	defer it.Stop()
	for {
		m, err := it.Next(jetstream.NextMaxWait(5 * time.Second))
		if err != nil {
			return nil, fmt.Errorf("estate: directory: read the stream (%d subjects read): %w", len(have), err)
		}
		have[m.Subject()] = m.Headers().Get(digestHeader)
		meta, err := m.Metadata()
		if err != nil {
			return nil, fmt.Errorf("estate: directory: read the stream: %w", err)
		}
		if meta.NumPending == 0 {
			return have, nil
		}
	}
}

// outMsg is one message to publish.
type outMsg struct {
	subj string
	data []byte
}

// publish sends the current state of what changed to every gate whose
// slice holds it or whose stream subject still has it, and waits for
// every ack; have follows what was acknowledged.
func (p *Publisher) publish(ctx context.Context, d dirtySet) error {
	msgs, err := p.messages(d)
	if err != nil {
		return err
	}
	return p.send(ctx, msgs)
}

// messages is what d asks to publish: the records that differ from what
// the stream holds.
func (p *Publisher) messages(d dirtySet) ([]outMsg, error) {
	var out []outMsg
	add := func(g GateSlice, what, id string, data []byte, live bool) {
		subj := dirSubject(g.Name, what, id)
		if !live {
			data = nil
			if h, ok := p.have[subj]; !ok || h == tombstoneDigest {
				return // nothing there to remove
			}
		}
		if p.have[subj] == digest(data) {
			return
		}
		out = append(out, outMsg{subj, data})
	}
	people, err := p.people(d.people)
	if err != nil {
		return nil, err
	}
	for _, id := range slices.Sorted(maps.Keys(people)) {
		rec := people[id]
		var (
			data []byte
			host *store.Identity
		)
		if rec != nil {
			if data, err = encodePerson(rec); err != nil {
				return nil, fmt.Errorf("estate: directory: encode %s: %w", id, err)
			}
			host = p.host(rec.Identity, people)
		}
		for _, g := range p.o.Gates {
			add(g, dirPerson, id, data, rec != nil && g.holds(rec.Identity, host))
		}
	}
	scs, err := p.o.Store.Schedules()
	if err != nil {
		return nil, fmt.Errorf("estate: directory: schedules: %w", err)
	}
	for _, s := range scs {
		if !d.schedules[s.ID] {
			continue
		}
		data, err := json.Marshal(dirMessage{Schedule: &s})
		if err != nil {
			return nil, err
		}
		for _, g := range p.o.Gates {
			add(g, dirSchedule, s.ID, data, true)
		}
	}
	hols, err := p.o.Store.Holidays()
	if err != nil {
		return nil, fmt.Errorf("estate: directory: holidays: %w", err)
	}
	for _, day := range slices.Sorted(maps.Keys(d.holidays)) {
		name, ok := hols[day]
		data, err := json.Marshal(dirMessage{Holiday: &name})
		if err != nil {
			return nil, err
		}
		for _, g := range p.o.Gates {
			add(g, dirHoliday, day, data, ok)
		}
	}
	return out, nil
}

// people reads the current records of ids (nil: gone), and those of the
// visitors whose host is among them (a host's slice is theirs). A large
// burst is read in one pass over the store.
func (p *Publisher) people(ids map[string]bool) (map[string]*store.DirectoryPerson, error) {
	out := map[string]*store.DirectoryPerson{}
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > 64 {
		all, err := p.o.Store.DirectoryPeople()
		if err != nil {
			return nil, err
		}
		for id := range ids {
			out[id] = all[id]
		}
		for id, r := range all {
			if r.Identity.Kind == policy.Visitor && ids[r.Identity.Host] {
				out[id] = r
			}
		}
		return out, nil
	}
	read := func(id string) error {
		r, err := p.o.Store.DirectoryPerson(id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			out[id] = nil
		case err != nil:
			return fmt.Errorf("estate: directory: read %s: %w", id, err)
		default:
			out[id] = &r
		}
		return nil
	}
	for id := range ids {
		if err := read(id); err != nil {
			return nil, err
		}
	}
	for _, v := range p.guestsOf(ids) {
		if _, done := out[v]; !done {
			if err := read(v); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// host is a visitor's host, from those read or from the store.
func (p *Publisher) host(i store.Identity, read map[string]*store.DirectoryPerson) *store.Identity {
	if i.Kind != policy.Visitor || i.Host == "" {
		return nil
	}
	if r, ok := read[i.Host]; ok {
		if r == nil {
			return nil
		}
		return &r.Identity
	}
	h, err := p.o.Store.Identity(i.Host)
	if err != nil {
		return nil
	}
	return &h
}

// send publishes msgs in order, a window at a time, and waits for every
// ack; have records each acknowledged one.
func (p *Publisher) send(ctx context.Context, msgs []outMsg) error {
	const window = 256
	for len(msgs) > 0 {
		n := min(len(msgs), window)
		futs := make([]jetstream.PubAckFuture, 0, n)
		for _, m := range msgs[:n] {
			nm := &nats.Msg{Subject: m.subj, Data: m.data, Header: nats.Header{digestHeader: []string{digest(m.data)}}}
			f, err := p.js.PublishMsgAsync(nm)
			if err != nil {
				return fmt.Errorf("estate: directory: publish: %w", err)
			}
			futs = append(futs, f)
		}
		for i, f := range futs {
			select {
			case <-f.Ok():
				p.have[msgs[i].subj] = digest(msgs[i].data)
				p.published.Add(1)
			case err := <-f.Err():
				return fmt.Errorf("estate: directory: publish: %w", err)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		msgs = msgs[n:]
	}
	return nil
}
