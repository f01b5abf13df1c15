package fingers_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"menwei/controller/fingers"
	"menwei/devices/fpm"
	"menwei/devices/serialport"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/fpmodule"
)

// memStore is the controller's template store, in memory.
type memStore struct {
	mu sync.Mutex
	ts map[int]fingers.Template
}

var _ fingers.TemplateStore = (*memStore)(nil)

func newMemStore() *memStore { return &memStore{ts: map[int]fingers.Template{}} }

func (s *memStore) Templates() ([]fingers.Template, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]fingers.Template, 0, len(s.ts))
	for _, slot := range slices.Sorted(maps.Keys(s.ts)) {
		out = append(out, s.ts[slot])
	}
	return out, nil
}

func (s *memStore) PutTemplate(t fingers.Template) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ts[t.Slot]; ok {
		return fmt.Errorf("slot %d taken", t.Slot)
	}
	t.Data = slices.Clone(t.Data)
	t.Modules = slices.Clone(t.Modules)
	s.ts[t.Slot] = t
	return nil
}

func (s *memStore) DeleteTemplates(identity string) ([]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var freed []int
	for slot, t := range s.ts {
		if t.Identity == identity {
			freed = append(freed, slot)
			delete(s.ts, slot)
		}
	}
	slices.Sort(freed)
	return freed, nil
}

// wire counts what the driver writes to a port: bytes, and commands by
// instruction. The driver writes one packet per Write.
type wire struct {
	written atomic.Int64 // host to module
	read    atomic.Int64 // module to host
	cmds    [256]atomic.Int64
}

func (w *wire) commands(ins fpm.Instruction) int64 { return w.cmds[ins].Load() }

// counted is a port whose writes are counted on a wire.
type counted struct {
	io.ReadWriteCloser
	w *wire
}

func (c counted) Read(p []byte) (int, error) {
	n, err := c.ReadWriteCloser.Read(p)
	c.w.read.Add(int64(n))
	return n, err
}

func (c counted) Write(p []byte) (int, error) {
	n, err := c.ReadWriteCloser.Write(p)
	c.w.written.Add(int64(n))
	if pkt, _, derr := fpm.Decode(p); derr == nil && pkt.PID == fpm.PIDCommand {
		c.w.cmds[pkt.Data[0]].Add(1)
	}
	return n, err
}

// emulate starts an emulated module on a pty for the length of the test
// and returns it with an Open that dials it through serialport, its writes
// counted on w.
func emulate(t testing.TB, ecfg fpmodule.Config, w *wire) (*fpmodule.Module, func() (io.ReadWriteCloser, error)) {
	t.Helper()
	master, slave := serialporttest.PtyPair(t)
	emu, err := fpmodule.New(ecfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- emu.Serve(ctx, master) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-served)
	})
	open := func() (io.ReadWriteCloser, error) {
		p, err := serialport.Open(serialport.Config{Device: slave, Baud: 57600})
		if err != nil {
			return nil, err
		}
		return counted{p, w}, nil
	}
	return emu, open
}

// event is one callback of the Manager.
type event struct {
	kind   string // finger, unknown, bad, state, prompt
	module string
	slot   int
	score  int
	online bool
	err    error
	prompt fingers.Prompt
}

// rig is a Manager running over emulated modules on ptys, with an
// in-memory store, recording its callbacks.
type rig struct {
	t     testing.TB
	m     *fingers.Manager
	store *memStore
	emus  map[string]*fpmodule.Module
	wires map[string]*wire

	mu      sync.Mutex
	events  []event
	placing map[string][]int // the fingers an enrolment at a module puts on, first and again
}

const (
	testPoll    = 10 * time.Millisecond
	testTimeout = 300 * time.Millisecond
	waitFor     = 10 * time.Second
	tick        = 5 * time.Millisecond
)

// newRig starts a Manager over modules of model "r307" named names; tweak,
// if not nil, adjusts its Config. It returns once every module has been
// reconciled.
func newRig(t testing.TB, tweak func(*fingers.Config), names ...string) *rig {
	t.Helper()
	return newRigWith(t, fpmodule.Config{}, tweak, names...)
}

