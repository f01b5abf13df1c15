package fingers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"menwei/devices/fpm"
)

// Reconcile brings module's library in line with the store: it reads the
// index table, deletes the slots the store does not give the module, and
// downloads and stores the templates the module lacks. After a handshake
// or a failed push or delete it also verifies the templates present
// (see the package comment); rewritten ones count as added. It fails with
// ErrOffline when the module is not online.
func (m *Manager) Reconcile(ctx context.Context, module string) (added, removed int, err error) {
	mod, err := m.module(module)
	if err != nil {
		return 0, 0, err
	}
	err = m.call(ctx, mod, func(ctx context.Context, s *session) error {
		added, removed, err = m.reconcile(ctx, s)
		return err
	})
	return added, removed, err
}

// reconcile runs in the module's goroutine. The index is read before the
// store, so a template put in the store meanwhile is either seen here or
// pushed by the request that follows; never deleted as unknown.
func (m *Manager) reconcile(ctx context.Context, s *session) (added, removed int, err error) {
	mod := s.mod
	s.resync = false
	used, err := s.drv.Index(ctx)
	if err = s.check(err); err != nil {
		return 0, 0, fmt.Errorf("fingers: reconcile %s: %w", mod.cfg.Name, err)
	}
	all, err := m.cfg.Store.Templates()
	if err != nil {
		return 0, 0, fmt.Errorf("fingers: reconcile %s: templates: %w", mod.cfg.Name, err)
	}
	want, skipped := wanted(all, mod.cfg, s.slots)
	if skipped > 0 {
		mod.log.Warn("templates the module cannot hold skipped", "count", skipped)
	}
	p := makePlan(used, want)
	s.held = map[int]bool{}
	for _, slot := range used {
		s.held[slot] = true
	}
	defer func() {
		s.report()
		if err != nil {
			err = fmt.Errorf("fingers: reconcile %s: %w", mod.cfg.Name, err)
		}
	}()

	for _, r := range p.remove {
		if err := s.check(s.drv.Delete(ctx, r.start, r.n)); err != nil {
			return added, removed, err
		}
		for slot := r.start; slot < r.start+r.n; slot++ {
			delete(s.held, slot)
		}
		removed += r.n
	}
	s.markUnverified(p.keep)
	for _, t := range p.add {
		if err := s.put(ctx, t); err != nil {
			return added, removed, err
		}
		added++
	}
	now := m.cfg.Now()
	mod.update(func(st *ModuleStatus) { st.LastReconcile = now })
	if added+removed > 0 {
		mod.log.Info("library reconciled", "added", added, "removed", removed, "held", len(s.held))
	}
	return added, removed, nil
}

// markUnverified updates the templates left to verify after a reconcile
// kept the templates keep on the module: after a handshake or a failed
// change all of them, otherwise those still unverified, with the store's
// current bytes.
func (s *session) markUnverified(keep []Template) {
	was := s.unverified
	s.unverified = map[int]Template{}
	for _, t := range keep {
		if _, ok := was[t.Slot]; ok || s.verify {
			s.unverified[t.Slot] = t
		}
	}
	s.verify = false
	s.report()
}

// verifyNext verifies the unverified template of the lowest slot after
// the one verifyNext tried last, going round: a slot that cannot be
// verified (it stays unverified, and names nobody until it is) does not
// hold up the others.
func (s *session) verifyNext(ctx context.Context) error {
	slots := slices.Sorted(maps.Keys(s.unverified))
	i, _ := slices.BinarySearch(slots, s.verifyFrom)
	slot := slots[i%len(slots)]
	s.verifyFrom = slot + 1
	_, err := s.verify1(ctx, s.unverified[slot])
	return err
}

// verify1 compares the template the module holds at t's slot with t, and
// rewrites the slot when they differ. It goes through char buffer 2, so a
// finger read into buffer 1 stays there.
func (s *session) verify1(ctx context.Context, t Template) (rewritten bool, err error) {
	same, err := s.holding(ctx, fpm.CharBuffer2, t)
	if err == nil && !same {
		s.mod.log.Warn("template differs from the store's: rewriting", "slot", t.Slot)
		err, rewritten = s.putVia(ctx, fpm.CharBuffer2, t), true
	}
	if err != nil {
		return false, fmt.Errorf("fingers: verify slot %d on %s: %w", t.Slot, s.mod.cfg.Name, err)
	}
	delete(s.unverified, t.Slot)
	s.report()
	return rewritten, nil
}

// report puts the counts of templates held and unverified in the
// module's status.
func (s *session) report() {
	held, unverified := len(s.held), len(s.unverified)
	s.mod.update(func(st *ModuleStatus) { st.Templates, st.Unverified = held, unverified })
}

