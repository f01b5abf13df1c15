package osdp

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakePD is a minimal plaintext PD for state-machine tests: it keeps the
// sequence/cached-reply rule and answers the commands the bus sends.
type fakePD struct {
	addr      byte
	silent    bool
	delay     time.Duration // how long after a command its reply starts
	dropNext  int           // process the next n commands but lose their replies
	busyNext  int
	nakCode   byte // NAK OUT commands with this code when set
	lastSeq   byte
	cached    []byte
	pending   []Message
	outs      []Out
	resends   int
	processed map[byte]int
}

func (f *fakePD) replyDelay() time.Duration { return f.delay }

func (f *fakePD) handle(t *testing.T, in Frame) []byte {
	if f.silent {
		return nil
	}
	if f.processed == nil {
		f.processed = map[byte]int{}
	}
	if in.Seq != 0 && in.Seq == f.lastSeq && f.cached != nil {
		f.resends++
		return f.cached
	}
	if f.busyNext > 0 { // BUSY: plaintext, sequence 0, nothing recorded
		f.busyNext--
		raw, err := AppendEncode(nil, Frame{Addr: f.addr, Reply: true, Seq: 0, CRC: in.CRC, Code: ReplyBUSY})
		require.NoError(t, err)
		return raw
	}
	var rep Message = Ack{}
	switch {
	case in.Code == CmdID:
		rep = PDID{Vendor: [3]byte{0xb2, 0xa1, 0}, Model: 153, Version: 1, Serial: 0x01020304, Firmware: [3]byte{10, 11, 12}}
	case in.Code == CmdCAP:
		rep = PDCap{[]Capability{{CapContactStatus, 1, 4}, {CapOutputControl, 1, 4}}}
	case in.Code == CmdPOLL && len(f.pending) > 0:
		rep, f.pending = f.pending[0], f.pending[1:]
	case in.Code == CmdOUT && f.nakCode != 0:
		rep = Nak{Error: f.nakCode}
	case in.Code == CmdOUT:
		m, err := ParseCommand(in.Code, in.Data)
		require.NoError(t, err)
		f.outs = append(f.outs, m.(Out))
	}
	f.processed[in.Code]++
	raw, err := AppendEncode(nil, Frame{Addr: f.addr, Reply: true, Seq: in.Seq, CRC: in.CRC, Code: rep.Code(), Data: rep.AppendData(nil)})
	require.NoError(t, err)
	f.lastSeq, f.cached = in.Seq, raw
	if f.dropNext > 0 {
		f.dropNext--
		return nil
	}
	return raw
}

type sent struct {
	at    time.Time
	frame Frame
	raw   []byte
}

// sim runs a Bus against fake PDs on a simulated clock: an exchange that is
// answered takes `wire`; an unanswered one lets the bus's own timeout fire.
type sim struct {
	t      *testing.T
	bus    *Bus
	now    time.Time
	wire   time.Duration
	pds    map[byte]simPD
	sent   []sent
	events []Event
}

var t0 = time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)

func newSim(t *testing.T, cfg BusConfig, fakes ...*fakePD) *sim {
	s := newSimOf(t, cfg)
	for _, f := range fakes {
		s.pds[f.addr] = f
	}
	return s
}

// newSimOf is newSim for any kind of fake PD.
func newSimOf(t *testing.T, cfg BusConfig, fakes ...*libosdpPD) *sim {
	cfg.Jitter = func() float64 { return 0.5 }
	cfg.Rand = bytes.NewReader(make([]byte, 1<<16))
	b, err := NewBus(cfg)
	require.NoError(t, err)
	s := &sim{t: t, bus: b, now: t0, wire: 10 * time.Millisecond, pds: map[byte]simPD{}}
	for _, f := range fakes {
		s.pds[f.addr] = f
	}
	return s
}

func (s *sim) run(d time.Duration) {
	end := s.now.Add(d)
	for s.now.Before(end) {
		s.bus.Tick(s.now)
		s.events = append(s.events, s.bus.Events()...)
		raw := s.bus.Next(s.now)
		if raw == nil {
			w := s.bus.Wake(s.now)
			if !w.After(s.now) {
				w = s.now.Add(time.Millisecond)
			}
			s.now = minTime(w, end)
			continue
		}
		f, _, err := Decode(raw)
		require.NoError(s.t, err)
		s.sent = append(s.sent, sent{s.now, f, raw})
		if fp := s.pds[f.Addr]; fp != nil {
			if rep := fp.handle(s.t, f); rep != nil {
				if d, ok := fp.(interface{ replyDelay() time.Duration }); ok && d.replyDelay() > 0 {
					// A slow PD: its reply starts after the delay, if the
					// bus still waits for it then.
					busy := s.bus.busy
					s.now = s.now.Add(d.replyDelay())
					s.bus.Tick(s.now)
					s.events = append(s.events, s.bus.Events()...)
					if s.bus.busy != busy {
						continue // timed out: the reply meets a quiet bus
					}
				}
				s.now = s.now.Add(s.wire)
				rf, _, err := Decode(rep)
				require.NoError(s.t, err)
				s.bus.Receive(rf, s.now)
				s.events = append(s.events, s.bus.Events()...)
				continue
			}
		}
		s.now = minTime(s.bus.Wake(s.now), end)
	}
	s.events = append(s.events, s.bus.Events()...)
}

