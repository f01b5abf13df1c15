package fingers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of the package. Failures of the modules wrap the driver's errors
// (fpm.ErrBadImage, fpm.ErrMergeFailed, fpm.ErrTimeout...).
var (
	ErrUnknownModule   = errors.New("fingers: unknown module")
	ErrOffline         = errors.New("fingers: module offline")
	ErrNotRunning      = errors.New("fingers: manager not running")
	ErrFingerTimeout   = errors.New("fingers: finger not placed or lifted in time")
	ErrAlreadyEnrolled = errors.New("fingers: finger already enrolled")
	ErrFull            = errors.New("fingers: no free slot")
	ErrModel           = errors.New("fingers: module model differs")
)

// TemplateStore is the controller's persistent store of templates (Badger
// behind it); the package keeps no files. Its methods are called from
// several goroutines.
type TemplateStore interface {
	// Templates returns every enrolled template.
	Templates() ([]Template, error)
	// PutTemplate stores t durably before it returns: t is pushed to the
	// modules only then.
	PutTemplate(t Template) error
	// DeleteTemplates deletes every template of identity and returns the
	// slots it freed.
	DeleteTemplates(identity string) ([]int, error)
}

// Template is one enrolled finger.
type Template struct {
	Slot     int      // library page, the same on every module holding it
	Identity string   // whose finger: the controller's identity id
	Model    string   // model tag of the module that made it, e.g. "r307"
	Data     []byte   // the template as the module uploaded it; never logged
	Modules  []string // the modules that must hold it; empty means every module of its Model
}

// ModuleConfig describes one fingerprint module.
type ModuleConfig struct {
	// Name identifies the module to the controller and in callbacks.
	Name string
	// Open opens the serial line to the module: serialport.Open for a
	// UART, a pty in tests. It is called again after the module went away;
	// the Manager closes what it returns, and closing it must wake a
	// blocked Read (fpm.Config.Port).
	Open func() (io.ReadWriteCloser, error)
	// Model tags the templates the module makes; only modules of the same
	// model hold them. Empty is a model like any other.
	Model string
	// PollInterval is the wait between two GenImg polls; 0 means 250 ms.
	PollInterval time.Duration
	// Slots is the library capacity; 0 means 300. A handshake reporting a
	// smaller library lowers it.
	Slots int
	// Timeout bounds the wait for each reply of the module; 0 means 2 s. A
	// reply that does not come takes the module offline.
	Timeout time.Duration
	// Password is verified at each handshake; 0 is the factory password.
	Password uint32
}

// Prompt is what a resident enrolling at a module should do next.
type Prompt int

// The enrolment prompts, in order.
const (
	PromptPlace      Prompt = iota + 1 // put the finger on the sensor
	PromptLift                         // take it off
	PromptPlaceAgain                   // put the same finger on again
)

func (p Prompt) String() string {
	switch p {
	case PromptPlace:
		return "place finger"
	case PromptLift:
		return "lift finger"
	case PromptPlaceAgain:
		return "place the same finger again"
	}
	return fmt.Sprintf("prompt %d", int(p))
}

// Config configures a Manager. The zero value of every field but Modules
// and Store is a documented default; nil callbacks do nothing.
type Config struct {
	Modules []ModuleConfig
	Store   TemplateStore

	// OnFinger reports a finger found in module's library at slot.
	OnFinger func(module string, slot, score int)
	// OnUnknown reports a finger the module does not know.
	OnUnknown func(module string)
	// OnBadImage reports a touch too poor to identify.
	OnBadImage func(module string)
	// OnState reports a module coming online (err nil) and going offline
	// (err says why): once per change, and once at start if the first
	// attempt fails.
	OnState func(module string, online bool, err error)
	// OnPrompt tells the resident enrolling at module what to do next.
	OnPrompt func(module string, p Prompt)

	// ReconcileEvery is the period of the reconcile of each online module;
	// 0 means 10 minutes.
	ReconcileEvery time.Duration
	// EnrollTimeout bounds each wait of an enrolment for the finger to be
	// placed or lifted; 0 means 30 s.
	EnrollTimeout time.Duration
	// MinBackoff and MaxBackoff bound the delay between attempts to bring
	// an offline module back: attempt n waits Rand()*min(MaxBackoff,
	// MinBackoff*2^n), and n starts again at 0 once it is back. 0 means
	// 1 s and 60 s; a MaxBackoff below MinBackoff is raised to it.
	MinBackoff, MaxBackoff time.Duration

	// Log receives events of the modules; nil discards them.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// After is the timer of every wait, the driver's timeouts included;
	// nil means time.After.
	After func(time.Duration) <-chan time.Time
	// Rand returns a number in [0, 1) for the back-off jitter; nil means
	// math/rand/v2.Float64.
	Rand func() float64
}

