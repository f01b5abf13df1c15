package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/config"
	"menwei/controller/door"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/osdp"
	"menwei/devices/wiegand"
)

// engine is a Controller without buses: credentials are fed straight into
// its access path on a fake clock, and the events it records are read back.
type engine struct {
	t     *testing.T
	c     *Controller
	s     *store.Store
	now   time.Time
	after uint64
}

const engineConfig = `
timezone: Asia/Shanghai
buses:
  - name: b
    device: /dev/null
    pds:
      - { name: gate-in, address: 1 }
      - { name: gate-out, address: 2 }
      - { name: lobby-r, address: 3 }
doors:
  - name: gate
    readers: [{ pd: gate-in, side: entry }, { pd: gate-out, side: exit }]
    lock: { pd: gate-in, output: 0 }
    policy: { antipassback: hard }
  - name: lobby
    readers: [{ pd: lobby-r }]
    lock: { pd: lobby-r, output: 0 }
    policy: { factors: [card+pin], factor_window: 20s }
  - name: office
    readers: [{ pd: lobby-r, reader: 1 }]
    lock: { pd: lobby-r, output: 1 }
    policy: { schedule: office-hours, groups: [staff-only] }
alerts:
  unknown_repeat: { count: 3, window: 1m }
`

func newEngine(t *testing.T) *engine {
	t.Helper()
	cfg, err := config.Parse([]byte(engineConfig), t.TempDir())
	require.NoError(t, err)
	s, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	e := &engine{t: t, s: s, now: time.Date(2026, 11, 30, 9, 0, 0, 0, cfg.Location())} // a Monday
	add := func(i store.Identity, card string) {
		require.NoError(t, s.PutIdentity(i))
		if card != "" {
			require.NoError(t, s.AddCredential(store.Credential{Kind: policy.Card, Key: card, Identity: i.ID}))
		}
	}
	add(store.Identity{ID: "li", Kind: policy.Resident, Name: "Li Wei"}, "1:1")
	add(store.Identity{ID: "wang", Kind: policy.Resident, Name: "Wang Fang"}, "1:2")
	add(store.Identity{ID: "zhao", Kind: policy.Staff, Name: "Zhao Guard", Groups: []string{"staff-only"}}, "1:3")
	add(store.Identity{ID: "v1", Kind: policy.Visitor, Name: "Guest", Host: "li",
		Pass: &store.Pass{From: e.now.Add(-time.Hour), Until: e.now.Add(time.Hour), MaxUses: 1}}, "1:4")
	add(store.Identity{ID: "lost", Kind: policy.Resident, Name: "Lost store.Card"}, "1:5")
	require.NoError(t, s.SetBlacklisted(policy.Card, "1:5", true))
	require.NoError(t, s.SetPIN("wang", "2580", false))
	require.NoError(t, s.SetPIN("wang", "9111", true))
	e.c, err = New(Options{Config: cfg, Store: s, Now: func() time.Time { return e.now }})
	require.NoError(t, err)
	return e
}

func (e *engine) card(pd byte, reader byte, fac uint8, num uint16) {
	e.c.cardRead(context.Background(), pdSource(pdKey{"b", pd}), osdp.Raw{Reader: reader, Format: 1, Bits: 26, Data: wiegand.EncodeH10301(fac, num)})
}

func (e *engine) keys(pd byte, s string) {
	e.c.keypad(context.Background(), pdKey{"b", pd}, osdp.Keypad{Keys: []byte(s)})
}

// events returns what was recorded since the last call.
func (e *engine) events() []Event {
	evs, err := e.s.Events(EventQuery{After: e.after, Limit: 1000})
	require.NoError(e.t, err)
	if len(evs) > 0 {
		e.after = evs[len(evs)-1].Seq
	}
	return evs
}

// decision returns the one access decision recorded since the last call.
func (e *engine) decision() Event {
	e.t.Helper()
	var found []Event
	for _, ev := range e.events() {
		if ev.Kind == KindGranted || ev.Kind == KindDenied {
			found = append(found, ev)
		}
	}
	require.Len(e.t, found, 1, "one decision")
	return found[0]
}

func kinds(evs []Event) []string {
	var k []string
	for _, e := range evs {
		k = append(k, e.Kind)
	}
	return k
}

