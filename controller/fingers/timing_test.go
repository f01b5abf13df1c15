package fingers_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/fingers"
	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

// realistic sets every module's reply timeout to the default (2 s): the
// rig's short test timeout is shorter than a real module's capture.
func realistic(cfg *fingers.Config) {
	for i := range cfg.Modules {
		cfg.Modules[i].Timeout = 0
	}
}

// With modules that take as long as real ones (fpmodule.R307Timing: a
// capture 300 ms, a char file 200 ms, a search 300 ms) and the default
// timeout, enrolment and identification work and no module goes offline.
func TestRealisticModuleTiming(t *testing.T) {
	r := newRigWith(t, fpmodule.Config{Timing: fpmodule.R307Timing()}, realistic, "gate-1")
	n := r.mark()
	tmpl, err := r.enrol("gate-1", 7, "li")
	require.NoError(t, err)
	assert.Equal(t, fpmodule.Finger(7), tmpl.Data)

	e := r.touch("gate-1", 7)
	assert.Equal(t, "finger", e.kind)
	assert.Equal(t, tmpl.Slot, e.slot)
	assert.Equal(t, "unknown", r.touch("gate-1", 8).kind)
	assert.Empty(t, r.states(n, "gate-1"), "never offline")
}

// A module slower than its timeout (a capture of 300 ms against 100 ms) is
// reported offline with a timeout as soon as a finger makes it work, rather
// than holding the manager, and comes back once it answers in time again.
func TestModuleSlowerThanItsTimeout(t *testing.T) {
	r := newRigWith(t, fpmodule.Config{Timing: fpmodule.R307Timing()}, func(cfg *fingers.Config) {
		for i := range cfg.Modules {
			cfg.Modules[i].Timeout = 100 * time.Millisecond
		}
	}, "gate-1")
	n := r.mark()
	r.emus["gate-1"].PutFinger(7)
	r.waitState(n, "gate-1", false)
	var offline event
	for _, e := range r.since(n, "gate-1") {
		if e.kind == "state" && !e.online {
			offline = e
			break
		}
	}
	assert.ErrorIs(t, offline.err, fpm.ErrTimeout)
	for _, e := range r.since(n, "gate-1") {
		assert.NotEqual(t, "finger", e.kind, "no read from a module that timed out")
	}

	r.emus["gate-1"].RemoveFinger()
	r.waitState(n, "gate-1", true)
}