const (
	defaultPollInterval   = 250 * time.Millisecond
	defaultSlots          = 300
	maxSlots              = 1024 // what four ReadIndexTable pages cover
	defaultReconcileEvery = 10 * time.Minute
	defaultEnrollTimeout  = 30 * time.Second
	defaultMinBackoff     = time.Second
	defaultMaxBackoff     = time.Minute
)

func (c *Config) validate() error {
	if c.Store == nil {
		return errors.New("fingers: config: no template store")
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"reconcile period", c.ReconcileEvery}, {"enrol timeout", c.EnrollTimeout},
		{"min backoff", c.MinBackoff}, {"max backoff", c.MaxBackoff}} {
		if d.d < 0 {
			return fmt.Errorf("fingers: config: %s %v: negative", d.name, d.d)
		}
	}
	seen := map[string]bool{}
	for i, mc := range c.Modules {
		switch {
		case mc.Name == "":
			return fmt.Errorf("fingers: config: module %d: no name", i)
		case seen[mc.Name]:
			return fmt.Errorf("fingers: config: module %q: named twice", mc.Name)
		case mc.Open == nil:
			return fmt.Errorf("fingers: config: module %q: no Open", mc.Name)
		case mc.PollInterval < 0 || mc.Timeout < 0:
			return fmt.Errorf("fingers: config: module %q: negative poll interval or timeout", mc.Name)
		case mc.Slots < 0 || mc.Slots > maxSlots:
			return fmt.Errorf("fingers: config: module %q: %d slots out of range 0..%d", mc.Name, mc.Slots, maxSlots)
		}
		seen[mc.Name] = true
	}
	return nil
}

