package osdp_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/faceterm"
	"menwei/devices/osdp"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/osdppd"
)

// pacedBus runs a Loop and emulated PDs on a line paced at baud.
type pacedBus struct {
	t      testing.TB
	loop   *osdp.Loop
	cp     *serialporttest.LineEnd
	events chan osdp.Event
	stop   func()
}

func startPaced(t testing.TB, baud int, cfg osdp.BusConfig, pds ...*osdppd.PD) *pacedBus {
	cpEnd, pdEnd := serialporttest.NewLine(baud)
	cfg.Baud = baud
	loop, err := osdp.NewLoop(osdp.LoopConfig{Bus: cfg, Port: cpEnd})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); osdppd.Serve(ctx, pdEnd, pds...) }()
	go func() { defer wg.Done(); loop.Run(ctx) }()
	b := &pacedBus{t: t, loop: loop, cp: cpEnd, events: make(chan osdp.Event, 1024)}
	b.stop = func() { cancel(); pdEnd.Close(); wg.Wait() }
	t.Cleanup(b.stop)
	return b
}

// allOnline collects events until n PDs have come online.
func (b *pacedBus) allOnline(seen *[]osdp.Event, n int) {
	b.t.Helper()
	online := 0
	b.until("all online", seen, func(e osdp.Event) bool {
		if e.Kind == osdp.EventOnline {
			online++
		}
		return online == n
	})
}

// until collects events until ok says enough, failing after patience.
func (b *pacedBus) until(what string, seen *[]osdp.Event, ok func(osdp.Event) bool) {
	b.t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case e := <-b.loop.Events():
			*seen = append(*seen, e)
			if ok(e) {
				return
			}
		case <-timeout:
			b.t.Fatalf("%s: never happened", what)
		}
	}
}

// retransmits counts frames the CP wrote twice in a row to the same PD:
// the bus resends the same bytes only when it gave a reply up.
func (b *pacedBus) retransmits() int {
	n := 0
	w := b.cp.Writes()
	for i := 1; i < len(w); i++ {
		if bytes.Equal(w[i], w[i-1]) {
			n++
		}
	}
	return n
}

// At 9600 baud a face terminal's 1,000-byte JPEG fragments take over a
// second each on the wire, five times the reply timeout. Under the secure
// channel, with another PD on the line: the capture arrives whole, nothing
// is resent, nobody goes offline, the line never sees two talkers, and the
// other PD's card and OUT go through.
func TestLoopLongRepliesOnAPacedLine(t *testing.T) {
	face, err := osdppd.New(osdppd.Config{Addr: 1, SCBK: key})
	require.NoError(t, err)
	reader, err := osdppd.New(osdppd.Config{Addr: 2, SCBK: key})
	require.NoError(t, err)
	b := startPaced(t, 9600, osdp.BusConfig{PDs: []osdp.PDConfig{{Addr: 1, SCBK: key}, {Addr: 2, SCBK: key}}}, face, reader)

	var seen []osdp.Event
	b.allOnline(&seen, 2)

	photo := make([]byte, 3000)
	for i := range photo {
		photo[i] = byte(i * 7)
	}
	for _, f := range faceterm.Split(faceterm.Capture{ID: 9, Liveness: 90, Quality: 80}, photo, 1000) {
		face.QueueMfgReply(osdp.MfgRep{Vendor: faceterm.VendorCode, Data: faceterm.AppendFragment(nil, f)})
	}
	reader.PresentWiegand26(1, 1234)
	var re faceterm.Reassembler
	var got []byte
	card, outDone := false, false
	b.until("capture, card and OUT", &seen, func(e osdp.Event) bool {
		switch m := e.Msg.(type) {
		case osdp.MfgRep:
			fm, err := faceterm.Decode(m.Data)
			require.NoError(t, err)
			jpeg, _, err := re.Add(time.Now(), "face", fm.(faceterm.Fragment))
			require.NoError(t, err)
			if jpeg != nil {
				got = jpeg
			}
		case osdp.Raw:
			card = true
			_, err := b.loop.Submit(context.Background(), 2, osdp.Out{Records: []osdp.OutRecord{{Output: 0, Control: osdp.OutTempOnThenOff, Timer: 30}}})
			require.NoError(t, err)
		}
		outDone = outDone || e.Kind == osdp.EventResult
		return got != nil && outDone
	})
	assert.Equal(t, photo, got, "the capture arrives whole")
	assert.True(t, card)
	for _, e := range seen {
		assert.NotEqual(t, osdp.EventOffline, e.Kind, "nobody goes offline: %v", e.Err)
		if e.Kind == osdp.EventResult {
			assert.NoError(t, e.Err, "the OUT is acknowledged")
		}
	}
	assert.Zero(t, b.retransmits(), "no reply given up mid-frame")
	assert.Zero(t, b.cp.Collisions(), "never two talkers on the line")
}

