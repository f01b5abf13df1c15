package fpm_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

// vclock is virtual time shared by the driver (its timeouts) and the
// emulated module (its processing times). Each party's After starts a timer
// at now+d; call fires the timers in deadline order whenever both parties
// wait, so whichever is shorter, the module's work or the driver's timeout,
// wins as on a wall clock, and nobody waits for either.
type vclock struct {
	mu      sync.Mutex
	now     time.Duration
	timers  []*vtimer
	changed chan struct{}
}

type vtimer struct {
	at    time.Duration
	owner string
	ch    chan time.Time
}

func newVClock() *vclock { return &vclock{changed: make(chan struct{}, 1)} }

// after is the After of one party: "driver" or "module".
func (c *vclock) after(owner string) func(time.Duration) <-chan time.Time {
	return func(d time.Duration) <-chan time.Time {
		c.mu.Lock()
		defer c.mu.Unlock()
		tm := &vtimer{at: c.now + d, owner: owner, ch: make(chan time.Time, 1)}
		c.timers = append(c.timers, tm)
		select {
		case c.changed <- struct{}{}:
		default:
		}
		return tm.ch
	}
}

// Now is how much virtual time has passed.
func (c *vclock) Now() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// step fires the earliest timer if both parties have one running, and
// reports whether it did.
func (c *vclock) step() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	has := func(owner string) bool {
		return slices.ContainsFunc(c.timers, func(tm *vtimer) bool { return tm.owner == owner })
	}
	if !has("driver") || !has("module") {
		return false
	}
	i := 0
	for j, tm := range c.timers {
		if tm.at < c.timers[i].at {
			i = j
		}
	}
	tm := c.timers[i]
	c.timers = slices.Delete(c.timers, i, i+1)
	c.now = tm.at
	tm.ch <- time.Time{}
	return true
}

// drop forgets the driver's timers: once a call has returned, nobody waits
// on them.
func (c *vclock) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = slices.DeleteFunc(c.timers, func(tm *vtimer) bool { return tm.owner == "driver" })
}

// call runs one driver call to its end, advancing virtual time as needed.
// It fails the test if the call neither returns nor waits on the clock:
// the driver hung.
func (c *vclock) call(t *testing.T, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	for {
		for c.step() {
		}
		select {
		case err := <-done:
			c.drop()
			return err
		case <-c.changed:
		case <-time.After(10 * time.Second):
			t.Fatal("the driver call neither returned nor waited on its clock")
		}
	}
}

// The driver against a module that takes as long as a real one
// (fpmodule.R307Timing) and the driver's default timeout: every operation
// succeeds, and the module's time really passed.
func TestDriverWithRealisticModuleTiming(t *testing.T) {
	clk := newVClock()
	r := startRig(t, fpm.Config{After: clk.after("driver")},
		fpmodule.Config{Timing: fpmodule.R307Timing(), After: clk.after("module")})
	ctx := t.Context()
	ok := func(name string, f func() error) {
		t.Helper()
		require.NoError(t, clk.call(t, f), name)
	}
	ok("handshake", func() error { _, err := r.mod.Handshake(ctx); return err })
	r.emu.PutFinger(7)
	for _, buf := range []fpm.Buffer{fpm.CharBuffer1, fpm.CharBuffer2} {
		ok("capture", func() error { return r.mod.Capture(ctx) })
		ok("char file", func() error { return r.mod.ToBuffer(ctx, buf) })
	}
	ok("match", func() error { _, err := r.mod.Match(ctx); return err })
	ok("merge", func() error { return r.mod.Merge(ctx) })
	ok("store", func() error { return r.mod.Store(ctx, fpm.CharBuffer1, 5) })
	var tmpl []byte
	ok("upload", func() (err error) { tmpl, err = r.mod.Upload(ctx, fpm.CharBuffer1); return err })
	assert.Equal(t, fpmodule.Finger(7), tmpl)
	ok("download", func() error { return r.mod.Download(ctx, fpm.CharBuffer2, tmpl) })
	ok("capture", func() error { return r.mod.Capture(ctx) })
	ok("char file", func() error { return r.mod.ToBuffer(ctx, fpm.CharBuffer1) })
	var page int
	ok("search", func() (err error) { page, _, err = r.mod.Search(ctx, fpm.CharBuffer1, 0, 300); return err })
	assert.Equal(t, 5, page)
	ok("count", func() error { _, err := r.mod.Count(ctx); return err })
	ok("index", func() error { _, err := r.mod.Index(ctx); return err })

	// Three captures, three char files, match, merge, store, a search of
	// six pages, and nine quick ones (VfyPwd, ReadSysPara, UpChar, DownChar,
	// TemplateNum, four ReadIndexTable): 1.878 s of the module's work.
	tm := fpmodule.R307Timing()
	want := 3*tm.GenImg + 3*tm.Img2Tz + tm.Match + tm.RegModel + tm.Store +
		tm.Search + 6*tm.SearchPerPage + 9*tm.Other
	assert.Equal(t, want, clk.Now())
}

// A module slower than the driver's timeout: the call reports ErrTimeout
// when the timeout expires, and does not wait for the module.
func TestDriverTimesOutOnASlowModule(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration // the driver's; 0 is its default, 2 s
		timing  fpmodule.Timing
		call    func(ctx context.Context, m *fpm.Module) error
	}{
		{"capture slower than a short timeout", 200 * time.Millisecond, fpmodule.R307Timing(),
			func(ctx context.Context, m *fpm.Module) error { return m.Capture(ctx) }},
		{"capture slower than the default timeout", 0, fpmodule.Timing{GenImg: 3 * time.Second},
			func(ctx context.Context, m *fpm.Module) error { return m.Capture(ctx) }},
		{"search slower than the default timeout", 0, fpmodule.Timing{Search: time.Second, SearchPerPage: 5 * time.Millisecond},
			func(ctx context.Context, m *fpm.Module) error {
				_, _, err := m.Search(ctx, fpm.CharBuffer1, 0, 300)
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newVClock()
			r := startRig(t, fpm.Config{Timeout: tc.timeout, After: clk.after("driver")},
				fpmodule.Config{Timing: tc.timing, After: clk.after("module")})
			r.emu.PutFinger(7)
			err := clk.call(t, func() error { return tc.call(t.Context(), r.mod) })
			require.ErrorIs(t, err, fpm.ErrTimeout)
			want := tc.timeout
			if want == 0 {
				want = 2 * time.Second
			}
			assert.Equal(t, want, clk.Now(), "given up when the timeout expired")
		})
	}
}
