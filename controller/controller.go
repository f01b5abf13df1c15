package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"menwei/controller/alarms"
	"menwei/controller/alerts"
	"menwei/controller/config"
	"menwei/controller/door"
	"menwei/controller/eventlog"
	"menwei/controller/fingers"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/gpio"
	"menwei/devices/osdp"
	"menwei/devices/serialport"
)

// Options builds a Controller.
type Options struct {
	Config config.Config
	Store  Storage // a *store.Store
	// OpenPort opens a bus's line. nil opens the serial device through
	// serialport with automatic reopen.
	OpenPort func(config.Bus) (io.ReadWriteCloser, error)
	// OpenGPIO opens the GPIO lines of the box that the configuration
	// names (New opens them all, or fails naming the door and the line).
	// nil = the Linux GPIO character device (gpio.Chardev).
	OpenGPIO gpio.Opener
	Now      func() time.Time // nil = time.Now
	Log      *slog.Logger     // nil = discard
	// Faces is the 1:N face index, loaded from the store by New; nil turns
	// face matching off. Embedder computes descriptors from photos; nil
	// leaves descriptor-mode terminals only.
	Faces    FaceIndex
	Embedder FaceEmbedder
	// FaceSnapshot is the file that keeps the face index between starts
	// (facesnap.go); "" = rebuild it from the store at every start.
	FaceSnapshot string
}

type pdKey struct {
	bus  string
	addr byte
}

// Controller runs the doors: it owns one OSDP loop per bus, a supervision
// state machine per door, and the risk watcher.
//
// Locks, in the order they may be taken: a door's doorRT.mu (everything
// done to one door), then a bus's reqMu, alertsMu or ctxMu (never while
// holding another of these three). The fields above buses are set in New
// and only read afterwards; the run-time state of buses, terminals and
// ports (runtime.go) is in maps made in New whose values are atomics or
// owned by one goroutine.
type Controller struct {
	cfg   config.Config
	store Storage
	log   *slog.Logger
	now   func() time.Time
	open  func(config.Bus) (io.ReadWriteCloser, error)

	pdName map[pdKey]string
	pdAt   map[string]pdKey
	doors  []*doorRT

	// The GPIO lines of the box, opened by New and closed by Close:
	// the doors' locks (also each door's lockDriver) and the input lines,
	// followed each by a goroutine of Run.
	openGPIO   gpio.Opener
	gpioLocks  []*gpioLock
	gpioInputs []gpioInput

	buses map[string]*busRT  // by bus name
	ports map[string]*portRT // "bus/<name>", "converter/<name>"
	// schedules are swapped whole by ReloadSchedules (the supervisor) and
	// read by every decision.
	schedules atomic.Pointer[map[string]*policy.Schedule]
	// captureMu guards captures: the readers whose next card goes to
	// CaptureCard (taken by a bus event goroutine on every card read).
	captureMu sync.Mutex
	captures  map[captureKey]chan store.Card
	// alertsMu guards alerts, fed by every goroutine that records an event.
	alertsMu sync.Mutex
	alerts   *alerts.Watcher
	alarms   *alarms.Book // open alarms, read from the log (its own locks)

	faces   FaceIndex      // safe for concurrent use
	embed   FaceEmbedder   // safe for concurrent use (one dlib worker behind a queue)
	snaps   *faceSnapshots // the face index's file; nil = none
	unknown unknownFaces   // recent strangers (its own lock)
	metrics *metrics
	fingers *fingers.Manager
	// resync is fingers once made, for the change feed's subscriber (which
	// may run before New has made it: the estate's applier writes from
	// the start).
	resync atomic.Pointer[fingers.Manager]
	// ctxMu guards ctx: Run's context, for callbacks from other goroutines.
	ctxMu sync.Mutex
	ctx   context.Context
	// reload asks the supervisor to read the schedules again (a schedule
	// or holiday changed in the store); stopFeed ends the subscription to
	// the store's changes (Close).
	reload   chan struct{}
	stopFeed func()
	// decided, when set (tests), sees every decision once it is durable and
	// before anything is acted on.
	decided func(Event)
	work    sync.WaitGroup // face photos being embedded
	// started is closed once Run has started its goroutines; superBeat is
	// marked by the supervisor on every tick (Alive).
	started   chan struct{}
	startOnce sync.Once
	superBeat beat
	beatStale time.Duration // beatStale; shorter in tests
}

