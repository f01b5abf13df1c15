package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"menwei/controller/config"
	"menwei/devices/osdp"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/osdppd"
)

// BenchmarkCardToOUTPaced measures card → OUT as a person at the door sees
// it, on a half-duplex line paced at its baud rate (10 bits a byte), secure
// channel on: from the card presented at the reader (the reader queues it
// for its next poll reply) to the reader receiving the OUT that releases
// its door. The PDs share the line, each with its own door; cards come at
// the readers in turn, at random moments (so the wait for a poll is not in
// step with the polling), and each grant's relock, LED and buzzer commands
// follow on the line as they do at a real gate. One op is one card.
func BenchmarkCardToOUTPaced(b *testing.B) {
	for _, bc := range []struct {
		baud, pds int
		gap       time.Duration // mean time between cards
	}{{115200, 1, 150 * time.Millisecond}, {115200, 8, 150 * time.Millisecond}, {9600, 8, 300 * time.Millisecond}} {
		// idle-50ms is the anchor: polling every poll_interval (50ms), as
		// before idle_poll_gap; idle-10ms is the default.
		for _, idle := range []string{"50ms", "10ms"} {
			b.Run(fmt.Sprintf("%dbaud-%dpd-idle-%s", bc.baud, bc.pds, idle), func(b *testing.B) { benchPaced(b, bc.baud, bc.pds, bc.gap, idle) })
		}
	}
}

func benchPaced(b *testing.B, baud, n int, gap time.Duration, idle string) {
	key, _ := hex.DecodeString(testKey)
	pds := make([]*osdppd.PD, n)
	var yPDs, yDoors strings.Builder
	for i := range pds {
		addr := byte(101 + i)
		pd, err := osdppd.New(osdppd.Config{Addr: addr, SCBK: key})
		require.NoError(b, err)
		pds[i] = pd
		fmt.Fprintf(&yPDs, "      - { name: r%d, address: %d, scbk: %s }\n", i, addr, testKey)
		fmt.Fprintf(&yDoors, "  - { name: door%d, readers: [{ pd: r%d }], lock: { pd: r%d, output: 0 }, pulse: 1s }\n", i, i, i)
	}
	cpEnd, pdEnd := serialporttest.NewLine(baud)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- osdppd.Serve(ctx, pdEnd, pds...) }()

	dir := b.TempDir()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
data_dir: %s
http: { listen: "127.0.0.1:0" }
buses:
  - name: gate
    device: paced-line
    baud: %d
    idle_poll_gap: %s
    pds:
%sdoors:
%s`, dir, baud, idle, yPDs.String(), yDoors.String())), dir)
	require.NoError(b, err)
	s, err := openStore(cfg.Store.Dir)
	require.NoError(b, err)
	seedN(b, s, 1000)
	require.NoError(b, s.Close())

	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		done <- Run(ctx, cfg, discard(), Options{Ready: func(a string) { ready <- a },
			OpenPort: func(config.Bus) (io.ReadWriteCloser, error) { return cpEnd, nil }})
	}()
	<-ready
	defer func() { cancel(); pdEnd.Close(); <-done; <-served }()
	for _, pd := range pds { // on their secure channels, the locks' first OUT taken
		require.Eventually(b, pd.SCActive, 60*time.Second, 10*time.Millisecond)
		wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
		_, err := pd.WaitCommand(wctx, osdp.CmdOUT)
		wcancel()
		require.NoError(b, err)
	}

	r := rand.New(rand.NewPCG(1, 2))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		time.Sleep(time.Duration(r.Int64N(int64(2 * gap)))) // cards at random moments
		b.StartTimer()
		pd := pds[i%n]
		at := time.Now()
		pd.PresentWiegand26(1, uint16(i%1000))
		waitRelease(b, ctx, pd, 10*time.Second, "no OUT after a card")
		lat = append(lat, time.Since(at))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// waitRelease waits up to wait for the OUT that releases pd's door (a
// timed pulse), skipping the relocks of earlier grants.
func waitRelease(b *testing.B, ctx context.Context, pd *osdppd.PD, wait time.Duration, what string) {
	wctx, wcancel := context.WithTimeout(ctx, wait)
	defer wcancel()
	for {
		m, err := pd.WaitCommand(wctx, osdp.CmdOUT)
		require.NoError(b, err, what)
		if o := m.(osdp.Out); len(o.Records) > 0 && o.Records[0].Control == osdp.OutTempOnThenOff {
			return
		}
	}
}
