package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/devices/osdp"
	"menwei/devices/serialport/serialporttest"
	"menwei/devices/wiegand"
	"menwei/firmware-mocks/osdppd"
	"menwei/firmware-mocks/wiegandconv"
)

// An old Wiegand reader behind a converter on its own serial port opens a
// door whose lock is on an OSDP PD; a swipe with a parity error is a bad
// read, never looked up as a different card.
func TestWiegandConverterDoor(t *testing.T) {
	for _, framing := range []string{wiegand.HexCR, wiegand.DecCRLF, wiegand.STXETX} {
		t.Run(framing, func(t *testing.T) {
			master, slave := serialporttest.PtyPair(t)
			conv, err := wiegandconv.New(master, wiegand.Framer{Framing: framing})
			require.NoError(t, err)
			pd, err := osdppd.New(osdppd.Config{Addr: 101})
			require.NoError(t, err)
			g := startGateWith(t, gateSetup{pd: pd, seed: true,
				door: `  - name: side-gate
    readers: [{ converter: old-reader }]
    lock: { pd: gate-reader, output: 1 }`,
				extra: fmt.Sprintf("converters:\n  - { name: old-reader, device: %s, framing: %s }", slave, framing)})
			g.waitOnline(false)

			require.NoError(t, conv.Noise([]byte("\x00\x13\r\n")))
			require.NoError(t, conv.Swipe("h10301:1:1234"))
			granted := g.waitEvent("granted", func(e controller.Event) bool { return e.Kind == controller.KindGranted && e.Door == "side-gate" })
			assert.Equal(t, "li-wei", granted.Identity)
			assert.Equal(t, "old-reader", granted.PD)
			for {
				out := waitCmd(t, pd, osdp.CmdOUT).(osdp.Out)
				if out.Records[0].Output == 1 && out.Records[0].Control == osdp.OutTempOnThenOff {
					break
				}
			}

			require.NoError(t, conv.SwipeBadParity("h10301:1:1234"))
			bad := g.waitEvent("bad read", func(e controller.Event) bool { return e.Kind == controller.KindDenied && e.Door == "side-gate" })
			assert.Equal(t, controller.ReasonBadRead, bad.Reason)
			assert.Empty(t, bad.Identity)
			assert.Empty(t, bad.Card, "a misread is not a card")
		})
	}
}