// New checks that the configuration and the store fit together and sets
// every door to its stored mode (an emergency survives a restart).
func New(o Options) (*Controller, error) {
	if o.Store == nil {
		return nil, errors.New("controller: no store")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	a := o.Config.Alerts
	c := &Controller{cfg: o.Config, store: o.Store, log: o.Log, now: o.Now, open: o.OpenPort,
		pdName: map[pdKey]string{}, pdAt: map[string]pdKey{},
		metrics: newMetrics(), alarms: alarms.NewBook(), started: make(chan struct{}), beatStale: beatStale,
		alerts: alerts.New(alerts.Config{
			Denials:       alerts.Threshold(a.Denials),
			UnknownRepeat: alerts.Threshold(a.UnknownRepeat),
			WrongPIN:      alerts.Threshold(a.WrongPIN),
		})}
	if c.open == nil {
		c.open = c.openSerial
	}
	c.openGPIO = o.OpenGPIO
	if c.openGPIO == nil {
		c.openGPIO = gpio.Chardev{}
	}
	c.metrics.repaired.Add(float64(o.Store.Repaired()))
	c.faces, c.embed = o.Faces, o.Embedder
	c.reload = make(chan struct{}, 1)
	// Subscribed before the faces are loaded, so that no face written
	// meanwhile is missed (one written during the load is added twice:
	// the index replaces a face by its id).
	if fi, ok := o.Faces.(faceIndex); ok && o.FaceSnapshot != "" {
		if ft, ok := o.Store.(faceTokens); ok {
			c.snaps = newFaceSnapshots(o.FaceSnapshot, ft, fi.Index, o.Log)
		}
	}
	c.stopFeed = o.Store.SubscribeChanges(c.followChange)
	built := false
	defer func() {
		if !built {
			c.stopFeed()
		}
	}()
	if c.faces != nil {
		start := time.Now()
		n, from, err := c.loadFaces()
		if err != nil {
			return nil, fmt.Errorf("controller: load faces: %w", err)
		}
		c.log.Info("face index loaded", "descriptors", n, "from", from, "took", time.Since(start).Round(time.Millisecond))
	}
	c.buses, c.ports = newRuntime(o.Config)
	for _, b := range o.Config.Buses {
		for _, p := range b.PDs {
			k := pdKey{b.Name, byte(*p.Address)}
			c.pdName[k], c.pdAt[p.Name] = p.Name, k
		}
	}
	if len(o.Config.Fingerprints) > 0 {
		var err error
		if c.fingers, err = c.newFingers(); err != nil {
			return nil, fmt.Errorf("controller: fingerprint modules: %w", err)
		}
		c.resync.Store(c.fingers)
	}
	if err := c.ReloadSchedules(); err != nil {
		return nil, err
	}
	for _, dc := range o.Config.Doors {
		if dc.Policy.Schedule != "" && c.schedule(dc.Policy.Schedule) == nil {
			c.log.Warn("door policy names a schedule the store does not have: the door refuses everyone but staff until it is added",
				"door", dc.Name, "schedule", dc.Policy.Schedule)
		}
		d, _, err := c.newDoor(dc, c.now())
		if err != nil {
			return nil, fmt.Errorf("controller: door %s: %w", dc.Name, err)
		}
		stored, err := c.store.DoorMode(dc.Name)
		if err != nil {
			return nil, err
		}
		if stored != "" {
			m, err := door.ParseMode(stored)
			if err != nil {
				return nil, fmt.Errorf("controller: door %s: stored mode: %w", dc.Name, err)
			}
			// Its lock actions are re-asserted when the lock's PD comes online.
			if _, err := d.sm.SetMode(c.now(), m); err != nil {
				return nil, fmt.Errorf("controller: door %s: stored mode: %w", dc.Name, err)
			}
			if m != door.Normal {
				c.log.Warn("door starts in its stored mode", "door", dc.Name, "mode", m)
			}
		}
		c.doors = append(c.doors, d)
	}
	// The lines last, so that nothing failing after them leaves them held
	// (openLines closes its own on an error).
	if err := c.openLines(); err != nil {
		return nil, err
	}
	built = true
	return c, nil
}

// Close ends the controller's subscription to the store's changes and
// releases the GPIO lines; call it after Run has returned and before
// closing the store.
func (c *Controller) Close() {
	c.stopFeed()
	c.closeLines()
}

// ReloadSchedules reads schedules and holidays from the store again.
func (c *Controller) ReloadSchedules() error {
	s, err := c.store.CompiledSchedules(c.cfg.Location())
	if err != nil {
		return fmt.Errorf("controller: schedules: %w", err)
	}
	c.schedules.Store(&s)
	return nil
}

// schedule returns a schedule by id, nil if the store has none.
func (c *Controller) schedule(id string) *policy.Schedule {
	if m := c.schedules.Load(); m != nil {
		return (*m)[id]
	}
	return nil
}

// openSerial opens a bus's serial device and keeps reopening it when it goes
// away (a USB adapter unplugged); the bus loop sees missed replies meanwhile.
func (c *Controller) openSerial(b config.Bus) (io.ReadWriteCloser, error) {
	cfg := serialport.Config{Device: b.Device, Baud: b.Baud}
	log := c.log.With("bus", b.Name, "device", b.Device)
	return serialport.NewReopener(serialport.ReopenConfig{
		Open: func() (serialport.Port, error) { return serialport.Open(cfg) },
		OnState: func(up bool, err error) {
			c.setPort("bus/"+b.Name, up, err)
			if up {
				log.Info("serial port open")
			} else {
				log.Warn("serial port unavailable; retrying", "err", err)
			}
		},
	}), nil
}

func (c *Controller) busConfig(b config.Bus) osdp.BusConfig {
	bc := osdp.BusConfig{Name: b.Name, Baud: b.Baud, PollInterval: b.PollInterval, ReplyTimeout: b.ReplyTimeout, Log: c.log,
		IdleGap: min(cmp.Or(b.IdlePollGap, 10*time.Millisecond), cmp.Or(b.PollInterval, 50*time.Millisecond))}
	for _, p := range b.PDs {
		bc.PDs = append(bc.PDs, osdp.PDConfig{Addr: byte(*p.Address), Name: p.Name, SCBK: p.Key(),
			Install: p.Install, Checksum: p.Checksum, StatusSCS15Quirk: p.LibosdpStatusQuirk})
	}
	return bc
}

func (c *Controller) loop(bus string) *osdp.Loop {
	if b := c.buses[bus]; b != nil {
		return b.loop.Load()
	}
	return nil
}

// Run drives every bus and door until ctx ends. It returns an error if a
// bus cannot be started or its line fails for good.
func (c *Controller) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.ctxMu.Lock()
	c.ctx = ctx
	c.ctxMu.Unlock()
	c.record(ctx, Event{Kind: KindSystemStart})
	var (
		wg   sync.WaitGroup
		errs = make(chan error, len(c.cfg.Buses))
	)
	fail := func(err error) error {
		cancel()
		wg.Wait()
		return err
	}
	for _, b := range c.cfg.Buses {
		port, err := c.open(b)
		if err != nil {
			return fail(fmt.Errorf("controller: bus %s: %w", b.Name, err))
		}
		if _, reopens := port.(*serialport.Reopener); !reopens {
			c.setPort("bus/"+b.Name, true, nil) // a port handed in open (tests)
		}
		sent := c.metrics.framesSent
		bus := b.Name
		loop, err := osdp.NewLoop(osdp.LoopConfig{Bus: c.busConfig(b), Port: port, Now: c.now,
			OnSend: func(code byte) { sent.WithLabelValues(bus, osdp.CodeName(code, false)).Inc() }})
		if err != nil {
			port.Close()
			return fail(fmt.Errorf("controller: bus %s: %w", b.Name, err))
		}
		br := c.buses[b.Name]
		br.loop.Store(loop)
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := loop.Run(ctx); err != nil {
				errs <- err
				cancel()
			}
		}()
		go func() {
			defer wg.Done()
			c.busEvents(ctx, br, loop)
		}()
	}
	// A GPIO lock is there from now on, as a PD's is once it answers: the
	// door asserts its commanded state on the line (locked, or the stored
	// emergency unlock).
	for _, d := range c.doors {
		if _, ok := d.lock.(*gpioLock); ok {
			d.mu.Lock()
			c.act(ctx, d, d.sm.LockOnline(c.now(), true))
			d.mu.Unlock()
		}
	}
	for _, in := range c.gpioInputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.followLine(ctx, in)
		}()
	}
	for _, cv := range c.cfg.Converters {
		port := c.openConverter(cv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.runConverter(ctx, cv, port)
		}()
	}
	if c.fingers != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.fingers.Run(ctx); err != nil {
				c.log.Error("fingerprint modules stopped", "err", err)
			}
		}()
	}
	if c.snaps != nil {
		wg.Go(func() { c.snaps.run(ctx) })
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		c.supervise(ctx)
	}()
	go func() {
		defer wg.Done()
		if err := c.alarms.Follow(ctx, c.store); err != nil {
			c.log.Error("open alarms not followed", "err", err)
		}
	}()
	c.startOnce.Do(func() { close(c.started) })
	wg.Wait()
	c.work.Wait()
	// A fresh context: the stop event must be written even though ctx ended.
	c.record(context.Background(), Event{Kind: KindSystemStop})
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}