func (c *Config) setDefaults() {
	for i := range c.Modules {
		mc := &c.Modules[i]
		if mc.PollInterval == 0 {
			mc.PollInterval = defaultPollInterval
		}
		if mc.Slots == 0 {
			mc.Slots = defaultSlots
		}
	}
	if c.OnFinger == nil {
		c.OnFinger = func(string, int, int) {}
	}
	if c.OnUnknown == nil {
		c.OnUnknown = func(string) {}
	}
	if c.OnBadImage == nil {
		c.OnBadImage = func(string) {}
	}
	if c.OnState == nil {
		c.OnState = func(string, bool, error) {}
	}
	if c.OnPrompt == nil {
		c.OnPrompt = func(string, Prompt) {}
	}
	c.ReconcileEvery = orDefault(c.ReconcileEvery, defaultReconcileEvery)
	c.EnrollTimeout = orDefault(c.EnrollTimeout, defaultEnrollTimeout)
	c.MinBackoff = orDefault(c.MinBackoff, defaultMinBackoff)
	c.MaxBackoff = max(orDefault(c.MaxBackoff, defaultMaxBackoff), c.MinBackoff)
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.After == nil {
		c.After = time.After
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// Manager runs the fingerprint modules. Its methods may be called from any
// goroutine; Enroll, Remove and Reconcile wait for a module's goroutine,
// so until Run starts them they wait (or their ctx ends), and once Run has
// returned they fail with ErrNotRunning.
type Manager struct {
	cfg    Config
	log    *slog.Logger
	mods   []*module
	byName map[string]*module

	// write serialises the changes to the store and their pushes: Enroll
	// picking a slot and pushing it, Remove deleting slots everywhere. So a
	// slot freed by Remove is gone from every online module before
	// Enroll can give it to someone else.
	write sync.Mutex

	runOnce sync.Once
	done    chan struct{} // closed when Run returns
}

// ModuleStatus describes one module.
type ModuleStatus struct {
	Name          string
	Online        bool
	Err           error     // the last failure, nil if none since it came online
	Templates     int       // templates it holds, as of its last reconcile and changes since
	Unverified    int       // of those, not yet compared with the store's since it came online
	LastReconcile time.Time // zero before the first
}

// New checks cfg and returns a Manager. Call Run to start it.
func New(cfg Config) (*Manager, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg.Modules = slices.Clone(cfg.Modules)
	cfg.setDefaults()
	m := &Manager{
		cfg:    cfg,
		log:    cfg.Log,
		byName: map[string]*module{},
		done:   make(chan struct{}),
	}
	for _, mc := range cfg.Modules {
		mod := &module{
			cfg:  mc,
			log:  cfg.Log.With("fpm", mc.Name),
			reqs: make(chan request),
		}
		mod.status.Name = mc.Name
		m.mods = append(m.mods, mod)
		m.byName[mc.Name] = mod
	}
	return m, nil
}

// Run drives every module, each in a goroutine of its own, until ctx ends;
// then it stops them, closes their ports and returns nil once they are
// gone. It can be called once.
func (m *Manager) Run(ctx context.Context) error {
	first := false
	m.runOnce.Do(func() { first = true })
	if !first {
		return errors.New("fingers: Run called twice")
	}
	defer close(m.done)
	var wg sync.WaitGroup
	for _, mod := range m.mods {
		wg.Go(func() { m.runModule(ctx, mod) })
	}
	wg.Wait()
	return nil
}

// Resync asks every module to reconcile with the store before its next
// poll, without waiting: for templates the store got from elsewhere than
// an enrolment here (the estate's office). It never blocks, so the
// store's change feed may call it.
func (m *Manager) Resync() {
	for _, mod := range m.mods {
		mod.resync.Store(true)
	}
}

// Status reports every module, in configuration order.
func (m *Manager) Status() []ModuleStatus {
	out := make([]ModuleStatus, 0, len(m.mods))
	for _, mod := range m.mods {
		out = append(out, mod.snapshot())
	}
	return out
}

// module is one module's configuration, the requests into its goroutine
// and its status.
type module struct {
	cfg  ModuleConfig
	log  *slog.Logger
	reqs chan request
	// resync asks the module's goroutine to reconcile before its next
	// poll (Manager.Resync).
	resync atomic.Bool

	mu     sync.Mutex
	status ModuleStatus
}

func (mod *module) snapshot() ModuleStatus {
	mod.mu.Lock()
	defer mod.mu.Unlock()
	return mod.status
}

func (mod *module) update(f func(*ModuleStatus)) {
	mod.mu.Lock()
	defer mod.mu.Unlock()
	f(&mod.status)
}

// request is work for a module's goroutine: fn runs with the session of
// the online module, and its result goes to done.
type request struct {
	ctx  context.Context
	fn   func(ctx context.Context, s *session) error
	done chan error // buffered: the goroutine never waits for the caller
}

// call runs fn in mod's goroutine between two polls and returns its
// error; ErrOffline when the module is not online. Before Run it waits
// for Run; after, it fails with ErrNotRunning.
func (m *Manager) call(ctx context.Context, mod *module, fn func(context.Context, *session) error) error {
	r := request{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case mod.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-m.done:
		return ErrNotRunning
	}
	return <-r.done // fn ends soon after ctx does: it runs under ctx
}

// module returns the module named name.
func (m *Manager) module(name string) (*module, error) {
	mod, ok := m.byName[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownModule, name)
	}
	return mod, nil
}

// holds reports whether mod must hold t.
func holds(t Template, mod ModuleConfig) bool {
	return t.Model == mod.Model && (len(t.Modules) == 0 || slices.Contains(t.Modules, mod.Name))
}
