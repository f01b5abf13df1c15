package alerts

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"menwei/controller/eventlog"
)

func TestAlerts(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	w := New(Config{Denials: Threshold{3, time.Minute}, UnknownRepeat: Threshold{2, 5 * time.Minute}, WrongPIN: Threshold{2, time.Minute}})
	kinds := func(evs []eventlog.Event) []string {
		var k []string
		for _, e := range evs {
			k = append(k, e.Kind)
			assert.True(t, e.Alarm)
		}
		return k
	}
	deny := func(at time.Duration, door, ref, reason, who string) []string {
		return kinds(w.Observe(eventlog.Event{Time: t0.Add(at), Kind: "access.denied", Door: door, CardRef: ref, Reason: reason, Identity: who}))
	}
	assert.Empty(t, deny(0, "gate", "c1", "unknown_card", ""))
	assert.Equal(t, []string{UnknownRepeated}, deny(10*time.Second, "gate", "c1", "unknown_card", ""), "same unknown card twice")
	assert.Equal(t, []string{DenialBurst}, deny(20*time.Second, "gate", "c2", "unknown_card", ""), "third denial at the gate within a minute")
	assert.Empty(t, deny(30*time.Second, "gate", "c3", "outside_schedule", "li"), "burst already reported in this window")
	assert.Empty(t, deny(40*time.Second, "north", "", "wrong_pin", "wang"))
	assert.Equal(t, []string{WrongPINs}, deny(50*time.Second, "north", "", "wrong_pin", "wang"))
	// Two minutes later the window has passed: three fresh denials alert again.
	deny(3*time.Minute, "gate", "c9", "x", "a")
	deny(3*time.Minute+time.Second, "gate", "c8", "x", "b")
	assert.Equal(t, []string{DenialBurst}, deny(3*time.Minute+2*time.Second, "gate", "c7", "x", "c"))
	// Slow denials never add up.
	w2 := New(Config{Denials: Threshold{3, time.Minute}, UnknownRepeat: Threshold{2, time.Minute}, WrongPIN: Threshold{2, time.Minute}})
	for i := range 10 {
		assert.Empty(t, w2.Observe(eventlog.Event{Time: t0.Add(time.Duration(i) * 31 * time.Second), Kind: "access.denied", Door: "gate", Identity: "x"}))
	}

	// The same unknown face twice (refs come from the controller's clustering).
	assert.Empty(t, kinds(w.Observe(eventlog.Event{Time: t0.Add(10 * time.Minute), Kind: "access.denied", Door: "garden", FaceRef: "uf-1"})))
	assert.Contains(t, kinds(w.Observe(eventlog.Event{Time: t0.Add(11 * time.Minute), Kind: "access.denied", Door: "garden2", FaceRef: "uf-1"})), UnknownRepeated)

	for kind, want := range map[string]string{"door.forced_open": DoorForced, "door.held_open": DoorHeld, "pd.tamper": Tamper, "pd.offline": TerminalOffline, "alarm.duress": Duress} {
		assert.Equal(t, []string{want}, kinds(w.Observe(eventlog.Event{Time: t0, Kind: kind})))
	}
	assert.Empty(t, w.Observe(eventlog.Event{Time: t0, Kind: "access.granted"}))
}