// runCtx is Run's context, for callbacks that arrive on other goroutines.
func (c *Controller) runCtx() context.Context {
	c.ctxMu.Lock()
	defer c.ctxMu.Unlock()
	if c.ctx == nil {
		return context.Background()
	}
	return c.ctx
}

// supervise runs door timers often and reloads schedules now and then.
func (c *Controller) supervise(ctx context.Context) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	reload := time.NewTicker(time.Minute)
	defer reload.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	c.superBeat.mark(time.Now())
	c.pruneEvents(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			c.superBeat.mark(time.Now())
			c.tick(ctx)
		case <-c.reload:
			if err := c.ReloadSchedules(); err != nil {
				c.log.Error("reloading schedules", "err", err)
			}
		case <-reload.C:
			if err := c.ReloadSchedules(); err != nil {
				c.log.Error("reloading schedules", "err", err)
			}
			c.retain(c.now())
		case <-prune.C:
			c.pruneEvents(ctx)
		}
	}
}

// pruneEvents applies the event log's retention.
func (c *Controller) pruneEvents(ctx context.Context) {
	r := eventlog.Retention{MaxAge: c.cfg.Events.MaxAge, MaxCount: c.cfg.Events.MaxCount}
	if c.cfg.Estate.Role == "gate" {
		// Nothing leaves this gate before it is at the office.
		up, err := c.store.UploadCursor(store.CursorEvents)
		if err != nil {
			c.log.Error("event retention: reading the upload cursor", "err", err)
			return
		}
		r.KeepAfter = &up
	}
	n, err := c.store.Prune(ctx, r, c.now())
	if err != nil {
		c.log.Error("event retention", "err", err)
		return
	}
	if n > 0 {
		c.log.Info("old events removed by retention", "count", n)
	}
}

