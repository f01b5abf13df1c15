package fingers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"menwei/devices/fpm"
)

// session is an online module, owned by its goroutine: the driver and what
// the goroutine knows of the module.
type session struct {
	mod      *module
	drv      *fpm.Module
	slots    int          // library capacity
	held     map[int]bool // used library pages, as of the last reconcile and changes since
	waitLift bool         // a finger was read: identify nothing until it is lifted
	verify   bool         // the next reconcile marks every template kept unverified
	// unverified are the templates, by slot, present on the module but not
	// yet compared with the store's since it came online or a change failed.
	unverified map[int]Template
	verifyFrom int   // the slot from which verifyNext looks for one to verify
	resync     bool  // a push or delete failed: reconcile before the next poll
	down       error // why the module stopped answering; the session is over
}

// check records a failure of the link in err: a reply that did not come, a
// port that failed, or a module asking for the password again (it was
// power-cycled: handshake and verify it anew). A module that otherwise
// answered (a *fpm.ConfirmError), a call given up (its context ended) and
// a refused argument leave the session up. It returns err.
func (s *session) check(err error) error {
	var ce *fpm.ConfirmError
	switch {
	case errors.Is(err, fpm.ErrPasswordRequired):
	case err == nil, errors.As(err, &ce),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, fpm.ErrBadPage), errors.Is(err, fpm.ErrTransfer):
		return err
	}
	if s.down == nil {
		s.down = err
	}
	return err
}

// runModule is the goroutine of one module: connect, serve until the
// module stops answering, back off, again, until ctx ends.
func (m *Manager) runModule(ctx context.Context, mod *module) {
	defer mod.update(func(st *ModuleStatus) { st.Online = false })
	b := backoff{min: m.cfg.MinBackoff, max: m.cfg.MaxBackoff, rand: m.cfg.Rand}
	reported := false // that the module is offline
	for ctx.Err() == nil {
		s, err := m.connect(ctx, mod)
		if err == nil {
			b.reset()
			reported = false
			mod.update(func(st *ModuleStatus) { st.Online, st.Err = true, nil })
			mod.log.Info("fingerprint module online", "slots", s.slots)
			m.cfg.OnState(mod.cfg.Name, true, nil)
			err = m.serve(ctx, s)
			if cerr := s.drv.Close(); cerr != nil {
				mod.log.Debug("close", "err", cerr)
			}
		}
		if ctx.Err() != nil {
			return
		}
		mod.update(func(st *ModuleStatus) { st.Online, st.Err = false, err })
		if !reported {
			mod.log.Warn("fingerprint module offline", "err", err)
			m.cfg.OnState(mod.cfg.Name, false, err)
			reported = true
		} else {
			mod.log.Debug("fingerprint module still offline", "err", err)
		}
		if !m.idle(ctx, mod, b.next()) {
			return
		}
	}
}

// connect opens the module's port, starts the driver and handshakes.
func (m *Manager) connect(ctx context.Context, mod *module) (*session, error) {
	name := mod.cfg.Name
	port, err := mod.cfg.Open()
	if err != nil {
		return nil, fmt.Errorf("fingers: %s: open: %w", name, err)
	}
	drv, err := fpm.New(fpm.Config{Port: port, Password: mod.cfg.Password, Timeout: mod.cfg.Timeout,
		After: m.cfg.After, Log: mod.log})
	if err != nil {
		port.Close()
		return nil, fmt.Errorf("fingers: %s: %w", name, err)
	}
	sp, err := drv.Handshake(ctx)
	if err != nil {
		drv.Close()
		return nil, fmt.Errorf("fingers: %s: handshake: %w", name, err)
	}
	slots := mod.cfg.Slots
	if c := int(sp.Capacity); c > 0 && c < slots {
		mod.log.Warn("module library smaller than configured", "configured", slots, "reported", c)
		slots = c
	}
	// Whatever the module holds is unknown: it may have been replaced, or
	// slots reassigned while it was away.
	return &session{mod: mod, drv: drv, slots: slots, held: map[int]bool{}, verify: true, resync: true}, nil
}

// idle waits d while the module is offline, refusing requests.
func (m *Manager) idle(ctx context.Context, mod *module, d time.Duration) bool {
	timer := m.cfg.After(d)
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer:
			return true
		case r := <-mod.reqs:
			r.done <- ErrOffline
		}
	}
}

