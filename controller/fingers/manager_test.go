package fingers_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/fingers"
	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestEnrolIdentifyRemove(t *testing.T) {
	r := newRig(t, nil, "gate-1", "gate-2")
	n := r.mark()

	tmpl, err := r.enrol("gate-1", 7, "li")
	require.NoError(t, err)
	assert.Equal(t, 0, tmpl.Slot, "the lowest free slot")
	assert.Equal(t, "li", tmpl.Identity)
	assert.Equal(t, "r307", tmpl.Model)
	assert.Equal(t, fpmodule.Finger(7), tmpl.Data, "the merged template, uploaded")
	assert.Empty(t, tmpl.Modules, "every module")

	var prompts []fingers.Prompt
	for _, e := range r.since(n, "gate-1") {
		if e.kind == "prompt" {
			prompts = append(prompts, e.prompt)
		}
	}
	assert.Equal(t, []fingers.Prompt{fingers.PromptPlace, fingers.PromptLift, fingers.PromptPlaceAgain}, prompts)
	for _, e := range r.since(n, "gate-1") {
		assert.Equal(t, "prompt", e.kind, "the finger enrolled is not identified: %+v", e)
	}

	stored, err := r.store.Templates()
	require.NoError(t, err)
	assert.Equal(t, []fingers.Template{tmpl}, stored)
	for _, mod := range []string{"gate-1", "gate-2"} {
		assert.Equal(t, map[int]bool{0: true}, r.slots(mod), mod)
		assert.Equal(t, 1, r.status(mod).Templates, mod)
	}

	e := r.touch("gate-2", 7)
	assert.Equal(t, "finger", e.kind)
	assert.Equal(t, 0, e.slot)
	assert.GreaterOrEqual(t, e.score, 50)
	assert.Equal(t, "unknown", r.touch("gate-2", 8).kind)

	// A second resident takes the next slot.
	tmpl2, err := r.enrol("gate-2", 9, "wang")
	require.NoError(t, err)
	assert.Equal(t, 1, tmpl2.Slot)
	assert.Equal(t, 1, r.touch("gate-1", 9).slot)

	require.NoError(t, r.m.Remove(t.Context(), "li"))
	for _, mod := range []string{"gate-1", "gate-2"} {
		assert.Equal(t, map[int]bool{1: true}, r.slots(mod), mod)
		assert.Equal(t, "unknown", r.touch(mod, 7).kind, "%s refuses the removed finger", mod)
		assert.Equal(t, "finger", r.touch(mod, 9).kind, "%s still knows the other", mod)
	}
	require.NoError(t, r.m.Remove(t.Context(), "li"), "removing again does nothing")

	// The freed slot is the lowest free again.
	tmpl3, err := r.enrol("gate-1", 11, "zhao")
	require.NoError(t, err)
	assert.Equal(t, 0, tmpl3.Slot)
}

func TestOneTouchOneRead(t *testing.T) {
	r := newRig(t, nil, "gate-1")
	_, err := r.enrol("gate-1", 7, "li")
	require.NoError(t, err)

	n := r.mark()
	searches := r.wires["gate-1"].commands(fpm.InsSearch)
	r.emus["gate-1"].PutFinger(7)
	r.waitCommands("gate-1", fpm.InsGenImg, 10) // the finger rests on the sensor
	r.lift("gate-1")
	var reads []event
	for _, e := range r.since(n, "gate-1") {
		if e.kind == "finger" {
			reads = append(reads, e)
		}
	}
	assert.Len(t, reads, 1)
	assert.Equal(t, searches+1, r.wires["gate-1"].commands(fpm.InsSearch), "one search for the touch")
}

func TestBadImage(t *testing.T) {
	r := newRig(t, nil, "gate-1")
	_, err := r.enrol("gate-1", 7, "li")
	require.NoError(t, err)

	r.emus["gate-1"].BadImage()
	assert.Equal(t, "bad", r.touch("gate-1", 7).kind)
	assert.Equal(t, "finger", r.touch("gate-1", 7).kind, "the next touch reads")
}

