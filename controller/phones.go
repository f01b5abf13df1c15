package controller

import (
	"context"
	"fmt"

	"menwei/controller/policy"
	"menwei/controller/store"
)

// PhoneOpen judges a paired phone's request to open a door under the
// door's policy (the phone is the "phone" factor), records the decision
// durably and opens the door if granted.
func (c *Controller) PhoneOpen(ctx context.Context, doorName, deviceID string) (Decision, error) {
	d := c.doorByName(doorName)
	if d == nil {
		return Decision{}, fmt.Errorf("%w: door %q", store.ErrNotFound, doorName)
	}
	cred, id, err := c.store.Lookup(policy.Phone, deviceID)
	if err != nil {
		return Decision{}, fmt.Errorf("device %s: %w", deviceID, err)
	}
	r := readerRef{src: phoneSource(deviceID), side: policy.Entry}
	d.mu.Lock()
	dec := c.decide(d, r, id, policy.Presented{Factor: policy.Phone, Identity: id.ID, At: c.now()}, cred.Blacklisted, store.Card{})
	if dec.Reason == policy.NeedMoreFactors {
		// A phone cannot complete a card+PIN door: it needs what the door asks.
		dec.Decision = policy.Decision{Reason: policy.NotAllowedFactor}
	}
	dec, w := c.conclude(ctx, d, r, dec)
	d.mu.Unlock()
	if dec.Granted {
		dec.Lock = awaitLock(ctx, w, dec.Lock)
	}
	return dec, nil
}

// GuardOpen opens a door by hand for a guard at the console; the guard's
// account is in the event. It reports what the lock did (see LockResult).
func (c *Controller) GuardOpen(ctx context.Context, doorName, account string) (LockResult, error) {
	d := c.doorByName(doorName)
	if d == nil {
		return "", fmt.Errorf("%w: door %q", store.ErrNotFound, doorName)
	}
	d.mu.Lock()
	ev, err := c.store.Append(ctx, c.stamp(Event{Kind: KindGranted, Door: doorName, Reason: "opened_by_guard", Detail: "by " + account}))
	if err != nil {
		d.mu.Unlock()
		return "", err
	}
	c.observe(ctx, ev)
	w, known := c.release(ctx, d)
	d.mu.Unlock()
	return awaitLock(ctx, w, known), nil
}
