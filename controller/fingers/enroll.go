package fingers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"menwei/devices/fpm"
)

// Enroll enrols a finger of identity at module and returns its template.
// The resident is prompted through OnPrompt to place the finger, lift it
// and place it again; each wait lasts at most EnrollTimeout
// (ErrFingerTimeout). The two captures are merged (fpm.ErrMergeFailed when
// they are of different fingers, fpm.ErrBadImage when one is too poor) and
// the template uploaded. A finger the module already knows at a slot of
// the store is ErrAlreadyEnrolled.
//
// The template takes the lowest slot free in the store, is stored
// durably, and is then pushed to the targets (every module of module's
// model when targets is empty), which must all be of module's model
// (ErrModel). A target offline, or refusing the template, gets it at its
// next reconcile: Enroll succeeds once the template is in the store.
func (m *Manager) Enroll(ctx context.Context, module, identity string, targets []string) (Template, error) {
	if identity == "" {
		return Template{}, errors.New("fingers: enrol: no identity")
	}
	mod, err := m.module(module)
	if err != nil {
		return Template{}, fmt.Errorf("fingers: enrol: %w", err)
	}
	targets = slices.Compact(slices.Sorted(slices.Values(targets)))
	holders, err := m.holders(mod.cfg, targets)
	if err != nil {
		return Template{}, fmt.Errorf("fingers: enrol: %w", err)
	}
	limit := maxSlots
	for _, h := range holders {
		limit = min(limit, h.cfg.Slots)
	}

	var c captured
	err = m.call(ctx, mod, func(ctx context.Context, s *session) error {
		c, err = m.capture(ctx, s)
		return err
	})
	if err != nil {
		return Template{}, fmt.Errorf("fingers: enrol at %s: %w", module, err)
	}

	m.write.Lock()
	defer m.write.Unlock()
	all, err := m.cfg.Store.Templates()
	if err != nil {
		return Template{}, fmt.Errorf("fingers: enrol: templates: %w", err)
	}
	if i := slices.IndexFunc(all, func(t Template) bool { return t.Slot == c.dup }); i >= 0 {
		return Template{}, fmt.Errorf("%w: slot %d, identity %q", ErrAlreadyEnrolled, c.dup, all[i].Identity)
	}
	slot, ok := lowestFree(all, limit)
	if !ok {
		return Template{}, fmt.Errorf("fingers: enrol: %w among %d", ErrFull, limit)
	}
	t := Template{Slot: slot, Identity: identity, Model: mod.cfg.Model, Data: c.data}
	if len(targets) > 0 {
		t.Modules = targets
	}
	if err := m.cfg.Store.PutTemplate(t); err != nil {
		return Template{}, fmt.Errorf("fingers: enrol: put template: %w", err)
	}
	m.log.Info("finger enrolled", "module", module, "identity", identity, "slot", slot)

	var wg sync.WaitGroup
	for _, h := range holders {
		wg.Go(func() {
			switch err := m.pushTo(ctx, h, t); {
			case errors.Is(err, ErrOffline):
				h.log.Info("module offline: template left to its reconcile", "slot", t.Slot)
			case err != nil:
				h.log.Warn("push failed: template left to its reconcile", "slot", t.Slot, "err", err)
			}
		})
	}
	wg.Wait()
	return t, nil
}

// holders returns the modules that must hold a template made at enrol:
// targets, or every module of its model.
func (m *Manager) holders(enrol ModuleConfig, targets []string) ([]*module, error) {
	var out []*module
	if len(targets) == 0 {
		for _, mod := range m.mods {
			if mod.cfg.Model == enrol.Model {
				out = append(out, mod)
			}
		}
		return out, nil
	}
	for _, name := range targets {
		mod, err := m.module(name)
		if err != nil {
			return nil, err
		}
		if mod.cfg.Model != enrol.Model {
			return nil, fmt.Errorf("%w: %s is %q, %s is %q", ErrModel, name, mod.cfg.Model, enrol.Name, enrol.Model)
		}
		out = append(out, mod)
	}
	return out, nil
}