// serve reconciles the online module, then polls it and runs requests
// between polls, until it stops answering (the error says why) or ctx ends
// (nil).
func (m *Manager) serve(ctx context.Context, s *session) error {
	mod := s.mod
	var (
		next    time.Time // of the periodic reconcile
		pollErr string    // the last poll failure, logged once
		vfyErr  string    // the last failure to verify a template, logged once
	)
	for {
		if mod.resync.Swap(false) || s.resync || !m.cfg.Now().Before(next) {
			if _, _, err := m.reconcile(ctx, s); err != nil && s.down == nil && ctx.Err() == nil {
				mod.log.Warn("reconcile failed", "err", err)
				mod.update(func(st *ModuleStatus) { st.Err = err })
			}
			next = m.cfg.Now().Add(m.cfg.ReconcileEvery)
		}
		if s.down == nil {
			err := m.poll(ctx, s)
			switch {
			case err == nil || s.down != nil || ctx.Err() != nil:
				pollErr = ""
			case err.Error() != pollErr:
				pollErr = err.Error()
				mod.log.Warn("poll failed", "err", err)
				mod.update(func(st *ModuleStatus) { st.Err = err })
			}
		}
		wait := mod.cfg.PollInterval
		if s.down == nil && !s.waitLift && len(s.unverified) > 0 {
			// Verify one slot between two polls, and poll again at once,
			// until every template is verified.
			switch err := s.verifyNext(ctx); {
			case err == nil:
				wait, vfyErr = 0, ""
			case s.down != nil || ctx.Err() != nil:
			default: // tried again at the poll rate, logged once
				if err.Error() != vfyErr {
					vfyErr = err.Error()
					mod.log.Warn("verifying a template failed", "err", err)
					mod.update(func(st *ModuleStatus) { st.Err = err })
				}
			}
		}
		if s.down != nil {
			return s.down
		}
		select {
		case <-ctx.Done():
			return nil
		case r := <-mod.reqs:
			m.handle(ctx, s, r)
		case <-m.cfg.After(wait):
		}
	}
}

// handle runs a request under both its caller's context and the loop's.
func (m *Manager) handle(ctx context.Context, s *session, r request) {
	rctx, cancel := context.WithCancel(r.ctx)
	stop := context.AfterFunc(ctx, cancel)
	err := r.fn(rctx, s)
	stop()
	cancel()
	if s.down != nil && err != nil {
		err = fmt.Errorf("%w: %w", ErrOffline, err)
	}
	r.done <- err
}

// poll sends one GenImg and identifies the finger if one is newly on the
// sensor.
func (m *Manager) poll(ctx context.Context, s *session) error {
	name := s.mod.cfg.Name
	err := s.check(s.drv.Capture(ctx))
	switch {
	case errors.Is(err, fpm.ErrNoFinger):
		s.waitLift = false
		return nil
	case s.waitLift && (err == nil || errors.Is(err, fpm.ErrBadImage) || errors.Is(err, fpm.ErrCapture)):
		return nil // the finger read already, still there
	case errors.Is(err, fpm.ErrBadImage), errors.Is(err, fpm.ErrCapture):
		s.waitLift = true
		m.cfg.OnBadImage(name)
		return nil
	case err != nil:
		return err
	}
	s.waitLift = true
	err = s.check(s.drv.ToBuffer(ctx, fpm.CharBuffer1))
	switch {
	case errors.Is(err, fpm.ErrBadImage):
		m.cfg.OnBadImage(name)
		return nil
	case err != nil:
		return err
	}
	slot, score, err := s.search(ctx)
	switch {
	case errors.Is(err, fpm.ErrNotFound):
		s.mod.log.Debug("unknown finger")
		m.cfg.OnUnknown(name)
		return nil
	case err != nil:
		return err
	}
	s.mod.log.Debug("finger identified", "slot", slot, "score", score)
	m.cfg.OnFinger(name, slot, score)
	return nil
}

// search searches the library for the finger in char buffer 1. A hit on
// a template not yet verified is verified first, through char buffer 2;
// when the slot held another template, it is rewritten with the store's
// and the search run again: a stale slot never names anyone.
func (s *session) search(ctx context.Context) (slot, score int, err error) {
	for {
		slot, score, err = s.drv.Search(ctx, fpm.CharBuffer1, 0, s.slots)
		if err = s.check(err); err != nil {
			return 0, 0, err
		}
		t, ok := s.unverified[slot]
		if !ok {
			return slot, score, nil
		}
		rewritten, err := s.verify1(ctx, t)
		if err != nil {
			return 0, 0, err
		}
		if !rewritten {
			return slot, score, nil
		}
		// verify1 took slot out of unverified: the loop ends.
	}
}

// backoff computes the delays between attempts to bring a module back:
// exponential growth with full jitter, delay = rand * min(max, min*2^n),
// and a reset once it is back.
type backoff struct {
	min, max time.Duration
	rand     func() float64 // in [0, 1)
	attempt  int
}

// next returns the delay before the next attempt and counts the attempt.
func (b *backoff) next() time.Duration {
	ceiling := b.min
	for i := 0; i < b.attempt && ceiling < b.max; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, b.max)
	b.attempt++
	return time.Duration(b.rand() * float64(ceiling))
}

func (b *backoff) reset() { b.attempt = 0 }