func TestWipedModuleRefilled(t *testing.T) {
	tests := []struct {
		name     string
		periodic time.Duration // ReconcileEvery
		call     bool          // Reconcile is called
		password uint32        // the module locks again when wiped
	}{
		{name: "Reconcile called", call: true},
		{name: "periodic reconcile", periodic: 50 * time.Millisecond},
		{name: "password asked again", password: 0x5eC2e7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRigWith(t, fpmodule.Config{Password: tt.password}, func(c *fingers.Config) {
				c.ReconcileEvery = tt.periodic
				for i := range c.Modules {
					c.Modules[i].Password = tt.password
				}
			}, "gate-1", "gate-2")
			_, err := r.enrol("gate-1", 7, "li")
			require.NoError(t, err)
			_, err = r.enrol("gate-1", 8, "wang")
			require.NoError(t, err)
			require.Equal(t, map[int]bool{0: true, 1: true}, r.slots("gate-2"))

			n := r.mark()
			r.emus["gate-2"].Wipe()
			if tt.password != 0 {
				r.waitState(n, "gate-2", true)
				assert.Equal(t, []bool{false, true}, r.states(n, "gate-2"), "handshaken again")
			}
			if tt.call {
				added, removed, err := r.m.Reconcile(t.Context(), "gate-2")
				require.NoError(t, err)
				assert.Equal(t, 2, added)
				assert.Equal(t, 0, removed)
				assert.Equal(t, 2, r.status("gate-2").Templates)

				added, removed, err = r.m.Reconcile(t.Context(), "gate-2")
				require.NoError(t, err)
				assert.Equal(t, [2]int{0, 0}, [2]int{added, removed}, "nothing left to do")
			}
			require.Eventually(t, func() bool {
				return len(r.slots("gate-2")) == 2
			}, waitFor, tick, "gate-2 refilled")
			assert.Equal(t, map[int]bool{0: true, 1: true}, r.slots("gate-2"))
			assert.Equal(t, "finger", r.touch("gate-2", 8).kind)
		})
	}
}

// The store changed behind the Manager's back (restored from a backup):
// Reconcile adds what is missing and deletes, in runs, what is not listed.
func TestReconcileFollowsStore(t *testing.T) {
	r := newRig(t, nil, "gate-1")
	_, err := r.enrol("gate-1", 7, "li")
	require.NoError(t, err)
	for slot, finger := range map[int]int{5: 20, 6: 21, 7: 22, 9: 23} {
		require.NoError(t, r.store.PutTemplate(fingers.Template{Slot: slot, Identity: "x", Model: "r307", Data: fpmodule.Finger(finger)}))
	}
	// Not for this module: another model, another module, a slot beyond the library.
	require.NoError(t, r.store.PutTemplate(fingers.Template{Slot: 10, Identity: "y", Model: "zk4500", Data: []byte{1}}))
	require.NoError(t, r.store.PutTemplate(fingers.Template{Slot: 11, Identity: "y", Model: "r307", Data: fpmodule.Finger(24), Modules: []string{"gate-9"}}))
	require.NoError(t, r.store.PutTemplate(fingers.Template{Slot: 400, Identity: "y", Model: "r307", Data: fpmodule.Finger(25)}))

	added, removed, err := r.m.Reconcile(t.Context(), "gate-1")
	require.NoError(t, err)
	assert.Equal(t, [2]int{4, 0}, [2]int{added, removed})
	assert.Equal(t, map[int]bool{0: true, 5: true, 6: true, 7: true, 9: true}, r.slots("gate-1"))
	assert.Equal(t, 6, r.touch("gate-1", 21).slot)

	_, err = r.store.DeleteTemplates("x")
	require.NoError(t, err)
	deletes := r.wires["gate-1"].commands(fpm.InsDeleteChar)
	added, removed, err = r.m.Reconcile(t.Context(), "gate-1")
	require.NoError(t, err)
	assert.Equal(t, [2]int{0, 4}, [2]int{added, removed})
	assert.Equal(t, map[int]bool{0: true}, r.slots("gate-1"))
	assert.Equal(t, deletes+2, r.wires["gate-1"].commands(fpm.InsDeleteChar), "slots 5-7 and 9: two runs")
	assert.Equal(t, 1, r.status("gate-1").Templates)
}

// A template the store got from elsewhere (the estate's office) reaches
// the module on Resync, before the periodic reconcile (an hour here), and
// a deletion leaves it the same way.
func TestResyncPushesTemplatesFromElsewhere(t *testing.T) {
	r := newRig(t, func(c *fingers.Config) { c.ReconcileEvery = time.Hour }, "gate-1")
	require.Eventually(t, func() bool { return r.status("gate-1").Online }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, r.store.PutTemplate(fingers.Template{Slot: 5, Identity: "x", Model: "r307", Data: fpmodule.Finger(20)}))
	r.m.Resync()
	require.Eventually(t, func() bool { return r.slots("gate-1")[5] }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, 5, r.touch("gate-1", 20).slot)
	_, err := r.store.DeleteTemplates("x")
	require.NoError(t, err)
	r.m.Resync()
	require.Eventually(t, func() bool { return !r.slots("gate-1")[5] }, 10*time.Second, 5*time.Millisecond)
}

