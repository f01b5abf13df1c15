package controller

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"menwei/controller/config"
	"menwei/controller/door"
	"menwei/devices/gpio"
)

// A door's lock is driven through a lockDriver: an output of an OSDP PD
// (pdLock) or a GPIO line of the box (gpioLock). act and driveLock carry
// out the state machine's lock actions through it the same way for both,
// so the rules of a release hold for both: the grant is durable before
// drive is called (conclude, GuardOpen), door.unlocked is recorded only by
// lockDone once the lock confirmed, and a lock that fails records
// door.lock_failed and leaves the door shut.
type lockDriver interface {
	// drive carries out a lock action (Unlock, UnlockHold, Lock); called
	// with the door's mu held. The result goes to lockDone, at once or when
	// the lock answers; w.failed is set before drive returns if the action
	// could not be sent at all.
	drive(ctx context.Context, c *Controller, a door.Action, w *lockWait)
	// pd is the PD named in the door's lock events ("" for a GPIO line).
	pd() string
}

// gpioLock is a lock on a GPIO line of the box: the line is active while
// the lock is released. Setting the line is the confirmation (there is no
// terminal to acknowledge): a release is confirmed once Set returned, and
// a failed Set is door.lock_failed. A timed release (Unlock) also arms a
// timer of its own that drops the line after its Duration, as a PD's
// TempOnThenOff does in the PD, so a supervisor that stalls cannot leave
// the door released; the state machine's Lock still follows at the end.
type gpioLock struct {
	line config.GPIO
	out  gpio.Output
	log  *slog.Logger

	// mu guards the line's level against the safety timer, which fires
	// without the door's mu; gen tells the timer whether the action it
	// was armed for is still the last one.
	mu     sync.Mutex
	timer  *time.Timer
	gen    uint64
	closed bool
}

var _ lockDriver = (*gpioLock)(nil)

func (g *gpioLock) pd() string { return "" }

func (g *gpioLock) drive(ctx context.Context, c *Controller, a door.Action, w *lockWait) {
	active := a.Kind != door.Lock
	g.mu.Lock()
	g.gen++
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
	err := g.out.Set(active)
	if err == nil && a.Kind == door.Unlock {
		gen := g.gen
		g.timer = time.AfterFunc(a.Duration, func() { g.expire(gen) })
	}
	g.mu.Unlock()
	if err != nil {
		w.failed = true
	}
	c.lockDone(ctx, "", w, err)
}

// expire ends a timed release on the line, unless another action came
// since it was armed.
func (g *gpioLock) expire(gen uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gen != gen || g.closed {
		return
	}
	g.timer = nil
	if err := g.out.Set(false); err != nil {
		g.log.Error("lock line not dropped at the end of its release", "line", g.line.String(), "err", err)
	}
}

func (g *gpioLock) close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
	return g.out.Close()
}

// gpioInput is an input line and what it reports to.
type gpioInput struct {
	in    gpio.Input
	what  string                                 // "door east-gate contact", for logs
	apply func(ctx context.Context, active bool) // run on the line's goroutine
}

func gpioLine(g *config.GPIO, input bool) gpio.Line {
	l := gpio.Line{Chip: g.Chip, Offset: g.Offset(), ActiveLow: g.ActiveLow}
	if input {
		l.Debounce = g.DebouncePeriod()
	}
	return l
}

// openLines opens the GPIO lines of the configuration: every door's lock,
// contact and REX line and the fire inputs. On an error the lines opened so
// far are closed again: the controller is not built half-wired.
func (c *Controller) openLines() (err error) {
	defer func() {
		if err != nil {
			c.closeLines()
		}
	}()
	for _, d := range c.doors {
		dc := d.cfg
		if g := dc.Lock.GPIO; g != nil {
			out, err := c.openGPIO.OpenOutput(gpioLine(g, false))
			if err != nil {
				return fmt.Errorf("controller: door %s: lock: %w", dc.Name, err)
			}
			gl := &gpioLock{line: *g, out: out, log: c.log}
			d.lock = gl
			c.gpioLocks = append(c.gpioLocks, gl)
		}
		for _, x := range []struct {
			role string
			in   *config.Input
			ref  *inputRef
		}{{"contact", dc.Contact, d.contact}, {"rex", dc.REX, d.rex}} {
			if x.in == nil || x.in.GPIO == nil {
				continue
			}
			in, err := c.openGPIO.OpenInput(gpioLine(x.in.GPIO, true))
			if err != nil {
				return fmt.Errorf("controller: door %s: %s: %w", dc.Name, x.role, err)
			}
			ref := x.ref
			c.gpioInputs = append(c.gpioInputs, gpioInput{in: in, what: "door " + dc.Name + " " + x.role,
				apply: func(ctx context.Context, active bool) {
					d.mu.Lock()
					defer d.mu.Unlock()
					c.doorInput(ctx, d, ref, active)
				}})
		}
	}
	for i, f := range c.cfg.Emergency.FireInputs {
		if f.GPIO == nil {
			continue
		}
		in, err := c.openGPIO.OpenInput(gpioLine(f.GPIO, true))
		if err != nil {
			return fmt.Errorf("controller: fire input %d: %w", i, err)
		}
		was := false // owned by the line's goroutine
		detail := "fire alarm input " + f.GPIO.String()
		c.gpioInputs = append(c.gpioInputs, gpioInput{in: in, what: detail,
			apply: func(ctx context.Context, active bool) { c.fireInput(ctx, &was, active, detail) }})
	}
	return nil
}

// closeLines releases every GPIO line. Idempotent.
func (c *Controller) closeLines() {
	for _, g := range c.gpioLocks {
		if err := g.close(); err != nil {
			c.log.Warn("closing a lock line", "line", g.line.String(), "err", err)
		}
	}
	for _, in := range c.gpioInputs {
		if err := in.in.Close(); err != nil {
			c.log.Warn("closing an input line", "input", in.what, "err", err)
		}
	}
}

// followLine is an input line's goroutine while Run runs: it reports the
// level the line had when opened, then every change, to the same handlers
// as a PD's inputs.
func (c *Controller) followLine(ctx context.Context, in gpioInput) {
	in.apply(ctx, in.in.Initial())
	for {
		select {
		case <-ctx.Done():
			return
		case v, ok := <-in.in.Changes():
			if !ok {
				if err := in.in.Err(); err != nil {
					// Only logged: an event kind of its own needs the pages'
					// catalog and the alarm book (see docs/config.md).
					c.log.Error("GPIO input line failed: its changes are no longer seen", "input", in.what, "err", err)
				}
				return
			}
			in.apply(ctx, v)
		}
	}
}
