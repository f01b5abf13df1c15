package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"time"
)

// Liveness: the service watchdog (systemd's WatchdogSec, fed by menweid)
// must be fed only while the goroutines a door depends on still turn, so
// that a stuck one gets the process restarted instead of a gate that looks
// up and opens nothing. Those are: each bus's OSDP loop (it answers a call
// on its own goroutine), each bus's event goroutine and the supervisor
// (door timers: a stuck one never relocks), which beat on their tickers,
// and the event writer (nothing opens before its event is on disk), which
// answers a ping.

// beatStale is how long a beating goroutine may go without a beat before
// it is taken for stuck: many of its ticks (100 ms and 50 ms), and longer
// than any one step it takes (a durable append, an OSDP exchange).
const beatStale = 10 * time.Second

// beat is the last time a goroutine went round its loop (Unix nanoseconds;
// 0 = not started yet).
type beat struct{ at atomic.Int64 }

func (b *beat) mark(now time.Time) { b.at.Store(now.UnixNano()) }

// Started is closed once Run has started every bus loop, converter,
// fingerprint manager and the supervisor: what menweid waits for before it
// tells systemd it is ready.
func (c *Controller) Started() <-chan struct{} { return c.started }

// Alive checks that the goroutines the doors depend on still turn: every
// bus loop answers within ctx, every bus event goroutine and the
// supervisor beat within beatStale, and the event writer answers a ping.
// The error names each part that does not. Alive before Started is an
// error too.
func (c *Controller) Alive(ctx context.Context) error {
	select {
	case <-c.started:
	default:
		return errors.New("controller not started")
	}
	var errs []error
	now := time.Now()
	stale := func(what string, b *beat) {
		at := b.at.Load()
		if d := now.Sub(time.Unix(0, at)); at == 0 || d > c.beatStale {
			errs = append(errs, fmt.Errorf("%s: no turn for %v", what, d.Round(time.Millisecond)))
		}
	}
	names := make([]string, 0, len(c.buses))
	for name := range c.buses {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		b := c.buses[name]
		loop := b.loop.Load()
		if loop == nil {
			errs = append(errs, fmt.Errorf("bus %s: loop not running", name))
			continue
		}
		if _, err := loop.Status(ctx); err != nil {
			errs = append(errs, fmt.Errorf("bus %s: loop does not answer: %w", name, err))
		}
		stale("bus "+name+": event goroutine", &b.beat)
	}
	stale("supervisor (door timers)", &c.superBeat)
	if err := c.store.Ping(ctx); err != nil {
		errs = append(errs, fmt.Errorf("event writer does not answer: %w", err))
	}
	return errors.Join(errs...)
}
