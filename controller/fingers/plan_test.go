package fingers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/fpm"
)

func tmpl(slot int) Template {
	return Template{Slot: slot, Identity: fmt.Sprint("id", slot), Model: "r307", Data: []byte{byte(slot)}}
}

func TestMakePlan(t *testing.T) {
	tests := []struct {
		name   string
		used   []int
		want   []int
		remove []span
		add    []int
		keep   []int
	}{
		{name: "empty"},
		{name: "fill an empty module", want: []int{0, 1, 5}, add: []int{0, 1, 5}},
		{name: "wipe a module", used: []int{0, 1, 2, 7}, remove: []span{{0, 3}, {7, 1}}},
		{name: "in step", used: []int{3, 4}, want: []int{3, 4}, keep: []int{3, 4}},
		{name: "mixed", used: []int{9, 1, 2, 4, 5, 6}, want: []int{2, 3, 5},
			remove: []span{{1, 1}, {4, 1}, {6, 1}, {9, 1}}, add: []int{3}, keep: []int{2, 5}},
		{name: "duplicates in the index", used: []int{1, 1, 2}, remove: []span{{1, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := map[int]Template{}
			for _, s := range tt.want {
				want[s] = tmpl(s)
			}
			p := makePlan(tt.used, want)
			assert.Equal(t, tt.remove, p.remove, "remove")
			assert.Equal(t, tt.add, slotsOf(p.add), "add")
			assert.Equal(t, tt.keep, slotsOf(p.keep), "keep")
		})
	}
}

func slotsOf(ts []Template) []int {
	var out []int
	for _, t := range ts {
		out = append(out, t.Slot)
	}
	return out
}

func TestWanted(t *testing.T) {
	mod := ModuleConfig{Name: "gate-1", Model: "r307"}
	all := []Template{
		tmpl(0),
		{Slot: 1, Model: "r307", Data: []byte{1}, Modules: []string{"gate-2", "gate-1"}},
		{Slot: 2, Model: "r307", Data: []byte{1}, Modules: []string{"gate-2"}}, // another module's
		{Slot: 3, Model: "zk4500", Data: []byte{1}},                            // another model's
		{Slot: 4, Model: "r307"},                                                 // no data
		{Slot: 0, Model: "r307", Data: []byte{2}},                                // slot 0 again
		{Slot: 300, Model: "r307", Data: []byte{1}},                              // beyond the library
		{Slot: 5, Model: "r307", Data: make([]byte, fpm.MaxTransfer+1)},          // too long
		{Slot: -1, Model: "r307", Data: []byte{1}},                               // no slot
		{Slot: 299, Model: "r307", Data: []byte{1}, Modules: []string{"gate-1"}}, // the last
	}
	want, skipped := wanted(all, mod, 300)
	assert.Equal(t, []int{0, 1, 299}, slotsOf(makePlan(nil, want).add))
	assert.Equal(t, []byte{0}, want[0].Data, "the first template at a slot")
	assert.Equal(t, 5, skipped)
}

func TestLowestFree(t *testing.T) {
	tests := []struct {
		used  []int
		limit int
		slot  int
		ok    bool
	}{
		{nil, 300, 0, true},
		{[]int{0, 1, 3}, 300, 2, true},
		{[]int{1, 2}, 300, 0, true},
		{[]int{0, 1, 2}, 3, 0, false},
		{[]int{0, 1, 2, 500}, 300, 3, true},
	}
	for _, tt := range tests {
		var all []Template
		for _, s := range tt.used {
			all = append(all, tmpl(s))
		}
		slot, ok := lowestFree(all, tt.limit)
		assert.Equal(t, tt.ok, ok, "%v", tt.used)
		if tt.ok {
			assert.Equal(t, tt.slot, slot, "%v", tt.used)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{min: time.Second, max: 10 * time.Second, rand: func() float64 { return 0.5 }}
	var got []time.Duration
	for range 6 {
		got = append(got, b.next())
	}
	s := time.Second
	assert.Equal(t, []time.Duration{s / 2, s, 2 * s, 4 * s, 5 * s, 5 * s}, got)
	b.reset()
	assert.Equal(t, s/2, b.next())
}

func TestSessionCheck(t *testing.T) {
	tests := []struct {
		err  error
		down bool
	}{
		{nil, false},
		{fmt.Errorf("fpm: GenImg: %w", fpm.ErrTimeout), true},
		{fmt.Errorf("fpm: GenImg: read: %w", io.ErrUnexpectedEOF), true},
		{&fpm.ConfirmError{Cmd: fpm.InsGenImg, Code: fpm.CodeNoFinger}, false},
		{&fpm.ConfirmError{Cmd: fpm.InsStore, Code: fpm.CodeFlash}, false},
		{&fpm.ConfirmError{Cmd: fpm.InsGenImg, Code: fpm.CodePasswordRequired}, true},
		{fmt.Errorf("fpm: Search: %w", context.Canceled), false},
		{fmt.Errorf("fpm: Store: page 70000: %w", fpm.ErrBadPage), false},
	}
	for _, tt := range tests {
		s := &session{}
		assert.Equal(t, tt.err, s.check(tt.err))
		assert.Equal(t, tt.down, s.down != nil, "%v", tt.err)
	}
}

func TestConfig(t *testing.T) {
	open := func() (io.ReadWriteCloser, error) { return nil, errors.New("no") }
	store := &nopStore{}
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{name: "no modules", cfg: Config{Store: store}, ok: true},
		{name: "no store", cfg: Config{}},
		{name: "one module", cfg: Config{Store: store, Modules: []ModuleConfig{{Name: "a", Open: open}}}, ok: true},
		{name: "no name", cfg: Config{Store: store, Modules: []ModuleConfig{{Open: open}}}},
		{name: "no open", cfg: Config{Store: store, Modules: []ModuleConfig{{Name: "a"}}}},
		{name: "twice", cfg: Config{Store: store, Modules: []ModuleConfig{{Name: "a", Open: open}, {Name: "a", Open: open}}}},
		{name: "too many slots", cfg: Config{Store: store, Modules: []ModuleConfig{{Name: "a", Open: open, Slots: 1025}}}},
		{name: "negative poll", cfg: Config{Store: store, Modules: []ModuleConfig{{Name: "a", Open: open, PollInterval: -1}}}},
		{name: "negative backoff", cfg: Config{Store: store, MinBackoff: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			assert.Equal(t, tt.ok, err == nil, "%v", err)
		})
	}

	m, err := New(Config{Store: store, MinBackoff: 2 * time.Minute, Modules: []ModuleConfig{{Name: "a", Open: open}}})
	require.NoError(t, err)
	assert.Equal(t, 250*time.Millisecond, m.cfg.Modules[0].PollInterval)
	assert.Equal(t, 300, m.cfg.Modules[0].Slots)
	assert.Equal(t, 10*time.Minute, m.cfg.ReconcileEvery)
	assert.Equal(t, 30*time.Second, m.cfg.EnrollTimeout)
	assert.Equal(t, 2*time.Minute, m.cfg.MaxBackoff, "raised to MinBackoff")
}

type nopStore struct{}

func (nopStore) Templates() ([]Template, error)        { return nil, nil }
func (nopStore) PutTemplate(Template) error            { return nil }
func (nopStore) DeleteTemplates(string) ([]int, error) { return nil, nil }

// A module that cannot be opened is reported offline once and retried
// with jittered exponential back-off on the injected clock.
func TestOfflineBackoff(t *testing.T) {
	waits := make(chan time.Duration)
	var states []bool
	m, err := New(Config{
		Store:      nopStore{},
		Modules:    []ModuleConfig{{Name: "a", Open: func() (io.ReadWriteCloser, error) { return nil, errors.New("unplugged") }}},
		OnState:    func(_ string, on bool, _ error) { states = append(states, on) },
		MinBackoff: time.Second,
		MaxBackoff: 8 * time.Second,
		Rand:       func() float64 { return 0.5 },
		After: func(d time.Duration) <-chan time.Time {
			waits <- d
			c := make(chan time.Time, 1)
			c <- time.Time{}
			return c
		},
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan error, 1)
	go func() { ran <- m.Run(ctx) }()
	var got []time.Duration
	for range 6 {
		got = append(got, <-waits)
	}
	cancel()
	go func() {
		for range waits {
		}
	}()
	require.NoError(t, <-ran)
	close(waits)
	s := time.Second
	assert.Equal(t, []time.Duration{s / 2, s, 2 * s, 4 * s, 4 * s, 4 * s}, got)
	assert.Equal(t, []bool{false}, states)
	st := m.Status()
	require.Len(t, st, 1)
	assert.False(t, st[0].Online)
	assert.ErrorContains(t, st[0].Err, "unplugged")
}
