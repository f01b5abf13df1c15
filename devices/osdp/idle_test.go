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
