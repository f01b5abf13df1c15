package door

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
		want    Config
	}{
		{"defaults", Config{Name: "gate"}, "",
			Config{Name: "gate", Pulse: 3 * s, HeldOpen: 30 * s, REXPulse: 3 * s, ExcuseWindow: 10 * s}},
		{"rex pulse follows pulse", Config{Pulse: 5 * s}, "",
			Config{Pulse: 5 * s, HeldOpen: 30 * s, REXPulse: 5 * s, ExcuseWindow: 10 * s}},
		{"set values kept", Config{Pulse: 1 * s, HeldOpen: 2 * s, REXPulse: 4 * s, ExcuseWindow: 5 * s, Contact: true, FailSafe: true, REXUnlocks: true}, "",
			Config{Pulse: 1 * s, HeldOpen: 2 * s, REXPulse: 4 * s, ExcuseWindow: 5 * s, Contact: true, FailSafe: true, REXUnlocks: true}},
		{"negative pulse", Config{Name: "gate", Pulse: -1}, `door: bad config: door "gate": pulse -1ns is negative`, Config{}},
		{"negative held open", Config{HeldOpen: -s}, "held_open -1s is negative", Config{}},
		{"negative rex pulse", Config{REXPulse: -s}, "rex_pulse -1s is negative", Config{}},
		{"negative excuse window", Config{ExcuseWindow: -s}, "excuse_window -1s is negative", Config{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, acts, err := New(tt.cfg, t0)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, ErrConfig)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Nil(t, d)
				assert.Nil(t, acts)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, d.cfg)
			assert.Equal(t, []Action{{Kind: Lock}}, acts)
			assert.Equal(t, State{Mode: Normal, Locked: true, LockOnline: true}, d.State())
			assert.True(t, d.Deadline().IsZero())
		})
	}
}

func TestSetModeRefused(t *testing.T) {
	tests := []struct {
		name    string
		from    Mode
		to      Mode
		wantErr error
	}{
		{"unknown", Normal, Mode(3), ErrUnknownMode},
		{"negative", Lockdown, Mode(-1), ErrUnknownMode},
		{"lockdown during emergency", EmergencyUnlock, Lockdown, ErrEmergency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, err := New(Config{Contact: true}, t0)
			require.NoError(t, err)
			_, err = d.SetMode(t0, tt.from)
			require.NoError(t, err)
			d.Grant(t0) // a release to show nothing moves, not even the clock
			before := *d
			acts, err := d.SetMode(t0.Add(time.Hour), tt.to)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Nil(t, acts)
			assert.Equal(t, before, *d)
		})
	}
}

func TestDeadline(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		steps []step
		want  time.Duration // since t0; -1: none
	}{
		{"idle", Config{Contact: true}, nil, -1},
		{"pulse", Config{Contact: true}, []step{{at: 1 * s, in: grant}}, 4 * s},
		{"held open", Config{Contact: true}, []step{{at: 0, in: closes}, {at: 2 * s, in: opens}}, 32 * s},
		{"held open before pulse end", Config{Contact: true, Pulse: 20 * s, HeldOpen: 5 * s},
			[]step{{at: 0, in: closes}, {at: 0, in: grant}, {at: 1 * s, in: opens}}, 6 * s},
		{"pulse end before held open", Config{Contact: true}, []step{{at: 0, in: closes}, {at: 0, in: grant}, {at: 1 * s, in: opens}}, 3 * s},
		{"held open alarm raised", Config{Contact: true}, []step{{at: 0, in: opens}, {at: 30 * s, in: tick}}, -1},
		{"emergency", Config{Contact: true}, []step{{at: 0, in: grant}, {at: 1 * s, in: emerg}}, -1},
		{"excuse window is not a deadline", Config{Contact: true}, []step{{at: 0, in: rex}}, -1},
		{"grant while offline starts no pulse", Config{}, []step{{at: 0, in: offline}, {at: 1 * s, in: grant}}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, _, err := New(tt.cfg, t0)
			require.NoError(t, err)
			for _, s := range tt.steps {
				s.in.do(d, t0.Add(s.at))
			}
			if tt.want < 0 {
				assert.True(t, d.Deadline().IsZero(), "deadline %v", d.Deadline())
				return
			}
			assert.Equal(t, t0.Add(tt.want), d.Deadline())
			dl := d.Deadline()
			assert.Empty(t, d.Tick(dl.Add(-1)), "early tick")
			assert.Equal(t, dl, d.Deadline(), "early tick moved the deadline")
			d.Tick(dl)
			next := d.Deadline()
			assert.True(t, next.IsZero() || next.After(dl), "deadline %v after a tick at %v", next, dl)
		})
	}
}

func TestMode(t *testing.T) {
	for _, m := range []Mode{Normal, EmergencyUnlock, Lockdown} {
		got, err := ParseMode(m.String())
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
	assert.Equal(t, "emergency_unlock", EmergencyUnlock.String())
	assert.Equal(t, "mode(7)", Mode(7).String())
	for _, bad := range []string{"", "Normal", "mode(7)", "emergency"} {
		_, err := ParseMode(bad)
		assert.ErrorIs(t, err, ErrUnknownMode, bad)
	}
	var m Mode
	require.NoError(t, json.Unmarshal([]byte(`"lockdown"`), &m))
	assert.Equal(t, Lockdown, m)
	assert.ErrorIs(t, json.Unmarshal([]byte(`"party"`), &m), ErrUnknownMode)
	_, err := json.Marshal(Mode(9))
	assert.True(t, errors.Is(err, ErrUnknownMode), "%v", err)
}

func TestStateJSON(t *testing.T) {
	d, _, err := New(Config{FailSafe: true, Contact: true}, t0)
	require.NoError(t, err)
	d.SetMode(t0, Lockdown)
	d.LockOnline(t0, false)
	b, err := json.Marshal(d.State())
	require.NoError(t, err)
	assert.JSONEq(t, `{"mode":"lockdown","locked":true,"open":false,"lock_online":false,
		"alarms":{"held_open":false,"forced":false,"unsecured":true},"assumed":"unlocked"}`, string(b))
}

func TestStateIsACopy(t *testing.T) {
	d, _, err := New(Config{Contact: true}, t0)
	require.NoError(t, err)
	st := d.State()
	st.Alarms.Forced, st.Mode = true, Lockdown
	assert.Equal(t, State{Mode: Normal, Locked: true, LockOnline: true}, d.State())
}

func TestActionString(t *testing.T) {
	tests := []struct {
		a    Action
		want string
	}{
		{unlock(3 * s), "unlock(3s)"},
		{hold, "unlock_hold"},
		{lock, "lock"},
		{ev(EventOpened), "door.opened"},
		{evd(EventMode, "lockdown"), "door.mode: lockdown"},
		{Action{}, "action(0)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.a.String())
	}
}