// put downloads t into char buffer 1 and stores it at its slot.
func (s *session) put(ctx context.Context, t Template) error {
	return s.putVia(ctx, fpm.CharBuffer1, t)
}

// putVia downloads t into buf and stores it at its slot, which needs no
// verifying then.
func (s *session) putVia(ctx context.Context, buf fpm.Buffer, t Template) error {
	if err := s.check(s.drv.Download(ctx, buf, t.Data)); err != nil {
		return err
	}
	if err := s.check(s.drv.Store(ctx, buf, t.Slot)); err != nil {
		return err
	}
	s.held[t.Slot] = true
	delete(s.unverified, t.Slot)
	return nil
}

// holding reports whether the module holds exactly t at t's slot: it loads
// the slot into buf and uploads it.
func (s *session) holding(ctx context.Context, buf fpm.Buffer, t Template) (bool, error) {
	err := s.check(s.drv.Load(ctx, buf, t.Slot))
	if errors.Is(err, fpm.ErrBadTemplate) {
		return false, nil // unreadable: rewrite it
	}
	if err != nil {
		return false, err
	}
	got, err := s.drv.Upload(ctx, buf)
	if err = s.check(err); errors.Is(err, fpm.ErrUpload) {
		return false, nil
	}
	return bytes.Equal(got, t.Data), err
}

// pushTo puts t on mod, unless it is offline (its reconcile will). It runs
// in the module's goroutine.
func (m *Manager) pushTo(ctx context.Context, mod *module, t Template) error {
	return m.call(ctx, mod, func(ctx context.Context, s *session) error {
		if t.Slot >= s.slots {
			return fmt.Errorf("fingers: push to %s: slot %d beyond its %d", mod.cfg.Name, t.Slot, s.slots)
		}
		err := s.put(ctx, t)
		s.report()
		if err != nil {
			s.verify, s.resync = true, true
			return fmt.Errorf("fingers: push to %s: %w", mod.cfg.Name, err)
		}
		return nil
	})
}

// deleteFrom deletes slots on mod, unless it is offline (its reconcile
// will).
func (m *Manager) deleteFrom(ctx context.Context, mod *module, slots []int) error {
	return m.call(ctx, mod, func(ctx context.Context, s *session) error {
		var errs []error
		for _, slot := range slots {
			if slot < 0 || slot >= s.slots {
				continue
			}
			if err := s.check(s.drv.Delete(ctx, slot, 1)); err != nil {
				errs = append(errs, err)
				if s.down != nil || ctx.Err() != nil {
					break
				}
				continue
			}
			delete(s.held, slot)
			delete(s.unverified, slot)
		}
		s.report()
		if len(errs) > 0 {
			s.verify, s.resync = true, true
			return fmt.Errorf("fingers: delete on %s: %w", mod.cfg.Name, errors.Join(errs...))
		}
		return nil
	})
}

// wanted returns the templates of all that mod must hold, by slot, and
// how many of them it cannot: beyond its slots, empty or too long, or a
// second template at one slot.
func wanted(all []Template, mod ModuleConfig, slots int) (map[int]Template, int) {
	want := map[int]Template{}
	skipped := 0
	for _, t := range all {
		if !holds(t, mod) {
			continue
		}
		_, dup := want[t.Slot]
		if dup || t.Slot < 0 || t.Slot >= slots || len(t.Data) == 0 || len(t.Data) > fpm.MaxTransfer {
			skipped++
			continue
		}
		want[t.Slot] = t
	}
	return want, skipped
}

// plan is what a reconcile does to a library.
type plan struct {
	remove []span     // runs of used slots to delete
	add    []Template // missing, by slot
	keep   []Template // present: verified when asked, by slot
}

// span is n slots from start on.
type span struct{ start, n int }

// makePlan compares the used slots of a library with the templates it
// must hold. Slots to delete are grouped in runs, one DeleteChar each.
func makePlan(used []int, want map[int]Template) plan {
	var p plan
	present := map[int]bool{}
	used = slices.Sorted(slices.Values(used))
	for _, slot := range slices.Compact(used) {
		present[slot] = true
		if _, ok := want[slot]; ok {
			continue
		}
		if n := len(p.remove); n > 0 && p.remove[n-1].start+p.remove[n-1].n == slot {
			p.remove[n-1].n++
		} else {
			p.remove = append(p.remove, span{slot, 1})
		}
	}
	for _, slot := range slices.Sorted(maps.Keys(want)) {
		if present[slot] {
			p.keep = append(p.keep, want[slot])
		} else {
			p.add = append(p.add, want[slot])
		}
	}
	return p
}
