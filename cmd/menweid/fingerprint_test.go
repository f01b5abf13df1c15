package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/fpmodule"
	"menwei/firmware-mocks/osdppd"
)

// Enrol a finger at module 1 → it opens the door at module 2; wipe module 2
// → reconcile refills it; remove the resident's fingers → refused at both.
func TestFingerprintModules(t *testing.T) {
	ctx := context.Background()
	var mods [2]*fpmodule.Module
	var slaves [2]string
	for i := range mods {
		m, err := fpmodule.New(fpmodule.Config{})
		require.NoError(t, err)
		master, slave := serialporttest.PtyPair(t)
		sctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); m.Serve(sctx, master) }()
		t.Cleanup(func() { stop(); <-done })
		mods[i], slaves[i] = m, slave
	}
	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: pd, seed: true,
		door: `  - name: fp-door-1
    readers: [{ fingerprint: fpm1 }]
    lock: { pd: gate-reader, output: 2 }
    policy: { alternative: phone }
  - name: fp-door-2
    readers: [{ fingerprint: fpm2 }]
    lock: { pd: gate-reader, output: 3 }
    policy: { alternative: guard }`,
		extra: fmt.Sprintf("fingerprint_modules:\n  - { name: fpm1, device: %s }\n  - { name: fpm2, device: %s }", slaves[0], slaves[1])})
	for _, name := range []string{"fpm1", "fpm2"} {
		g.waitEvent(name+" online", func(e controller.Event) bool { return e.Kind == controller.KindPDOnline && e.PD == name })
	}

	// Enrolment at module 1: the resident touches, lifts, touches again.
	type result struct {
		slot int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		slot, err := g.ctl.EnrollFinger(ctx, "fpm1", "li-wei")
		done <- result{slot, err}
	}()
	var (
		res    result
		lifted <-chan struct{}
	)
	for enrolled := false; !enrolled; {
		mods[0].PutFinger(7)
		select {
		case res = <-done:
			enrolled = true
		case <-time.After(400 * time.Millisecond):
		}
		lifted = mods[0].Lift()
		if !enrolled {
			select {
			case res = <-done:
				enrolled = true
			case <-time.After(400 * time.Millisecond):
			}
		}
	}
	require.NoError(t, res.err)
	waitLifted(t, lifted)
	require.Eventually(t, func() bool { return mods[1].Slots()[res.slot] }, 10*time.Second, 20*time.Millisecond, "pushed to module 2 at the same slot")

	// The same finger at module 2 opens door 2.
	mods[1].PutFinger(7)
	granted := g.waitEvent("finger grant", func(e controller.Event) bool { return e.Kind == controller.KindGranted && e.Door == "fp-door-2" })
	assert.Equal(t, "li-wei", granted.Identity)
	assert.Equal(t, "finger", granted.Factor)
	waitLifted(t, mods[1].Lift())

	// Module 2 is replaced (wiped): reconcile refills it.
	mods[1].Wipe()
	added, _, err := g.ctl.ReconcileFingers(ctx, "fpm2")
	require.NoError(t, err)
	assert.Equal(t, 1, added)
	assert.True(t, mods[1].Slots()[res.slot])

	// The resident moves out: their finger is refused at both modules.
	require.NoError(t, g.ctl.RemoveIdentity(ctx, "li-wei"))
	for i, door := range []string{"fp-door-1", "fp-door-2"} {
		assert.False(t, mods[i].Slots()[res.slot], "module %d emptied", i+1)
		mods[i].PutFinger(7)
		d := g.waitEvent("finger refused", func(e controller.Event) bool { return e.Kind == controller.KindDenied && e.Door == door })
		assert.Equal(t, "unknown_finger", d.Reason)
		mods[i].RemoveFinger()
	}
}

// waitLifted waits until the module has polled its empty sensor since the
// finger was lifted: a person's lift lasts that long, and a module reads a
// finger touched again after a lift it never saw as the same touch.
func waitLifted(t *testing.T, seen <-chan struct{}) {
	t.Helper()
	select {
	case <-seen:
	case <-time.After(20 * time.Second):
		t.Fatal("the module never polled its empty sensor")
	}
}