func (s *sim) eventsOf(kind EventKind, addr byte) []Event {
	var out []Event
	for _, e := range s.events {
		if e.Kind == kind && e.Addr == addr {
			out = append(out, e)
		}
	}
	return out
}

// sentTo lists the times commands went to addr within [from, to).
func (s *sim) sentTo(addr byte, from, to time.Time) []time.Time {
	var out []time.Time
	for _, x := range s.sent {
		if x.frame.Addr == addr && !x.at.Before(from) && x.at.Before(to) {
			out = append(out, x.at)
		}
	}
	return out
}

func TestBusConnectsAndPolls(t *testing.T) {
	fp := &fakePD{addr: 5}
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 5}}}, fp)
	s.run(time.Second)
	require.Len(t, s.eventsOf(EventOnline, 5), 1)
	reports := s.eventsOf(EventReport, 5)
	require.Len(t, reports, 2)
	assert.IsType(t, PDID{}, reports[0].Msg)
	assert.IsType(t, PDCap{}, reports[1].Msg)
	assert.Equal(t, []byte{CmdID, CmdCAP, CmdPOLL}, []byte{s.sent[0].frame.Code, s.sent[1].frame.Code, s.sent[2].frame.Code})
	assert.Equal(t, []byte{0, 1, 2, 3, 1}, []byte{s.sent[0].frame.Seq, s.sent[1].frame.Seq, s.sent[2].frame.Seq, s.sent[3].frame.Seq, s.sent[4].frame.Seq})
	// 50 ms interval + 10 ms exchange: about 16 polls a second.
	assert.InDelta(t, 16, fp.processed[CmdPOLL], 2)
	assert.True(t, s.bus.Status()[0].Online)
}

func TestBusRetransmitsSameBytesAndPDAnswersFromCache(t *testing.T) {
	fp := &fakePD{addr: 5}
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 5}}}, fp)
	s.run(200 * time.Millisecond)
	id, err := s.bus.Submit(5, Out{[]OutRecord{{Output: 0, Control: OutTempOnThenOff, Timer: 30}}})
	require.NoError(t, err)
	fp.dropNext = 1
	mark := len(s.sent)
	s.run(time.Second)

	var outs []sent
	for _, x := range s.sent[mark:] {
		if x.frame.Code == CmdOUT {
			outs = append(outs, x)
		}
	}
	require.Len(t, outs, 2, "one send, one retransmission")
	assert.Equal(t, outs[0].raw, outs[1].raw, "a retry repeats the frame byte for byte")
	assert.Equal(t, 1, fp.resends)
	assert.Len(t, fp.outs, 1, "the PD acted once")
	res := s.eventsOf(EventResult, 5)
	require.Len(t, res, 1)
	assert.Equal(t, id, res[0].Req)
	assert.NoError(t, res[0].Err)
}

