package osdp_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// link runs a Bus against emulated PDs (their Handle, no I/O) on a
// simulated clock. Each answered exchange takes 5 ms.
type link struct {
	t      *testing.T
	bus    *osdp.Bus
	pds    map[byte]*osdppd.PD
	now    time.Time
	events []osdp.Event
}

func newLink(t *testing.T, cfg osdp.BusConfig, pds ...*osdppd.PD) *link {
	b, err := osdp.NewBus(cfg)
	require.NoError(t, err)
	l := &link{t: t, bus: b, pds: map[byte]*osdppd.PD{}, now: time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)}
	for _, p := range pds {
		l.pds[p.Addr()] = p
	}
	return l
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (l *link) run(d time.Duration) {
	end := l.now.Add(d)
	for l.now.Before(end) {
		l.bus.Tick(l.now)
		raw := l.bus.Next(l.now)
		l.events = append(l.events, l.bus.Events()...)
		if raw == nil {
			w := l.bus.Wake(l.now)
			if !w.After(l.now) {
				w = l.now.Add(time.Millisecond)
			}
			l.now = earlier(w, end)
			continue
		}
		f, _, err := osdp.Decode(raw)
		require.NoError(l.t, err)
		if pd := l.pds[f.Addr]; pd != nil {
			if rep := pd.Handle(f); rep != nil {
				l.now = l.now.Add(5 * time.Millisecond)
				if rf, _, err := osdp.Decode(rep); err == nil {
					l.bus.Receive(rf, l.now)
				}
				l.events = append(l.events, l.bus.Events()...)
				continue
			}
		}
		l.now = earlier(l.bus.Wake(l.now), end)
	}
}

func (l *link) kinds(kind osdp.EventKind) []osdp.Event {
	var out []osdp.Event
	for _, e := range l.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

var key = bytes.Repeat([]byte{0x42}, 16)

func TestBusDrivesEmulatorOverSecureChannel(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 9, SCBK: key})
	require.NoError(t, err)
	l := newLink(t, osdp.BusConfig{PDs: []osdp.PDConfig{{Addr: 9, SCBK: key}}}, pd)
	l.run(time.Second)
	on := l.kinds(osdp.EventOnline)
	require.Len(t, on, 1)
	assert.True(t, on[0].Secure)
	assert.True(t, pd.SCActive())

	_, err = l.bus.Submit(9, osdp.Out{Records: []osdp.OutRecord{{Output: 1, Control: osdp.OutPermOnAbort}}})
	require.NoError(t, err)
	pd.BusyNext(2) // the OUT is answered BUSY twice, then runs once
	l.run(time.Second)
	assert.True(t, pd.Outputs()[1])
	outs := 0
	for _, m := range pd.Commands() {
		if m.Code() == osdp.CmdOUT {
			outs++
		}
	}
	assert.Equal(t, 1, outs)
	res := l.kinds(osdp.EventResult)
	require.Len(t, res, 1)
	assert.NoError(t, res[0].Err)

	pd.PresentWiegand26(1, 1234)
	require.NoError(t, pd.SetInput(2, true))
	l.run(500 * time.Millisecond)
	var got []osdp.Message
	for _, e := range l.kinds(osdp.EventReport) {
		got = append(got, e.Msg)
	}
	assert.Contains(t, got, osdp.Raw{Reader: 0, Format: osdp.RawFormatWiegand, Bits: 26, Data: []byte{0x80, 0x82, 0x69, 0x00}})
	assert.Contains(t, got, osdp.IStatR{Inputs: []byte{0, 0, 1, 0}})
	assert.Empty(t, l.kinds(osdp.EventOffline))
}

