package serialport

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// ReopenConfig configures a Reopener. Zero values are the defaults.
type ReopenConfig struct {
	// Open opens the device. The port it returns is ignored when err is
	// non-nil, so `return serialport.Open(cfg)` is fine. It should not
	// block for long: Close waits for it. nil means every open fails.
	Open func() (Port, error)

	// MinBackoff and MaxBackoff bound the delay between attempts: the
	// delay before attempt n (from 0) is Rand()*min(MaxBackoff,
	// MinBackoff*2^n), and n goes back to 0 once an open succeeds. Zero
	// means 100 ms and 5 s; a MaxBackoff below MinBackoff is raised to it.
	MinBackoff, MaxBackoff time.Duration

	// Rand returns a number in [0, 1) for the jitter. nil means
	// math/rand/v2.Float64.
	Rand func() float64

	// Sleep waits for d or until ctx is done, returning ctx.Err() then.
	// nil means a real timer. Tests inject it to see the delays.
	Sleep func(ctx context.Context, d time.Duration) error

	// OnState, if set, is called when the port comes up (err nil) and when
	// it goes down (err says why). If the first open fails it is called
	// once with up false, so the owner can log a device missing at start;
	// later failed attempts are not reported. Calls come one at a time
	// from the Reopener's goroutine; OnState must not call Close.
	OnState func(up bool, err error)
}

func (c ReopenConfig) withDefaults() ReopenConfig {
	if c.Open == nil {
		c.Open = func() (Port, error) { return nil, errors.New("serialport: reopen: no Open func") }
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Second
	}
	c.MaxBackoff = max(c.MaxBackoff, c.MinBackoff)
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.OnState == nil {
		c.OnState = func(bool, error) {}
	}
	return c
}

// sleep waits on a real timer.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errReopening is what Write returns while there is no port.
var errReopening = fmt.Errorf("serialport: write: reopening: %w", ErrGone)

// Reopener is a Port that survives its device going away. Read and Write go
// to the current underlying port; when either fails, the Reopener closes
// that port and opens a new one, backing off with jitter between failed
// attempts. Meanwhile Read blocks and Write fails at once with an error
// matching ErrGone, so a poll loop counts a missed reply and carries on.
//
// Read and Write may be called concurrently with each other and with
// Close. The Reopener starts its goroutine in NewReopener and Close stops
// it.
type Reopener struct {
	cfg    ReopenConfig
	ctx    context.Context // done once Close is called
	cancel context.CancelFunc
	failed chan failure  // hands a failed port to run; holds at most one
	exited chan struct{} // closed when run returns

	mu     sync.Mutex
	port   Port          // nil while reopening and after Close
	gen    uint64        // counts ports installed, to ignore a stale port's failure
	up     chan struct{} // closed when a port is installed, replaced when it fails
	closed bool
}

var _ Port = (*Reopener)(nil)

// failure is a port taken out of service and the error that did it.
type failure struct {
	port Port
	err  error
}

// NewReopener starts opening the device in the background and returns at
// once. Call Close to stop it.
func NewReopener(cfg ReopenConfig) *Reopener {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Reopener{
		cfg:    cfg.withDefaults(),
		ctx:    ctx,
		cancel: cancel,
		failed: make(chan failure, 1),
		exited: make(chan struct{}),
		up:     make(chan struct{}),
	}
	go r.run()
	return r
}

// Read reads from the current port, waiting for one while the device is
// away. After Close it returns ErrClosed.
func (r *Reopener) Read(p []byte) (int, error) {
	for {
		port, gen, err := r.acquire(true)
		if err != nil {
			return 0, err
		}
		n, err := port.Read(p)
		if err != nil {
			r.fail(gen, err)
		}
		if n > 0 || len(p) == 0 {
			return n, nil
		}
	}
}

// Write writes to the current port. While the device is away, and when the
// write fails, it returns an error matching ErrGone without waiting. After
// Close it returns ErrClosed.
func (r *Reopener) Write(p []byte) (int, error) {
	port, gen, err := r.acquire(false)
	if err != nil {
		return 0, err
	}
	n, err := port.Write(p)
	if err == nil {
		return n, nil
	}
	r.fail(gen, err)
	if r.ctx.Err() != nil {
		return n, ErrClosed
	}
	if !errors.Is(err, ErrGone) {
		err = fmt.Errorf("serialport: write: %w: %w", ErrGone, err)
	}
	return n, err
}

// Close stops reopening, closes the current port, wakes blocked readers
// with ErrClosed and waits for the Reopener's goroutine to exit. It is
// idempotent; only the first call can return an error, the current port's.
func (r *Reopener) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.exited
		return nil
	}
	r.closed = true
	port := r.port
	r.port = nil
	r.mu.Unlock()

	r.cancel()
	var err error
	if port != nil {
		err = port.Close()
	}
	<-r.exited
	return err
}

// Ready returns a channel that is closed once a port is open. While the
// device is away it is open, and a writer waits on it rather than writing
// into a port that fails at once. Ask again after each failure: every
// outage has a new channel.
func (r *Reopener) Ready() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.up
}

// acquire returns the current port and its generation. With wait set it
// waits for one while the device is away; without, it fails at once.
func (r *Reopener) acquire(wait bool) (Port, uint64, error) {
	for {
		r.mu.Lock()
		port, gen, up, closed := r.port, r.gen, r.up, r.closed
		r.mu.Unlock()
		switch {
		case closed:
			return nil, 0, ErrClosed
		case port != nil:
			return port, gen, nil
		case !wait:
			return nil, 0, errReopening
		}
		select {
		case <-up:
		case <-r.ctx.Done():
		}
	}
}

// fail takes port generation gen out of service and hands it to run, unless
// it is already out (a reader and a writer can both fail on it) or the
// Reopener is closed.
func (r *Reopener) fail(gen uint64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.port == nil || gen != r.gen {
		return
	}
	r.failed <- failure{port: r.port, err: err} // never blocks: run took the last one before installing this port
	r.port = nil
	r.up = make(chan struct{})
}

// install makes port current and wakes waiting readers. It reports false
// if the Reopener was closed meanwhile; the caller then closes port.
func (r *Reopener) install(port Port) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.port = port
	r.gen++
	close(r.up)
	return true
}

// run opens the device, waits for the port to fail, closes it and opens
// again, until Close.
func (r *Reopener) run() {
	defer close(r.exited)
	b := backoff{min: r.cfg.MinBackoff, max: r.cfg.MaxBackoff, rand: r.cfg.Rand}
	reported := false
	for {
		port, err := r.cfg.Open()
		if err != nil {
			if !reported {
				r.cfg.OnState(false, err)
				reported = true
			}
			if !r.pause(b.next()) {
				return
			}
			continue
		}
		b.reset()
		if !r.install(port) {
			port.Close()
			return
		}
		r.cfg.OnState(true, nil)
		reported = true

		var f failure
		select {
		case f = <-r.failed:
		case <-r.ctx.Done():
			// Close closed the current port, unless a failure beat it.
			select {
			case f = <-r.failed:
				f.port.Close()
			default:
			}
			return
		}
		f.port.Close()
		r.cfg.OnState(false, f.err)
		// Wait before reopening too, so a port that opens but fails at
		// once is not reopened in a tight loop.
		if !r.pause(b.next()) {
			return
		}
	}
}

// pause sleeps for d and reports whether to carry on.
func (r *Reopener) pause(d time.Duration) bool {
	return r.cfg.Sleep(r.ctx, d) == nil && r.ctx.Err() == nil
}
