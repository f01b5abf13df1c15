package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/devices/osdp"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/osdppd"
)

// BenchmarkCardToOUT measures, at the emulated reader, the time from writing
// a RAW card reply to receiving the OUT command that releases the lock:
// both pseudo-terminal crossings, menweid's frame handling and secure
// channel, the decision, the synced event append (real disk), and the bus
// loop's scheduling. One op is one card.
func BenchmarkCardToOUT(b *testing.B) {
	key, _ := hex.DecodeString(testKey)
	pd, err := osdppd.New(osdppd.Config{Addr: 101, SCBK: key})
	require.NoError(b, err)
	master, slave := serialporttest.PtyPair(b)

	outs := make(chan time.Duration, 16)
	go func() { // the reader's firmware, timing RAW → OUT
		r := osdp.NewReader(master)
		var rawAt time.Time
		for {
			f, err := r.Next()
			if err != nil {
				return
			}
			if f.Code == osdp.CmdOUT && !rawAt.IsZero() {
				outs <- time.Since(rawAt)
				rawAt = time.Time{}
			}
			rep := pd.Handle(f)
			if rep == nil {
				continue
			}
			if rf, _, err := osdp.Decode(rep); err == nil && rf.Code == osdp.ReplyRAW {
				rawAt = time.Now()
			}
			if _, err := master.Write(rep); err != nil {
				return
			}
		}
	}()

	dir := b.TempDir()
	yaml := fmt.Sprintf(`
data_dir: %s
http: { listen: "127.0.0.1:0" }
buses:
  - name: gate
    device: %s
    baud: 115200
    poll_interval: 20ms
    pds:
      - { name: gate-reader, address: 101, scbk: %s }
doors:
  - name: main-gate
    readers: [{ pd: gate-reader }]
    lock: { pd: gate-reader, output: 0 }
`, dir, slave, testKey)
	cfg, err := controller.ParseConfig([]byte(yaml), dir)
	require.NoError(b, err)
	s, err := controller.OpenStore(controller.StoreOptions{Dir: cfg.Store.Dir})
	require.NoError(b, err)
	seedN(b, s, 10_000)
	require.NoError(b, s.Close())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() { done <- Run(ctx, cfg, discard(), Options{Ready: func(a string) { ready <- a }}) }()
	<-ready
	defer func() { cancel(); <-done }()
	// Wait for the secure channel and the lock's idle OUT.
	require.Eventually(b, pd.SCActive, 20*time.Second, 10*time.Millisecond)
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	_, err = pd.WaitCommand(wctx, osdp.CmdOUT)
	wcancel()
	require.NoError(b, err)

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		pd.PresentWiegand26(1, uint16(i%10_000))
		select {
		case d := <-outs:
			lat = append(lat, d)
		case <-time.After(10 * time.Second):
			b.Fatal("no OUT after a card")
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1e3 }
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(p(1), "max-ms")
}