func TestBusOfflineAfterEightSecondsThenBacksOffAndRecovers(t *testing.T) {
	fp := &fakePD{addr: 7}
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 7}}}, fp)
	s.run(time.Second)
	_, err := s.bus.Submit(7, LED{})
	require.NoError(t, err)
	fp.silent = true
	silentAt := s.now
	s.run(7900 * time.Millisecond)
	assert.Empty(t, s.eventsOf(EventOffline, 7), "still online before 8 s")
	s.run(400 * time.Millisecond)
	off := s.eventsOf(EventOffline, 7)
	require.Len(t, off, 1, "offline once 8 s pass without a valid reply")
	assert.ErrorIs(t, off[0].Err, ErrTimeout)
	res := s.eventsOf(EventResult, 7)
	require.Len(t, res, 1)
	assert.ErrorIs(t, res[0].Err, ErrOffline, "the queued LED fails when the PD goes offline")
	_, err = s.bus.Submit(7, LED{})
	assert.ErrorIs(t, err, ErrOffline)

	// While silent, retries before the 8 s mark are spaced out.
	tries := s.sentTo(7, silentAt, silentAt.Add(8*time.Second))
	assert.LessOrEqual(t, len(tries), 12)
	assert.GreaterOrEqual(t, len(tries), 4)

	// Reconnect attempts back off: the gaps grow and stay under the cap.
	offAt := s.now
	s.run(3 * time.Minute)
	att := s.sentTo(7, offAt, s.now)
	require.Greater(t, len(att), 4)
	for i := 2; i < len(att); i++ {
		g1, g2 := att[i-1].Sub(att[i-2]), att[i].Sub(att[i-1])
		assert.GreaterOrEqual(t, g2, g1-time.Millisecond, "gaps never shrink: %v then %v", g1, g2)
		assert.LessOrEqual(t, g2, 30*time.Second+200*time.Millisecond)
	}
	assert.GreaterOrEqual(t, att[len(att)-1].Sub(att[len(att)-2]), 15*time.Second, "back-off reached its cap region")

	// Recovery: the PD answers again and is online within one back-off period.
	fp.silent = false
	back := s.now
	s.run(31 * time.Second)
	on := s.eventsOf(EventOnline, 7)
	require.Len(t, on, 2)
	first := s.sentTo(7, back, s.now)
	require.NotEmpty(t, first)
	s.run(time.Second)
	recent := s.sentTo(7, s.now.Add(-time.Second), s.now)
	assert.Greater(t, len(recent), 10, "polled at the normal rate again, back-off reset")
}

// One silent PD among four must not slow the other three.
func TestBusSilentPDDoesNotStallOthers(t *testing.T) {
	cfg := BusConfig{PDs: []PDConfig{{Addr: 1}, {Addr: 2}, {Addr: 3}, {Addr: 4}}}
	healthy := func() []*fakePD { return []*fakePD{{addr: 1}, {addr: 2}, {addr: 3}, {addr: 4}} }

	base := newSim(t, cfg, healthy()...)
	base.run(61 * time.Second)

	fakes := healthy()
	s := newSim(t, cfg, fakes...)
	s.run(time.Second)
	fakes[3].silent = true
	s.run(60 * time.Second)

	from, to := t0.Add(time.Second), t0.Add(61*time.Second)
	require.Len(t, s.eventsOf(EventOffline, 4), 1)
	for addr := byte(1); addr <= 3; addr++ {
		want := len(base.sentTo(addr, from, to))
		got := s.sentTo(addr, from, to)
		assert.GreaterOrEqual(t, float64(len(got)), 0.9*float64(want), "pd %d polled %d times, %d with all healthy", addr, len(got), want)
		var worst time.Duration
		for i := 1; i < len(got); i++ {
			worst = max(worst, got[i].Sub(got[i-1]))
		}
		// At most one reply timeout of the silent PD between two polls.
		assert.LessOrEqual(t, worst, 50*time.Millisecond+200*time.Millisecond+4*s.wire, "pd %d worst gap", addr)
	}
	assert.Less(t, len(s.sentTo(4, from.Add(10*time.Second), to)), 10, "the silent PD is probed rarely once offline")
}

func TestBusBusyResendsTheSameFrame(t *testing.T) {
	fp := &fakePD{addr: 5}
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 5}}}, fp)
	s.run(200 * time.Millisecond)
	_, err := s.bus.Submit(5, Out{[]OutRecord{{Output: 1, Control: OutPermOnAbort}}})
	require.NoError(t, err)
	fp.busyNext = 1
	mark := len(s.sent)
	s.run(500 * time.Millisecond)
	var outs []sent
	for _, x := range s.sent[mark:] {
		if x.frame.Code == CmdOUT {
			outs = append(outs, x)
		}
	}
	require.Len(t, outs, 2)
	assert.Equal(t, outs[0].raw, outs[1].raw, "the same frame again: same sequence number")
	assert.GreaterOrEqual(t, outs[1].at.Sub(outs[0].at), 50*time.Millisecond, "after a poll interval")
	assert.Len(t, fp.outs, 1)
	res := s.eventsOf(EventResult, 5)
	require.Len(t, res, 1)
	assert.NoError(t, res[0].Err)
	assert.Empty(t, s.eventsOf(EventOffline, 5))
}

func TestBusNAKFailsTheCommandOnly(t *testing.T) {
	fp := &fakePD{addr: 5, nakCode: NAKUnknownCmd}
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 5}}}, fp)
	s.run(200 * time.Millisecond)
	_, err := s.bus.Submit(5, Out{[]OutRecord{{Output: 9, Control: OutPermOnAbort}}})
	require.NoError(t, err)
	s.run(300 * time.Millisecond)
	res := s.eventsOf(EventResult, 5)
	require.Len(t, res, 1)
	var nak *NAKError
	require.ErrorAs(t, res[0].Err, &nak)
	assert.Equal(t, byte(NAKUnknownCmd), nak.Code)
	assert.True(t, s.bus.Status()[0].Online)
}