func TestCardAndPIN(t *testing.T) {
	e := newEngine(t)
	e.card(3, 0, 1, 2)
	assert.Empty(t, e.events(), "a card at a card+PIN door waits for the PIN")
	e.keys(3, "25")
	e.now = e.now.Add(5 * time.Second)
	e.keys(3, "80#")
	d := e.decision()
	assert.Equal(t, KindGranted, d.Kind)
	assert.Equal(t, "wang", d.Identity)
	assert.Equal(t, "card+pin", d.Factor)

	e.card(3, 0, 1, 2)
	e.keys(3, "0000#")
	d = e.decision()
	assert.Equal(t, ReasonWrongPIN, d.Reason)

	e.keys(3, "2580#")
	assert.Equal(t, ReasonPINNoCard, e.decision().Reason, "a PIN alone identifies no one")

	e.card(3, 0, 1, 2)
	e.keys(3, "12*2580#") // '*' clears what was typed
	assert.Equal(t, KindGranted, e.decision().Kind)

	// Too slow: the attempt expires and is recorded as such.
	e.card(3, 0, 1, 2)
	e.now = e.now.Add(21 * time.Second)
	e.c.tick(context.Background())
	assert.Equal(t, ReasonFactorTimout, e.decision().Reason)
	e.keys(3, "2580#")
	assert.Equal(t, ReasonPINNoCard, e.decision().Reason)
}

func TestDuressPIN(t *testing.T) {
	e := newEngine(t)
	e.card(3, 0, 1, 2)
	e.keys(3, "9111#")
	evs := e.events()
	assert.Contains(t, kinds(evs), KindGranted, "duress opens the door")
	assert.Contains(t, kinds(evs), KindDuress)
	assert.Contains(t, kinds(evs), "alert.duress")
	for _, ev := range evs {
		if ev.Kind == KindDuress {
			assert.True(t, ev.Alarm)
		}
	}
}

func TestAntiPassbackAtTheGate(t *testing.T) {
	e := newEngine(t)
	steps := []struct {
		pd   byte
		want string
	}{{1, KindGranted}, {1, KindDenied}, {2, KindGranted}, {2, KindDenied}, {1, KindGranted}}
	for i, s := range steps {
		e.card(s.pd, 0, 1, 1)
		d := e.decision()
		assert.Equal(t, s.want, d.Kind, "step %d", i)
		if d.Kind == KindDenied {
			assert.Equal(t, policy.AntiPassback, d.Reason)
		}
		e.now = e.now.Add(time.Minute)
	}
}

func TestVisitorPassAndBlacklist(t *testing.T) {
	e := newEngine(t)
	e.card(1, 0, 1, 4)
	assert.Equal(t, KindGranted, e.decision().Kind)
	e.card(2, 0, 1, 4)
	assert.Equal(t, policy.PassUsedUp, e.decision().Reason, "one use only, and it was stored")
	v, err := e.s.Identity("v1")
	require.NoError(t, err)
	assert.Equal(t, 1, v.Pass.Uses)

	e.card(1, 0, 1, 5)
	assert.Equal(t, policy.Blacklisted, e.decision().Reason)
}

func TestScheduleFromStore(t *testing.T) {
	e := newEngine(t)
	e.card(3, 1, 1, 3)
	assert.Equal(t, ReasonNoSchedule, e.decision().Reason, "a missing schedule fails closed")

	require.NoError(t, e.s.PutSchedule(store.Schedule{ID: "office-hours", Periods: []string{"mon-fri 08:00-18:00"}}))
	require.NoError(t, e.c.ReloadSchedules())
	e.card(3, 1, 1, 3)
	assert.Equal(t, KindGranted, e.decision().Kind, "staff in office hours")
	e.card(3, 1, 1, 1)
	assert.Equal(t, policy.NotInGroup, e.decision().Reason)
}

func TestLockdownAndEmergency(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	require.NoError(t, e.c.SetDoorMode(ctx, "gate", door.Lockdown, "test"))
	e.card(1, 0, 1, 1)
	assert.Equal(t, policy.LockdownReason, e.decision().Reason)
	e.card(1, 0, 1, 3)
	assert.Equal(t, KindGranted, e.decision().Kind, "staff pass a lockdown")

	require.NoError(t, e.c.SetDoorMode(ctx, "gate", door.Normal, "test"))
	e.c.fireAlarm(ctx, "test fire")
	for _, d := range e.c.Doors() {
		assert.Equal(t, "emergency_unlock", d.Mode, d.Name)
	}
	assert.ErrorIs(t, e.c.SetDoorMode(ctx, "gate", door.Lockdown, "test"), door.ErrEmergency, "no lockdown during a fire")
	m, err := e.s.DoorMode("lobby")
	require.NoError(t, err)
	assert.Equal(t, "emergency_unlock", m, "stored, so it survives a restart")
	assert.ErrorIs(t, e.c.SetDoorMode(ctx, "nowhere", door.Normal, ""), store.ErrNotFound)
}

