package osdp

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With IdleGap an idle line polls each PD again soon after its reply
// instead of waiting PollInterval, round the PDs so none is starved; a
// card waits for a poll no longer than the gap and one exchange per PD.
func TestBusIdleLinePollsSooner(t *testing.T) {
	fakes := []*fakePD{{addr: 1}, {addr: 2}, {addr: 3}}
	pds := []PDConfig{{Addr: 1}, {Addr: 2}, {Addr: 3}}
	s := newSim(t, BusConfig{PDs: pds, IdleGap: 5 * time.Millisecond}, fakes...)
	s.wire = 2 * time.Millisecond
	s.run(300 * time.Millisecond) // online
	for _, f := range fakes {
		f.processed[CmdPOLL] = 0
	}
	s.run(time.Second)
	for _, f := range fakes {
		// Back to back, 2 ms each, round three PDs: ~6 ms per PD, held to
		// the 5 ms gap after its own reply: ~160 polls each, not 16.
		assert.Greater(t, f.processed[CmdPOLL], 100, "pd %d", f.addr)
	}
	assert.InDelta(t, fakes[0].processed[CmdPOLL], fakes[2].processed[CmdPOLL], 2, "round the PDs: none starved")

	// A card at PD 2 is reported within the gap plus one exchange per PD.
	fakes[1].pending = append(fakes[1].pending, Raw{Reader: 0, Format: 1, Bits: 26, Data: []byte{1, 2, 3, 4}})
	at := s.now
	s.run(50 * time.Millisecond)
	var got time.Time
	for _, x := range s.sent {
		if x.frame.Addr == 2 && x.frame.Code == CmdPOLL && !x.at.Before(at) {
			got = x.at
			break
		}
	}
	require.False(t, got.IsZero())
	assert.LessOrEqual(t, got.Sub(at), 5*time.Millisecond+3*s.wire)
}

// Idle polling off (the default): every PollInterval, as before.
func TestBusIdleGapOff(t *testing.T) {
	fp := &fakePD{addr: 5}
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 5}}}, fp)
	s.run(time.Second)
	assert.InDelta(t, 16, fp.processed[CmdPOLL], 2)
	_, err := NewBus(BusConfig{PDs: []PDConfig{{Addr: 5}}, IdleGap: time.Second})
	assert.ErrorContains(t, err, "idle gap 1s: 0 (off) to the poll interval 50ms")
}

// A lock's OUT goes before the feedback (LED, buzzer) queued before it, on
// its own PD and on the others; OUTs keep their order among themselves.
func TestBusOUTGoesBeforeFeedback(t *testing.T) {
	fakes := []*fakePD{{addr: 1}, {addr: 2}}
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 1}, {Addr: 2}}}, fakes...)
	s.run(300 * time.Millisecond)
	led := LED{Records: []LEDRecord{{Reader: 0, LED: 0}}}
	buz := Buz{Reader: 0, Tone: 2, OnTime: 1, OffTime: 1, Count: 1}
	out := func(n byte) Out { return Out{[]OutRecord{{Output: n, Control: OutTempOnThenOff, Timer: 30}}} }
	for _, sub := range []struct {
		addr byte
		msg  Message
	}{{1, led}, {1, buz}, {2, led}, {1, out(0)}, {2, out(1)}, {1, out(2)}} {
		_, err := s.bus.Submit(sub.addr, sub.msg)
		require.NoError(t, err)
	}
	from := len(s.sent)
	s.run(200 * time.Millisecond)
	var order []string
	for _, x := range s.sent[from:] {
		if x.frame.Code == CmdPOLL {
			continue
		}
		order = append(order, CodeName(x.frame.Code, false)+"@"+string('0'+x.frame.Addr))
	}
	require.GreaterOrEqual(t, len(order), 6)
	assert.Equal(t, []string{"OUT@1", "OUT@2", "OUT@1"}, order[:3], "every OUT first")
	assert.ElementsMatch(t, []string{"LED@1", "LED@2", "BUZ@1"}, order[3:6], "then the feedback")
	assert.Less(t, slices.Index(order, "LED@1"), slices.Index(order, "BUZ@1"), "in its order on one PD")
	assert.Equal(t, []OutRecord{{Output: 0, Control: OutTempOnThenOff, Timer: 30}, {Output: 2, Control: OutTempOnThenOff, Timer: 30}},
		[]OutRecord{fakes[0].outs[0].Records[0], fakes[0].outs[1].Records[0]}, "OUTs in the order submitted")
}