func TestModuleGoesOfflineAndReturns(t *testing.T) {
	r := newRig(t, nil, "gate-1", "gate-2")
	_, err := r.enrol("gate-1", 7, "li")
	require.NoError(t, err)

	n := r.mark()
	r.emus["gate-2"].Silent(true)
	r.waitState(n, "gate-2", false)
	went := time.Now()
	st := r.status("gate-2")
	assert.False(t, st.Online)
	assert.ErrorIs(t, st.Err, fpm.ErrTimeout)

	// It keeps being tried, but is reported offline once.
	r.waitCommands("gate-2", fpm.InsVfyPwd, 2)
	assert.Equal(t, []bool{false}, r.states(n, "gate-2"))

	// gate-1 carries on.
	e := r.touch("gate-1", 7)
	assert.Equal(t, "finger", e.kind)
	assert.Equal(t, 0, e.slot)

	// Requests to the offline module fail at once; a new template is left
	// to its reconcile.
	_, _, err = r.m.Reconcile(t.Context(), "gate-2")
	assert.ErrorIs(t, err, fingers.ErrOffline)
	_, err = r.m.Enroll(t.Context(), "gate-2", "wang", nil)
	assert.ErrorIs(t, err, fingers.ErrOffline)
	tmpl, err := r.enrol("gate-1", 9, "wang")
	require.NoError(t, err)
	assert.Equal(t, map[int]bool{0: true, 1: true}, r.slots("gate-1"))
	assert.Equal(t, map[int]bool{0: true}, r.slots("gate-2"))

	r.emus["gate-2"].Silent(false)
	r.waitState(n, "gate-2", true)
	assert.Equal(t, []bool{false, true}, r.states(n, "gate-2"))
	require.Eventually(t, func() bool {
		st := r.status("gate-2")
		return st.Online && st.LastReconcile.After(went)
	}, waitFor, tick, "gate-2 reconciled after its return")
	assert.Equal(t, map[int]bool{0: true, 1: true}, r.slots("gate-2"))
	assert.Equal(t, tmpl.Slot, r.touch("gate-2", 9).slot)
}

func TestRemoveWhileOffline(t *testing.T) {
	r := newRig(t, nil, "gate-1", "gate-2")
	_, err := r.enrol("gate-1", 7, "li")
	require.NoError(t, err)

	n := r.mark()
	r.emus["gate-2"].Silent(true)
	r.waitState(n, "gate-2", false)
	require.NoError(t, r.m.Remove(t.Context(), "li"))
	assert.Empty(t, r.slots("gate-1"))
	assert.Equal(t, map[int]bool{0: true}, r.slots("gate-2"), "offline: still there")

	r.emus["gate-2"].Silent(false)
	r.waitState(n, "gate-2", true)
	require.Eventually(t, func() bool { return len(r.slots("gate-2")) == 0 }, waitFor, tick,
		"gate-2 drops the removed template at its reconcile")
	assert.Equal(t, "unknown", r.touch("gate-2", 7).kind)
}

// The slot of a resident removed while a module was away is given to a new
// resident: the module still holds the old finger at that slot, and must
// not let it in as the new resident.
func TestSlotReusedWhileOffline(t *testing.T) {
	r := newRig(t, nil, "gate-1", "gate-2")
	n := reuseSlotWhileOffline(t, r)

	r.emus["gate-2"].Silent(false)
	r.waitState(n, "gate-2", true)
	require.Eventually(t, func() bool { return r.status("gate-2").Online }, waitFor, tick)
	assert.Equal(t, "unknown", r.touch("gate-2", 7).kind, "li's finger is not wang's")
	e := r.touch("gate-2", 9)
	assert.Equal(t, "finger", e.kind)
	assert.Equal(t, 0, e.slot)
}

// A finger already on the sensor when a module comes back is identified
// before the module's templates are verified: the slot it hits is
// verified first, rewritten, and the finger searched for again.
func TestStaleSlotHitBeforeVerified(t *testing.T) {
	r := newRig(t, nil, "gate-1", "gate-2")
	n := reuseSlotWhileOffline(t, r)

	r.emus["gate-2"].PutFinger(7) // li's, on the sensor as the module returns
	r.emus["gate-2"].Silent(false)
	var got []event
	require.Eventually(t, func() bool {
		got = nil
		for _, e := range r.since(n, "gate-2") {
			if e.kind != "state" {
				got = append(got, e)
			}
		}
		return len(got) > 0
	}, waitFor, tick)
	assert.Equal(t, "unknown", got[0].kind, "li's finger is not wang's: %+v", got)
	r.lift("gate-2")
	e := r.touch("gate-2", 9)
	assert.Equal(t, "finger", e.kind)
	assert.Equal(t, 0, e.slot)
}