func TestBusReportsCardsFromPoll(t *testing.T) {
	fp := &fakePD{addr: 5}
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 5}}}, fp)
	s.run(200 * time.Millisecond)
	fp.pending = append(fp.pending, Raw{Reader: 0, Format: RawFormatWiegand, Bits: 26, Data: []byte{0x8a, 0x12, 0x34, 0xc0}}, Keypad{Keys: []byte("1234")})
	s.run(300 * time.Millisecond)
	var got []Message
	for _, e := range s.eventsOf(EventReport, 5) {
		got = append(got, e.Msg)
	}
	require.Len(t, got, 4)
	assert.Equal(t, Raw{Reader: 0, Format: 1, Bits: 26, Data: []byte{0x8a, 0x12, 0x34, 0xc0}}, got[2])
	assert.Equal(t, Keypad{Keys: []byte("1234")}, got[3])
}

// A PD configured with a key that only speaks plaintext is never online.
func TestBusNeverAcceptsPlaintextWhenKeyed(t *testing.T) {
	fp := &fakePD{addr: 5}
	key := bytes.Repeat([]byte{7}, 16)
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 5, SCBK: key}}}, fp)
	s.run(2 * time.Minute)
	assert.Empty(t, s.eventsOf(EventOnline, 5))
	sc := s.eventsOf(EventSecureChannel, 5)
	require.NotEmpty(t, sc)
	assert.ErrorIs(t, sc[0].Err, ErrNoSC)
	for _, x := range s.sent {
		assert.Contains(t, []byte{CmdID, CmdCAP, CmdCHLNG}, x.frame.Code, "nothing but the handshake goes to an unproven PD")
	}
	_, err := s.bus.Submit(5, Out{})
	assert.ErrorIs(t, err, ErrOffline)
}

func TestBusConfigErrors(t *testing.T) {
	for name, cfg := range map[string]BusConfig{
		"no pds":        {},
		"dup address":   {PDs: []PDConfig{{Addr: 1}, {Addr: 1}}},
		"broadcast":     {PDs: []PDConfig{{Addr: 0x7f}}},
		"short key":     {PDs: []PDConfig{{Addr: 1, SCBK: []byte{1}}}},
		"install nokey": {PDs: []PDConfig{{Addr: 1, Install: true}}},
	} {
		_, err := NewBus(cfg)
		assert.Error(t, err, name)
	}
}

// A command submitted between polls goes out at once, not at the next poll.
func TestBusSendsCommandsWithoutWaitingForThePoll(t *testing.T) {
	fp := &fakePD{addr: 5}
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 5}}}, fp)
	s.run(200 * time.Millisecond)
	// Answer one poll by hand, then ask again 1 ms later.
	var raw []byte
	for raw == nil {
		s.now = s.bus.Wake(s.now)
		raw = s.bus.Next(s.now)
	}
	poll, _, err := Decode(raw)
	require.NoError(t, err)
	require.Equal(t, byte(CmdPOLL), poll.Code)
	rep, _, err := Decode(fp.handle(t, poll))
	require.NoError(t, err)
	s.now = s.now.Add(time.Millisecond)
	s.bus.Receive(rep, s.now)
	require.Nil(t, s.bus.Next(s.now), "no poll due right after one")
	_, err = s.bus.Submit(5, Out{[]OutRecord{{Output: 0, Control: OutTempOnThenOff, Timer: 30}}})
	require.NoError(t, err)
	raw = s.bus.Next(s.now)
	require.NotNil(t, raw, "the command goes now")
	f, _, err := Decode(raw)
	require.NoError(t, err)
	assert.Equal(t, byte(CmdOUT), f.Code)
}

// A PD with reports queued is polled again at once, not after the interval.
func TestBusDrainsReportsQuickly(t *testing.T) {
	fp := &fakePD{addr: 5}
	s := newSim(t, BusConfig{PDs: []PDConfig{{Addr: 5}}}, fp)
	s.run(200 * time.Millisecond)
	for i := range 20 {
		fp.pending = append(fp.pending, MfgRep{Vendor: [3]byte{1, 2, 3}, Data: []byte{byte(i)}})
	}
	start := s.now
	s.run(300 * time.Millisecond)
	n := 0
	for _, e := range s.eventsOf(EventReport, 5) {
		if _, ok := e.Msg.(MfgRep); ok {
			n++
		}
	}
	assert.Equal(t, 20, n)
	assert.Empty(t, fp.pending)
	// 20 exchanges of 10 ms each, back to back: 200 ms, not 20 × 60 ms.
	assert.Less(t, len(s.sentTo(5, start, start.Add(250*time.Millisecond))), 30)
	assert.GreaterOrEqual(t, len(s.sentTo(5, start, start.Add(210*time.Millisecond))), 20)
}