// Eight secure readers at 115200 baud, polled as fast as the line allows
// (IdleGap 1 ms): the line never sees two talkers and no reply is given up,
// so polling is bounded by the line itself, and every PD takes its turn.
// A card holds the line for its answer: the first frame after the card's
// reply is the OUT the test submits on seeing it (a long CardHold, so the
// test's own reaction time cannot matter).
func TestLoopCardOnABusyPacedLine(t *testing.T) {
	pds, cfgs := securePDs(t, 8)
	b := startPaced(t, 115200, osdp.BusConfig{PDs: cfgs, IdleGap: time.Millisecond, CardHold: time.Second}, pds...)
	var seen []osdp.Event
	b.allOnline(&seen, len(pds))
	time.Sleep(200 * time.Millisecond) // idle polling, round the PDs

	pds[4].PresentWiegand26(1, 1234)
	b.until("the card", &seen, func(e osdp.Event) bool { _, ok := e.Msg.(osdp.Raw); return ok && e.Addr == 105 })
	from := len(b.cp.Writes())
	id, err := b.loop.Submit(context.Background(), 105, osdp.Out{Records: []osdp.OutRecord{{Output: 0, Control: osdp.OutTempOnThenOff, Timer: 30}}})
	require.NoError(t, err)
	b.until("the OUT acknowledged", &seen, func(e osdp.Event) bool { return e.Kind == osdp.EventResult && e.Req == id })
	time.Sleep(100 * time.Millisecond) // polling again

	w := b.cp.Writes()
	require.Greater(t, len(w), from)
	f, _, err := osdp.Decode(w[from])
	require.NoError(t, err)
	assert.Equal(t, [2]byte{105, osdp.CmdOUT}, [2]byte{f.Addr, f.Code}, "the OUT is the first frame after the card")
	polled := map[byte]int{}
	for _, raw := range w[from+1:] {
		if f, _, err := osdp.Decode(raw); err == nil && f.Code == osdp.CmdPOLL {
			polled[f.Addr]++
		}
	}
	for a := byte(101); a <= 108; a++ {
		assert.Positive(t, polled[a], "pd %d polled after the card", a)
	}
	for _, e := range seen {
		assert.NotEqual(t, osdp.EventOffline, e.Kind, "nobody goes offline: %v", e.Err)
		if e.Kind == osdp.EventResult {
			assert.NoError(t, e.Err)
		}
	}
	assert.Zero(t, b.retransmits(), "no reply given up")
	assert.Zero(t, b.cp.Collisions(), "never two talkers on the line")
}

// BenchmarkPacedIdleExchange measures what one idle exchange (a sealed POLL
// and its ACK) costs on a paced line against its line time, with the
// daemon's default idle_poll_gap (10 ms): the wall time of the line's
// idle polling divided by the frames the CP wrote (ms/exchange), and the
// POLL's and the ACK's time on the wire (line-ms). One op is 100 ms of idle line.
func BenchmarkPacedIdleExchange(b *testing.B) {
	for _, bc := range []struct{ baud, pds int }{{115200, 1}, {115200, 8}, {9600, 8}} {
		b.Run(fmt.Sprintf("%dbaud-%dpd", bc.baud, bc.pds), func(b *testing.B) {
			pds, cfgs := securePDs(b, bc.pds)
			bus := startPaced(b, bc.baud, osdp.BusConfig{PDs: cfgs, IdleGap: 10 * time.Millisecond}, pds...)
			var seen []osdp.Event
			bus.allOnline(&seen, len(pds))
			go func() { // keep the events flowing
				for range bus.loop.Events() {
				}
			}()
			time.Sleep(100 * time.Millisecond)
			from, start := len(bus.cp.Writes()), time.Now()
			for b.Loop() {
				time.Sleep(100 * time.Millisecond)
			}
			w := bus.cp.Writes()[from:]
			elapsed := time.Since(start)
			b.ReportMetric(float64(elapsed)/float64(len(w))/1e6, "ms/exchange")
			b.ReportMetric(float64(2*len(w[len(w)-1]))*10/float64(bc.baud)*1e3, "line-ms") // sealed, the ACK is as long as the POLL
		})
	}
}

// securePDs makes n emulated PDs at addresses 101, 102, … on the secure
// channel with key, and the bus's configuration of them.
func securePDs(tb testing.TB, n int) ([]*osdppd.PD, []osdp.PDConfig) {
	var pds []*osdppd.PD
	var cfgs []osdp.PDConfig
	for i := range n {
		a := byte(101 + i)
		pd, err := osdppd.New(osdppd.Config{Addr: a, SCBK: key})
		require.NoError(tb, err)
		pds = append(pds, pd)
		cfgs = append(cfgs, osdp.PDConfig{Addr: a, SCBK: key})
	}
	return pds, cfgs
}
