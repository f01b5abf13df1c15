package controller

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/config"
	"menwei/controller/store"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// Tamper and power are recorded when they change, in both directions, and
// a PD that reports the same state on every poll records it once.
func TestTamperAndPowerRecordedOnChange(t *testing.T) {
	e := newEngine(t)
	k := pdKey{"b", 1}
	report := func(tamper, power byte) {
		e.c.report(context.Background(), k, osdp.LStatR{Tamper: tamper, Power: power})
	}

	report(0, 0)
	assert.Empty(t, kinds(e.events()), "all well at the first report: nothing to record")
	for range 3 {
		report(1, 0)
	}
	assert.Equal(t, []string{KindPDTamper, "alert.tamper"}, kinds(e.events()), "one tamper, one alert")
	report(0, 0)
	report(0, 0)
	assert.Equal(t, []string{KindPDTamperCleared}, kinds(e.events()))
	for range 3 {
		report(0, 1)
	}
	assert.Equal(t, []string{KindPDPower}, kinds(e.events()))
	report(0, 0)
	assert.Equal(t, []string{KindPDPowerRestored}, kinds(e.events()))

	// Another PD has its own state; a first report of tamper records it.
	e.c.report(context.Background(), pdKey{"b", 2}, osdp.LStatR{Tamper: 1})
	assert.Equal(t, []string{KindPDTamper, "alert.tamper"}, kinds(e.events()))
}

// nakISTAT serves an emulated PD on a line but NAKs its first n ISTATs, as a
// PD whose status handler is not ready does.
func nakISTAT(ctx context.Context, rw io.ReadWriter, pd *osdppd.PD, n int, seen *int, mu *sync.Mutex) {
	r := osdp.NewReader(rw)
	for ctx.Err() == nil {
		f, err := r.Next()
		if err != nil {
			return
		}
		mu.Lock()
		if f.Code == osdp.CmdISTAT {
			*seen++
		}
		refuse := f.Code == osdp.CmdISTAT && *seen <= n
		mu.Unlock()
		rep := pd.Handle(f) // the PD sees every command, so its sequence keeps step
		if refuse {
			rep, _ = osdp.AppendEncode(nil, osdp.Frame{Addr: f.Addr, Reply: true, Seq: f.Seq, CRC: f.CRC, Code: osdp.ReplyNAK, Data: []byte{osdp.NAKUnableToProcess}})
		}
		if rep != nil {
			if _, err := rw.Write(rep); err != nil {
				return
			}
		}
	}
}

// A NAKed ISTAT is asked again, so the door contact becomes known without
// waiting for it to change.
func TestISTATRetriedAfterNAK(t *testing.T) {
	c, s, pdEnd := pipeController(t, `
buses:
  - name: b
    device: /dev/null
    pds: [{ name: lobby-r, address: 3 }]
doors:
  - name: lobby
    readers: [{ pd: lobby-r }]
    lock: { pd: lobby-r, output: 0 }
    contact: { pd: lobby-r, input: 0 }
`)
	pd, err := osdppd.New(osdppd.Config{Addr: 3})
	require.NoError(t, err)
	require.NoError(t, pd.SetInput(0, true)) // the door stands open from the start
	// ...and the PD reported that long ago: take the report off its queue.
	poll, _, err := osdp.Decode(must(osdp.AppendEncode(nil, osdp.Frame{Addr: 3, Seq: 0, CRC: true, Code: osdp.CmdPOLL})))
	require.NoError(t, err)
	rep, _, err := osdp.Decode(pd.Handle(poll))
	require.NoError(t, err)
	require.Equal(t, byte(osdp.ReplyISTATR), rep.Code)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := 0
	wg.Add(2)
	go func() { defer wg.Done(); nakISTAT(ctx, pdEnd, pd, 2, &seen, &mu) }()
	go func() { defer wg.Done(); c.Run(ctx) }()
	defer func() { cancel(); pdEnd.Close(); wg.Wait() }()

	// The retries come after 1 s and 2 s.
	require.Eventually(t, func() bool { return c.Doors()[0].Open }, 20*time.Second, 20*time.Millisecond, "the door contact is learned despite two NAKed ISTATs")
	mu.Lock()
	assert.GreaterOrEqual(t, seen, 3, "asked again after each NAK")
	mu.Unlock()
	evs, err := s.Events(EventQuery{Limit: 1000})
	require.NoError(t, err)
	online := 0
	for _, ev := range evs {
		if ev.Kind == KindPDOnline {
			online++
		}
	}
	assert.Equal(t, 1, online, "learned while online, not by reconnecting: %v", kinds(evs))
}

// pipeController is a Controller of the configuration yaml on an
// in-memory store, its one bus on a pipe: the PD's end is returned for an
// emulated PD to answer on. The store closes with the test.
func pipeController(t *testing.T, yaml string) (*Controller, *store.Store, net.Conn) {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), t.TempDir())
	require.NoError(t, err)
	s, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	cpEnd, pdEnd := net.Pipe()
	c, err := New(Options{Config: cfg, Store: s,
		OpenPort: func(config.Bus) (io.ReadWriteCloser, error) { return cpEnd, nil }})
	require.NoError(t, err)
	return c, s, pdEnd
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