// captured is what an enrolment got from the module: the merged template,
// and the slot where the module already found the finger, or -1.
type captured struct {
	data []byte
	dup  int
}

// capture runs the module's part of an enrolment, in its goroutine.
func (m *Manager) capture(ctx context.Context, s *session) (captured, error) {
	name := s.mod.cfg.Name
	// The finger is likely still on the sensor when this returns: do not
	// identify it as a touch.
	defer func() { s.waitLift = true }()
	for i, step := range []struct {
		prompt Prompt
		buf    fpm.Buffer
	}{{PromptPlace, fpm.CharBuffer1}, {PromptPlaceAgain, fpm.CharBuffer2}} {
		if i > 0 {
			m.cfg.OnPrompt(name, PromptLift)
			if err := m.await(ctx, s, false); err != nil {
				return captured{}, err
			}
		}
		m.cfg.OnPrompt(name, step.prompt)
		if err := m.await(ctx, s, true); err != nil {
			return captured{}, err
		}
		if err := s.check(s.drv.ToBuffer(ctx, step.buf)); err != nil {
			return captured{}, err
		}
	}
	if err := s.check(s.drv.Merge(ctx)); err != nil {
		return captured{}, err
	}
	c := captured{dup: -1}
	// search verifies a stale slot before calling the finger a duplicate;
	// it uses buffer 2 only, and the merged template stays in buffer 1.
	slot, _, err := s.search(ctx)
	switch {
	case err == nil:
		c.dup = slot
	case !errors.Is(err, fpm.ErrNotFound):
		return captured{}, err
	}
	c.data, err = s.drv.Upload(ctx, fpm.CharBuffer1)
	return c, s.check(err)
}

// await polls GenImg until a finger is on the sensor (on) or off it (!on),
// at most EnrollTimeout. A poor image while waiting for a finger is
// polled again.
func (m *Manager) await(ctx context.Context, s *session, on bool) error {
	deadline := m.cfg.After(m.cfg.EnrollTimeout)
	for {
		err := s.check(s.drv.Capture(ctx))
		noFinger := errors.Is(err, fpm.ErrNoFinger)
		poor := errors.Is(err, fpm.ErrBadImage) || errors.Is(err, fpm.ErrCapture)
		switch {
		case on && err == nil, !on && noFinger:
			return nil
		case on && (noFinger || poor), !on && (err == nil || poor):
		default:
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			what := "placed"
			if !on {
				what = "lifted"
			}
			return fmt.Errorf("%w: finger not %s within %v", ErrFingerTimeout, what, m.cfg.EnrollTimeout)
		case <-m.cfg.After(s.mod.cfg.PollInterval):
		}
	}
}

// Remove deletes identity's templates from the store, then from every
// module; a module offline, or refusing the deletion, loses them at its
// next reconcile, since the store no longer lists them. Removing an
// identity without templates does nothing.
func (m *Manager) Remove(ctx context.Context, identity string) error {
	m.write.Lock()
	defer m.write.Unlock()
	slots, err := m.cfg.Store.DeleteTemplates(identity)
	if err != nil {
		return fmt.Errorf("fingers: remove %q: %w", identity, err)
	}
	if len(slots) == 0 {
		return nil
	}
	m.log.Info("fingers removed", "identity", identity, "slots", slots)
	var wg sync.WaitGroup
	for _, mod := range m.mods {
		wg.Go(func() {
			switch err := m.deleteFrom(ctx, mod, slots); {
			case errors.Is(err, ErrOffline):
				mod.log.Info("module offline: removal left to its reconcile", "slots", slots)
			case err != nil:
				mod.log.Warn("delete failed: removal left to its reconcile", "slots", slots, "err", err)
			}
		})
	}
	wg.Wait()
	return nil
}

// lowestFree returns the lowest slot below limit that no template uses.
func lowestFree(all []Template, limit int) (int, bool) {
	used := make(map[int]bool, len(all))
	for _, t := range all {
		used[t.Slot] = true
	}
	for slot := range limit {
		if !used[slot] {
			return slot, true
		}
	}
	return 0, false
}