// record appends an event that gates no action, and feeds the risk watcher.
// What it records has happened, so it is written even when ctx has ended
// (a relock at a stop): ctx bounds nothing here, the log's own closing does.
func (c *Controller) record(ctx context.Context, e Event) {
	start := time.Now()
	ev, err := c.store.Append(context.WithoutCancel(ctx), c.stamp(e))
	c.metrics.timeAppend(start)
	if err != nil {
		c.log.Error("event not recorded", "kind", e.Kind, "err", err)
		return
	}
	c.observe(ctx, ev)
}

// observe records the alerts an event raises.
func (c *Controller) observe(ctx context.Context, ev Event) {
	c.alertsMu.Lock()
	alerts := c.alerts.Observe(ev)
	c.alertsMu.Unlock()
	for _, a := range alerts {
		c.metrics.alertsTotal.WithLabelValues(a.Kind).Inc()
		c.log.Warn("alert", "kind", a.Kind, "door", a.Door, "pd", a.PD, "detail", a.Detail)
		if _, err := c.store.Append(ctx, c.stamp(a)); err != nil {
			c.log.Error("alert not recorded", "kind", a.Kind, "err", err)
		}
	}
}

func (c *Controller) stamp(e Event) Event {
	if e.Time.IsZero() {
		e.Time = c.now().UTC()
	}
	return e
}