// The PD's key changes under a running session (a swapped reader): the next
// reply fails its MAC, the link goes down with the reason, and the PD is
// never accepted again with the old key.
func TestBusDropsPDWhoseKeyChanged(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 9, SCBK: key})
	require.NoError(t, err)
	l := newLink(t, osdp.BusConfig{PDs: []osdp.PDConfig{{Addr: 9, SCBK: key}}}, pd)
	l.run(time.Second)
	require.Len(t, l.kinds(osdp.EventOnline), 1)
	require.NoError(t, pd.SetKey(bytes.Repeat([]byte{0x24}, 16)))
	l.run(2 * time.Minute)
	off := l.kinds(osdp.EventOffline)
	require.Len(t, off, 1)
	sc := l.kinds(osdp.EventSecureChannel)
	require.NotEmpty(t, sc)
	assert.True(t, errors.Is(sc[len(sc)-1].Err, osdp.ErrSCCryptogram), "reconnects fail on the cryptogram: %v", sc[len(sc)-1].Err)
	assert.Len(t, l.kinds(osdp.EventOnline), 1, "never online again")
}

func TestBusInstallsKeyOnNewPD(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 3, Install: true})
	require.NoError(t, err)
	l := newLink(t, osdp.BusConfig{PDs: []osdp.PDConfig{{Addr: 3, SCBK: key, Install: true}}}, pd)
	l.run(time.Second)
	on := l.kinds(osdp.EventOnline)
	require.Len(t, on, 1)
	assert.True(t, on[0].Secure)
	assert.Equal(t, key, pd.Key())
	sc := l.kinds(osdp.EventSecureChannel)
	require.Len(t, sc, 1)
	assert.NoError(t, sc[0].Err, "key installed")

	// Without the install flag the same new PD is refused: SCBK-D is never tried.
	fresh, err := osdppd.New(osdppd.Config{Addr: 3, Install: true})
	require.NoError(t, err)
	l2 := newLink(t, osdp.BusConfig{PDs: []osdp.PDConfig{{Addr: 3, SCBK: key}}}, fresh)
	l2.run(time.Minute)
	assert.Empty(t, l2.kinds(osdp.EventOnline))
	assert.Nil(t, fresh.Key())
}

// Garbage and NAKs from one PD do not disturb another on the same bus.
func TestBusMultiDropWithMisbehavingPD(t *testing.T) {
	good, err := osdppd.New(osdppd.Config{Addr: 1})
	require.NoError(t, err)
	bad, err := osdppd.New(osdppd.Config{Addr: 2})
	require.NoError(t, err)
	l := newLink(t, osdp.BusConfig{PDs: []osdp.PDConfig{{Addr: 1}, {Addr: 2}}}, good, bad)
	l.run(time.Second)
	require.Len(t, l.kinds(osdp.EventOnline), 2)
	bad.SetMode(osdppd.Garbage)
	l.run(20 * time.Second)
	good.PresentWiegand26(1, 1)
	l.run(time.Second)
	offline := l.kinds(osdp.EventOffline)
	require.Len(t, offline, 1)
	assert.Equal(t, byte(2), offline[0].Addr)
	st := l.bus.Status()
	assert.True(t, st[0].Online)
	assert.False(t, st[1].Online)
	found := false
	for _, e := range l.kinds(osdp.EventReport) {
		if _, ok := e.Msg.(osdp.Raw); ok && e.Addr == 1 {
			found = true
		}
	}
	assert.True(t, found, "the healthy PD's card still arrives")
}

// KEYSET on a running secure channel rotates the key: the PD and the CP
// both move to it and the link comes back on the new key.
func TestBusKeyRotation(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 9, SCBK: key})
	require.NoError(t, err)
	l := newLink(t, osdp.BusConfig{PDs: []osdp.PDConfig{{Addr: 9, SCBK: key}}}, pd)
	l.run(time.Second)
	require.Len(t, l.kinds(osdp.EventOnline), 1)
	newKey := bytes.Repeat([]byte{0x77}, 16)
	_, err = l.bus.Submit(9, osdp.KeySet{Type: 1, Key: newKey})
	require.NoError(t, err)
	l.run(2 * time.Second)
	assert.Equal(t, newKey, pd.Key())
	on := l.kinds(osdp.EventOnline)
	require.Len(t, on, 2, "back online on the new key")
	assert.True(t, on[1].Secure)
	assert.True(t, pd.SCActive())
}