func TestUnknownCardAgainAndAgain(t *testing.T) {
	e := newEngine(t)
	var all []Event
	for range 3 {
		e.card(1, 0, 7, 777)
		all = append(all, e.events()...)
		e.now = e.now.Add(10 * time.Second)
	}
	assert.Contains(t, kinds(all), "alert.unknown_repeated")
	for _, ev := range all {
		if ev.Kind == KindDenied {
			assert.Equal(t, ReasonUnknownCard, ev.Reason)
			assert.Equal(t, "h10301:…77", ev.Card)
			assert.NotEmpty(t, ev.CardRef)
			assert.NotContains(t, ev.CardRef, "777")
		}
	}
}

// A visitor's pass code typed at a keypad (then #) opens the door; a wrong
// code is a PIN without a card.
func TestVisitorPassCodeAtKeypad(t *testing.T) {
	e := newEngine(t)
	code, err := e.s.NewPassCode("v1")
	require.NoError(t, err)
	require.Len(t, code, 8)
	e.keys(1, code+"#")
	d := e.decision()
	assert.Equal(t, KindGranted, d.Kind)
	assert.Equal(t, "v1", d.Identity)
	assert.Equal(t, "code", d.Factor)
	wrong := "00000000"
	if code == wrong {
		wrong = "11111111"
	}
	e.keys(2, wrong+"#")
	assert.Equal(t, ReasonPINNoCard, e.decision().Reason)
	creds, err := e.s.Credentials("v1")
	require.NoError(t, err)
	for _, c := range creds {
		assert.NotEqual(t, code, c.Key, "the code is stored hashed")
	}
}

// A request for several doors is all or nothing: one unknown door, or one
// door in emergency unlock for a lockdown, and no door changes, nothing is
// stored and nothing is recorded.
func TestSetDoorModesAllOrNothing(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	modes := func() map[string]string {
		m := map[string]string{}
		for _, d := range e.c.Doors() {
			m[d.Name] = d.Mode
		}
		return m
	}
	head := func() uint64 { _, h := e.s.Stats(); return h }
	before, seq := modes(), head()

	err := e.c.SetDoorModes(ctx, []string{"gate", "nope", "nada"}, door.Lockdown, "test")
	require.ErrorIs(t, err, store.ErrNotFound)
	assert.Contains(t, err.Error(), `"nope", "nada"`)
	assert.Equal(t, before, modes(), "no door changed")
	assert.Equal(t, seq, head(), "nothing recorded")
	m, err := e.s.DoorMode("gate")
	require.NoError(t, err)
	assert.NotEqual(t, "lockdown", m, "nothing stored")

	require.NoError(t, e.c.SetDoorMode(ctx, "lobby", door.EmergencyUnlock, "test"))
	before, seq = modes(), head()
	err = e.c.SetDoorModes(ctx, []string{"gate", "lobby"}, door.Lockdown, "test")
	require.ErrorIs(t, err, door.ErrEmergency)
	assert.Contains(t, err.Error(), "lobby")
	assert.Equal(t, before, modes(), "gate not locked down either")
	assert.Equal(t, seq, head())

	require.NoError(t, e.c.SetDoorModes(ctx, []string{"gate", "lobby", "gate"}, door.Normal, "test"))
	for d, m := range modes() {
		assert.Equal(t, "normal", m, d)
	}
}

// A door that only a face opens, with a card as the way in for people who
// declined to give a face: the card opens it.
func TestAlternativeWayInOpens(t *testing.T) {
	cfg, err := config.Parse([]byte(strings.Replace(engineConfig, "policy: { factors: [card+pin], factor_window: 20s }",
		"policy: { factors: [face], alternative: card }", 1)), t.TempDir())
	require.NoError(t, err)
	s, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.PutIdentity(store.Identity{ID: "li", Kind: policy.Resident, Name: "Li Wei"}))
	require.NoError(t, s.AddCredential(store.Credential{Kind: policy.Card, Key: "1:1", Identity: "li"}))
	c, err := New(Options{Config: cfg, Store: s})
	require.NoError(t, err)
	c.cardRead(context.Background(), pdSource(pdKey{"b", 3}), osdp.Raw{Reader: 0, Format: 1, Bits: 26, Data: wiegand.EncodeH10301(1, 1)})
	evs, err := s.Events(EventQuery{Limit: 10})
	require.NoError(t, err)
	var decision Event
	for _, e := range evs {
		if e.Kind == KindGranted || e.Kind == KindDenied {
			decision = e
		}
	}
	assert.Equal(t, KindGranted, decision.Kind, "the card opens the face door: %s", decision.Reason)
}