// busEvents is a bus's event goroutine: it handles what the bus's PDs
// report and the answers to commands, and retries the input status
// requests that are due. It owns the bus's reassembler and its PDs'
// pdState and fire inputs.
func (c *Controller) busEvents(ctx context.Context, b *busRT, loop *osdp.Loop) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	events := loop.Events()
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return
			}
			c.handle(ctx, b.name, loop, e)
		case <-tick.C:
			b.beat.mark(time.Now())
			c.retryInputs(ctx, b, loop, c.now())
		}
	}
}

func (c *Controller) handle(ctx context.Context, bus string, loop *osdp.Loop, e osdp.Event) {
	k := pdKey{bus, e.Addr}
	pd := c.pd(k)
	if pd == nil {
		return // the loop reports only configured PDs
	}
	name := pd.name
	switch e.Kind {
	case osdp.EventOnline:
		pd.secure.Store(e.Secure)
		pd.online.Store(true)
		detail := "plaintext"
		if e.Secure {
			detail = "secure channel"
		}
		c.metrics.pdOnline.WithLabelValues(name).Set(1)
		c.record(ctx, Event{Kind: KindPDOnline, PD: name, Detail: detail})
		c.lockOnline(ctx, k, true)
		// Learn the inputs (door contacts, fire alarm) as they are now.
		c.inputsOnline(k)
		c.askInputs(ctx, k, loop)
	case osdp.EventOffline:
		pd.online.Store(false)
		pd.secure.Store(false)
		c.metrics.pdOnline.WithLabelValues(name).Set(0)
		c.record(ctx, Event{Kind: KindPDOffline, PD: name, Detail: errText(e.Err), Alarm: true})
		c.lockOnline(ctx, k, false)
	case osdp.EventSecureChannel:
		detail := "new key installed"
		if e.Err != nil {
			detail = e.Err.Error()
		}
		c.record(ctx, Event{Kind: KindPDSecure, PD: name, Detail: detail, Alarm: e.Err != nil})
	case osdp.EventResult:
		if c.statusResult(k, e) {
			return
		}
		b := c.buses[bus]
		b.reqMu.Lock()
		w, ok := b.lockReq[e.Req]
		delete(b.lockReq, e.Req)
		b.reqMu.Unlock()
		if ok {
			c.lockDone(ctx, name, w, e.Err)
		}
	case osdp.EventReport:
		c.report(ctx, k, e.Msg)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (c *Controller) report(ctx context.Context, k pdKey, m osdp.Message) {
	switch m := m.(type) {
	case osdp.Raw:
		c.cardRead(ctx, pdSource(k), m)
	case osdp.Keypad:
		c.keypad(ctx, k, m)
	case osdp.LStatR:
		c.localStatus(ctx, k, m)
	case osdp.IStatR:
		c.inputsArrived(k)
		c.inputs(ctx, k, m.Inputs)
	case osdp.MfgRep:
		c.mfgReport(ctx, k, m)
	}
}

// PDStatus reports one configured PD.
type PDStatus struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"` // what a person reads: the config's display_name, or the name
	Bus         string `json:"bus"`
	Addr        int    `json:"address"`
	Online      bool   `json:"online"`
	Secure      bool   `json:"secure"`
}

// PDs reports every configured PD, in configuration order.
func (c *Controller) PDs() []PDStatus {
	var out []PDStatus
	for _, b := range c.cfg.Buses {
		for _, p := range b.PDs {
			rt := c.pd(pdKey{b.Name, byte(*p.Address)})
			out = append(out, PDStatus{p.Name, cmp.Or(p.DisplayName, p.Name), b.Name, *p.Address, rt.online.Load(), rt.secure.Load()})
		}
	}
	return out
}