// After a module returns, its templates are verified one by one between
// polls: a stale one is rewritten, a good one only read back.
func TestTemplatesVerifiedInBackground(t *testing.T) {
	r := newRig(t, nil, "gate-1", "gate-2")
	n := reuseSlotWhileOffline(t, r, 8) // another resident's finger at slot 1

	w := r.wires["gate-2"]
	up, down := w.commands(fpm.InsUpChar), w.commands(fpm.InsDownChar)
	r.emus["gate-2"].Silent(false)
	r.waitState(n, "gate-2", true)
	require.Eventually(t, func() bool {
		st := r.status("gate-2")
		return st.Online && !st.LastReconcile.IsZero() && st.Unverified == 0 && w.commands(fpm.InsUpChar) >= up+2
	}, waitFor, tick, "both templates verified without a touch")
	assert.Equal(t, up+2, w.commands(fpm.InsUpChar), "each read back once")
	assert.Equal(t, down+1, w.commands(fpm.InsDownChar), "only li's slot rewritten")

	assert.Equal(t, "unknown", r.touch("gate-2", 7).kind)
	assert.Equal(t, 0, r.touch("gate-2", 9).slot)
	assert.Equal(t, 1, r.touch("gate-2", 8).slot)
}

// reuseSlotWhileOffline enrols li's finger 7 at slot 0, then the fingers
// others (a resident each, slots 1…) on gate-1 and gate-2; silences
// gate-2; removes li and enrols wang's finger 9, which takes li's slot. It
// returns the mark taken before gate-2 went silent.
func reuseSlotWhileOffline(t *testing.T, r *rig, others ...int) int {
	t.Helper()
	for i, finger := range append([]int{7}, others...) {
		who := "li"
		if i > 0 {
			who = fmt.Sprintf("resident-%d", i)
		}
		tmpl, err := r.enrol("gate-1", finger, who)
		require.NoError(t, err)
		require.Equal(t, i, tmpl.Slot)
	}
	n := r.mark()
	r.emus["gate-2"].Silent(true)
	r.waitState(n, "gate-2", false)
	require.NoError(t, r.m.Remove(t.Context(), "li"))
	tmpl, err := r.enrol("gate-1", 9, "wang")
	require.NoError(t, err)
	require.Equal(t, 0, tmpl.Slot, "li's slot")
	return n
}

func TestEnrolFailures(t *testing.T) {
	r := newRig(t, func(c *fingers.Config) {
		c.EnrollTimeout = 200 * time.Millisecond
		c.Modules = append(c.Modules, fingers.ModuleConfig{Name: "zk", Model: "zk4500",
			Open: func() (io.ReadWriteCloser, error) { return nil, errors.New("unplugged") }})
	}, "gate-1")
	_, err := r.enrol("gate-1", 7, "li")
	require.NoError(t, err)

	tests := []struct {
		name    string
		module  string
		targets []string
		fingers []int // placed when prompted: the first, then the last again
		want    error
	}{
		{name: "unknown module", module: "gate-9", want: fingers.ErrUnknownModule},
		{name: "unknown target", module: "gate-1", targets: []string{"gate-9"}, want: fingers.ErrUnknownModule},
		{name: "target of another model", module: "gate-1", targets: []string{"zk"}, want: fingers.ErrModel},
		{name: "module offline", module: "zk", want: fingers.ErrOffline},
		{name: "finger already enrolled", module: "gate-1", fingers: []int{7}, want: fingers.ErrAlreadyEnrolled},
		{name: "no finger", module: "gate-1", want: fingers.ErrFingerTimeout},
		{name: "two fingers", module: "gate-1", fingers: []int{30, 31}, want: fpm.ErrMergeFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.play("gate-1", tt.fingers...)
			_, err := r.m.Enroll(t.Context(), tt.module, "wang", tt.targets)
			assert.ErrorIs(t, err, tt.want)
			r.play("gate-1")
			r.emus["gate-1"].RemoveFinger()
		})
	}
	stored, err := r.store.Templates()
	require.NoError(t, err)
	assert.Len(t, stored, 1, "nothing stored by the failures")
	assert.Equal(t, map[int]bool{0: true}, r.slots("gate-1"))
}

func TestNotRunning(t *testing.T) {
	_, err := fingers.New(fingers.Config{Store: newMemStore(), Modules: []fingers.ModuleConfig{{Name: "gate-1"}}})
	require.Error(t, err, "a module needs Open")

	unplugged := func() (io.ReadWriteCloser, error) { return nil, errors.New("unplugged") }
	m, err := fingers.New(fingers.Config{Store: newMemStore(), Modules: []fingers.ModuleConfig{{Name: "gate-1", Open: unplugged}}})
	require.NoError(t, err)
	short, stop := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer stop()
	_, err = m.Enroll(short, "gate-1", "li", nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "waits for Run")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.NoError(t, m.Run(ctx))
	assert.Error(t, m.Run(ctx), "Run runs once")
	_, _, err = m.Reconcile(t.Context(), "gate-1")
	assert.ErrorIs(t, err, fingers.ErrNotRunning)
}
