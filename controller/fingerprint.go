package controller

import (
	"context"
	"errors"
	"fmt"
	"io"

	"menwei/controller/fingers"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/serialport"
)

// A fingerprint module is addressed like a PD on a bus of its own.

// newFingers builds the fingerprint manager for the configured modules.
func (c *Controller) newFingers() (*fingers.Manager, error) {
	var mods []fingers.ModuleConfig
	for _, m := range c.cfg.Fingerprints {
		cfg := serialport.Config{Device: m.Device, Baud: m.Baud}
		mods = append(mods, fingers.ModuleConfig{Name: m.Name, Model: m.Model,
			Open: func() (io.ReadWriteCloser, error) { return serialport.Open(cfg) }})
	}
	return fingers.New(fingers.Config{
		Modules:    mods,
		Store:      c.store,
		Log:        c.log.With("part", "fingers"),
		OnFinger:   func(module string, slot, score int) { c.fingerRead(module, slot) },
		OnUnknown:  func(module string) { c.fingerDenied(module, "unknown_finger") },
		OnBadImage: func(module string) { c.fingerDenied(module, ReasonBadRead) },
		OnState: func(module string, online bool, err error) {
			kind, detail := KindPDOnline, "fingerprint module"
			if !online {
				kind, detail = KindPDOffline, errText(err)
			}
			c.record(c.runCtx(), Event{Kind: kind, PD: module, Detail: detail, Alarm: !online})
		},
	})
}

// fingerRead judges a finger that matched a slot on a module.
func (c *Controller) fingerRead(module string, slot int) {
	ctx := c.runCtx()
	d, r := c.readerAt(fingerprintSource(module), 0)
	if d == nil {
		return
	}
	t, err := c.store.FingerSlot(slot)
	if err != nil {
		// The module holds a template the store does not know: refuse.
		c.fingerDenied(module, "unknown_finger")
		return
	}
	id, err := c.store.Identity(t.Identity)
	if err != nil {
		c.fingerDenied(module, "unknown_finger")
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	dec := c.decide(d, r, id, policy.Presented{Factor: policy.Finger, Identity: id.ID, At: c.now()}, false, store.Card{})
	c.conclude(ctx, d, r, dec)
}

func (c *Controller) fingerDenied(module, reason string) {
	d, r := c.readerAt(fingerprintSource(module), 0)
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	c.conclude(c.runCtx(), d, r, Decision{Decision: policy.Decision{Reason: reason}, Factors: "finger"})
}

// EnrollFinger captures a finger twice at a module, stores the merged
// template and pushes it to every module of the same model.
func (c *Controller) EnrollFinger(ctx context.Context, module, identity string) (int, error) {
	if c.fingers == nil {
		return 0, errors.New("controller: no fingerprint modules configured")
	}
	if _, err := c.store.Identity(identity); err != nil {
		return 0, err
	}
	t, err := c.fingers.Enroll(ctx, module, identity, nil)
	if err != nil {
		return 0, err
	}
	c.record(ctx, Event{Kind: "enrol.finger", PD: module, Identity: identity, Detail: fmt.Sprintf("slot %d", t.Slot)})
	return t.Slot, nil
}

// WithdrawConsent records that a person withdrew their consent to a
// biometric and deletes it everywhere: their fingerprint templates from
// every module and the store, or their faces from the store (the face
// index follows). It returns the consent as it now stands and how many
// records were deleted.
func (c *Controller) WithdrawConsent(ctx context.Context, identity string, b policy.Factor, by string) (store.Consent, int, error) {
	slots := 0
	if b == policy.Finger && c.fingers != nil {
		// The modules first, while the consent still stands: if this
		// fails the person can ask again and nothing is half-done.
		ts, err := c.store.Templates()
		if err != nil {
			return store.Consent{}, 0, err
		}
		for _, t := range ts {
			if t.Identity == identity {
				slots++
			}
		}
		if err := c.RemoveFingers(ctx, identity); err != nil {
			return store.Consent{}, 0, err
		}
	}
	cs, n, err := c.store.WithdrawConsent(identity, b, by, c.now())
	return cs, n + slots, err
}

// RemoveFingers deletes a person's templates from the store and every module.
func (c *Controller) RemoveFingers(ctx context.Context, identity string) error {
	if c.fingers == nil {
		return nil
	}
	return c.fingers.Remove(ctx, identity)
}

// ReconcileFingers brings a module in line with the store now.
func (c *Controller) ReconcileFingers(ctx context.Context, module string) (added, removed int, err error) {
	if c.fingers == nil {
		return 0, 0, errors.New("controller: no fingerprint modules configured")
	}
	return c.fingers.Reconcile(ctx, module)
}

// RemoveIdentity deletes a person: their fingerprint templates from every
// module, then the record with its credentials and faces (the face index
// follows the store).
func (c *Controller) RemoveIdentity(ctx context.Context, id string) error {
	if _, err := c.store.Identity(id); err != nil {
		return err
	}
	if err := c.RemoveFingers(ctx, id); err != nil {
		return err
	}
	if err := c.store.DeleteIdentity(id); err != nil {
		return err
	}
	c.record(ctx, Event{Kind: "identity.removed", Identity: id})
	return nil
}