// newRigWith is newRig with emulated modules configured by ecfg.
func newRigWith(t testing.TB, ecfg fpmodule.Config, tweak func(*fingers.Config), names ...string) *rig {
	t.Helper()
	r := &rig{t: t, store: newMemStore(), emus: map[string]*fpmodule.Module{},
		wires: map[string]*wire{}, placing: map[string][]int{}}
	cfg := fingers.Config{
		Store:         r.store,
		OnFinger:      func(m string, slot, score int) { r.record(event{kind: "finger", module: m, slot: slot, score: score}) },
		OnUnknown:     func(m string) { r.record(event{kind: "unknown", module: m}) },
		OnBadImage:    func(m string) { r.record(event{kind: "bad", module: m}) },
		OnState:       func(m string, on bool, err error) { r.record(event{kind: "state", module: m, online: on, err: err}) },
		OnPrompt:      r.prompt,
		EnrollTimeout: 5 * time.Second,
		MinBackoff:    20 * time.Millisecond,
		MaxBackoff:    200 * time.Millisecond,
	}
	for _, name := range names {
		w := &wire{}
		emu, open := emulate(t, ecfg, w)
		r.emus[name], r.wires[name] = emu, w
		cfg.Modules = append(cfg.Modules, fingers.ModuleConfig{Name: name, Open: open, Model: "r307",
			PollInterval: testPoll, Timeout: testTimeout})
	}
	if tweak != nil {
		tweak(&cfg)
	}
	m, err := fingers.New(cfg)
	require.NoError(t, err)
	r.m = m
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-ran)
	})
	require.Eventually(t, func() bool {
		for _, st := range m.Status() {
			if r.emus[st.Name] != nil && (!st.Online || st.LastReconcile.IsZero()) {
				return false
			}
		}
		return true
	}, waitFor, tick, "modules online and reconciled")
	return r
}

func (r *rig) record(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// prompt plays the resident at an enrolment: puts the finger on when asked,
// takes it off when asked.
func (r *rig) prompt(module string, p fingers.Prompt) {
	r.record(event{kind: "prompt", module: module, prompt: p})
	r.mu.Lock()
	placing := r.placing[module]
	r.mu.Unlock()
	switch {
	case len(placing) == 0:
	case p == fingers.PromptLift:
		r.emus[module].RemoveFinger()
	case p == fingers.PromptPlace:
		r.emus[module].PutFinger(placing[0])
	default:
		r.emus[module].PutFinger(placing[len(placing)-1])
	}
}

// since returns the events of module from the n-th event on.
func (r *rig) since(n int, module string) []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []event
	for _, e := range r.events[n:] {
		if e.module == module {
			out = append(out, e)
		}
	}
	return out
}

func (r *rig) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// enrol enrols finger at module for identity, the resident following the
// prompts.
func (r *rig) enrol(module string, finger int, identity string, targets ...string) (fingers.Template, error) {
	r.play(module, finger)
	defer r.lift(module)
	return r.m.Enroll(r.t.Context(), module, identity, targets)
}

// play has the resident enrolling at module put fingers on when prompted:
// the first, then the last again; none, nothing.
func (r *rig) play(module string, fingers ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.placing[module] = fingers
}

// lift takes the finger off module's sensor and waits until the module has
// seen it gone: a GenImg sent after the lift has been answered.
func (r *rig) lift(module string) {
	r.t.Helper()
	r.emus[module].RemoveFinger()
	r.waitCommands(module, fpm.InsGenImg, 2)
}

// waitCommands waits until module has been sent n more ins commands.
func (r *rig) waitCommands(module string, ins fpm.Instruction, n int64) {
	r.t.Helper()
	w := r.wires[module]
	from := w.commands(ins)
	require.Eventually(r.t, func() bool { return w.commands(ins) >= from+n }, waitFor, tick,
		"%s: %d more %v", module, n, ins)
}

// touch puts finger on module's sensor, returns what the Manager reported
// of it, and lifts it.
func (r *rig) touch(module string, finger int) event {
	r.t.Helper()
	n := r.mark()
	r.emus[module].PutFinger(finger)
	var got event
	require.Eventually(r.t, func() bool {
		for _, e := range r.since(n, module) {
			if e.kind == "finger" || e.kind == "unknown" || e.kind == "bad" {
				got = e
				return true
			}
		}
		return false
	}, waitFor, tick, "%s: finger %d read", module, finger)
	r.lift(module)
	return got
}

// states returns module's OnState reports from the n-th event on.
func (r *rig) states(n int, module string) []bool {
	var out []bool
	for _, e := range r.since(n, module) {
		if e.kind == "state" {
			out = append(out, e.online)
		}
	}
	return out
}

// waitState waits for module to be reported online or offline after the
// n-th event.
func (r *rig) waitState(n int, module string, online bool) {
	r.t.Helper()
	require.Eventually(r.t, func() bool {
		return slices.Contains(r.states(n, module), online)
	}, waitFor, tick, "%s online=%v", module, online)
}

func (r *rig) status(module string) fingers.ModuleStatus {
	for _, st := range r.m.Status() {
		if st.Name == module {
			return st
		}
	}
	r.t.Fatalf("no module %s", module)
	return fingers.ModuleStatus{}
}

// slots is the used library pages of the emulated module.
func (r *rig) slots(module string) map[int]bool { return r.emus[module].Slots() }