// A dead PD is probed in spare time only: a command to a live PD submitted
// while the dead one is being probed goes out within ProbeWindow, and the
// live PD's polls keep their pace.
func TestBusDeadPDDoesNotDelayLiveCommands(t *testing.T) {
	cfg := BusConfig{PDs: []PDConfig{{Addr: 1}, {Addr: 2}}, ConnectMax: time.Second} // probe often
	live, dead := &fakePD{addr: 1}, &fakePD{addr: 2, silent: true}
	s := newSim(t, cfg, live, dead)
	s.run(20 * time.Second)
	require.Len(t, s.eventsOf(EventOnline, 1), 1)

	var worstCmd time.Duration
	for range 10 {
		// Stop right after a probe of the dead PD has gone out.
		for s.bus.busy == nil || s.bus.busy.cfg.Addr != 2 {
			s.run(time.Millisecond)
		}
		probe := s.bus.busy.out
		at := s.now
		_, err := s.bus.Submit(1, Out{[]OutRecord{{Output: 0, Control: OutTempOnThenOff, Timer: 30}}})
		require.NoError(t, err)
		mark := len(s.sent)
		s.run(400 * time.Millisecond)
		var sentAt time.Time
		for _, x := range s.sent[mark:] {
			if x.frame.Addr == 1 && x.frame.Code == CmdOUT {
				sentAt = x.at
				break
			}
		}
		require.False(t, sentAt.IsZero(), "the OUT went")
		worstCmd = max(worstCmd, sentAt.Sub(at))
		bound := probe.sentAt.Add(s.bus.LineTime(len(probe.raw)) + s.bus.cfg.ProbeWindow).Sub(at)
		assert.LessOrEqual(t, sentAt.Sub(at), bound, "the OUT waits at most for the probe's window")
	}

	polls := s.sentTo(1, t0.Add(time.Second), s.now)
	var worstGap time.Duration
	for i := 1; i < len(polls); i++ {
		worstGap = max(worstGap, polls[i].Sub(polls[i-1]))
	}
	t.Logf("with a dead PD probed every ≤1 s: command waited at most %v; live PD's worst gap between frames %v", worstCmd, worstGap)
	// A probe holds the live PD's polls for at most ProbeWindow, except one
	// probe in fullProbeEvery, which waits the whole reply timeout for a
	// slow PD (TestBusSlowPDComesBackOnABusyLine).
	short := s.bus.cfg.PollInterval + s.bus.cfg.ProbeWindow + s.bus.LineTime(16) + 2*s.wire
	assert.LessOrEqual(t, worstGap, s.bus.cfg.PollInterval+s.bus.cfg.ReplyTimeout+s.bus.LineTime(16)+2*s.wire)
	long, probes := 0, len(s.sentTo(2, t0.Add(time.Second), s.now))
	for i := 1; i < len(polls); i++ {
		if polls[i].Sub(polls[i-1]) > short {
			long++
		}
	}
	assert.LessOrEqual(t, long, probes/fullProbeEvery+1, "polls held for a whole reply timeout only by one probe in %d (%d probes)", fullProbeEvery, probes)
}

// A conforming PD may take the whole reply delay to answer. Once it has
// gone offline it must still come back on a line kept busy by another PD,
// whose polls would otherwise cut every probe short.
func TestBusSlowPDComesBackOnABusyLine(t *testing.T) {
	cfg := BusConfig{PDs: []PDConfig{{Addr: 1}, {Addr: 2}}, ConnectMax: time.Second}
	live, slow := &fakePD{addr: 1}, &fakePD{addr: 2, silent: true}
	s := newSim(t, cfg, live, slow)
	s.run(10 * time.Second)
	require.Len(t, s.eventsOf(EventOnline, 1), 1)
	require.Empty(t, s.eventsOf(EventOnline, 2))
	slow.silent, slow.delay = false, 150*time.Millisecond // powered up again, answers after 150 ms
	s.run(10 * time.Second)
	assert.NotEmpty(t, s.eventsOf(EventOnline, 2), "the slow PD is online again")
	assert.Empty(t, s.eventsOf(EventOffline, 1), "the live PD was never dropped")
}