// cardReport runs s until addr reports a card and returns when it did.
func cardReport(t *testing.T, s *sim, addr byte) time.Time {
	t.Helper()
	for range 1000 {
		s.run(time.Millisecond)
		for _, e := range s.eventsOf(EventReport, addr) {
			if _, ok := e.Msg.(Raw); ok {
				return s.now
			}
		}
	}
	t.Fatalf("pd %d: no card reported", addr)
	return time.Time{}
}

// After a card the line waits for the card's answer instead of starting
// a poll that the lock's OUT would queue behind; the OUT goes the moment
// it is submitted, and polling resumes after it.
func TestBusCardHoldsTheLineForItsAnswer(t *testing.T) {
	fakes := []*fakePD{{addr: 1}, {addr: 2}, {addr: 3}}
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 1}, {Addr: 2}, {Addr: 3}}, IdleGap: time.Millisecond}, fakes...)
	s.wire = 2 * time.Millisecond
	s.run(300 * time.Millisecond)
	fakes[1].pending = append(fakes[1].pending, Raw{Reader: 0, Format: 1, Bits: 26, Data: []byte{1, 2, 3, 4}})
	cardReport(t, s, 2)

	from := len(s.sent)
	s.run(10 * time.Millisecond) // the controller deciding
	assert.Equal(t, from, len(s.sent), "no poll while the card's answer is due (20 ms by default)")
	_, err := s.bus.Submit(2, Out{[]OutRecord{{Output: 0, Control: OutTempOnThenOff, Timer: 30}}})
	require.NoError(t, err)
	submitted := s.now
	s.run(50 * time.Millisecond)
	require.Greater(t, len(s.sent), from+4)
	assert.Equal(t, byte(CmdOUT), s.sent[from].frame.Code, "the OUT first")
	assert.Equal(t, submitted, s.sent[from].at, "at once")
	for _, a := range []byte{1, 2, 3} {
		assert.NotEmpty(t, s.sentTo(a, submitted.Add(s.wire), s.now), "pd %d polled again after the OUT", a)
	}
}

// A card nobody answers (a reader with no door) holds polls for CardHold
// at most; then every PD is polled again, the overdue first.
func TestBusCardHoldEnds(t *testing.T) {
	fakes := []*fakePD{{addr: 1}, {addr: 2}}
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 1}, {Addr: 2}}, IdleGap: time.Millisecond, CardHold: 15 * time.Millisecond}, fakes...)
	s.wire = 2 * time.Millisecond
	s.run(300 * time.Millisecond)
	fakes[0].pending = append(fakes[0].pending, Raw{Reader: 0, Format: 1, Bits: 26, Data: []byte{1, 2, 3, 4}})
	at := cardReport(t, s, 1)
	s.run(30 * time.Millisecond)
	assert.Empty(t, s.sentTo(1, at, at.Add(15*time.Millisecond)))
	assert.Empty(t, s.sentTo(2, at, at.Add(15*time.Millisecond)))
	assert.NotEmpty(t, s.sentTo(1, at.Add(15*time.Millisecond), s.now), "the reporting pd polled for more")
	assert.NotEmpty(t, s.sentTo(2, at.Add(15*time.Millisecond), s.now))
}

// A reader flooding the line with cards (one in every poll reply) holds
// the line after each, and still no PD is starved: each is polled at
// least every PollInterval plus a hold and a round of exchanges.
func TestBusCardFloodStarvesNoPD(t *testing.T) {
	var fakes []*fakePD
	var pds []PDConfig
	for a := byte(1); a <= 8; a++ {
		fakes = append(fakes, &fakePD{addr: a})
		pds = append(pds, PDConfig{Addr: a})
	}
	cfg := BusConfig{PDs: pds, IdleGap: time.Millisecond}
	s := newSim(t, cfg, fakes...)
	s.wire = 2 * time.Millisecond
	s.run(time.Second)
	for range 2000 {
		fakes[0].pending = append(fakes[0].pending, Raw{Reader: 0, Format: 1, Bits: 26, Data: []byte{1, 2, 3, 4}})
	}
	from := s.now
	s.run(2 * time.Second)
	assert.Greater(t, len(s.eventsOf(EventReport, 1)), 20, "the cards come through")
	bound := 50*time.Millisecond + 20*time.Millisecond + 8*s.wire
	for _, a := range []byte{2, 3, 4, 5, 6, 7, 8} {
		last := from
		for _, at := range s.sentTo(a, from, s.now) {
			assert.LessOrEqual(t, at.Sub(last), bound, "pd %d waited", a)
			last = at
		}
		assert.LessOrEqual(t, s.now.Sub(last), bound, "pd %d waited", a)
	}
	for _, e := range s.events {
		assert.NotEqual(t, EventOffline, e.Kind)
	}
}
