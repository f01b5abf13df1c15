package osdppd_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestLED(t *testing.T) {
	clk := newClock()
	p := newPD(t, osdppd.Config{Install: true, Now: clk.Now})
	c := newCP(t, p)
	perm := osdp.LEDPerm{Control: 1, OnTime: 1, OnColor: osdp.ColorGreen}
	temp := osdp.LEDTemp{Control: 2, OnTime: 5, OffTime: 5, OnColor: osdp.ColorRed, Timer: 30}

	assert.Equal(t, osdp.Ack{}, c.reply(osdp.LED{Records: []osdp.LEDRecord{{LED: 0, Perm: perm}}}))
	assert.Equal(t, osdppd.LEDState{Perm: perm, Color: osdp.ColorGreen}, p.LEDs()[0])

	assert.Equal(t, osdp.Ack{}, c.reply(osdp.LED{Records: []osdp.LEDRecord{{LED: 0, Temp: temp}}}))
	assert.Equal(t, osdppd.LEDState{Perm: perm, Temp: temp, Color: osdp.ColorRed}, p.LEDs()[0], "temporary over permanent, NOP perm")
	clk.Advance(3 * time.Second)
	assert.Equal(t, osdppd.LEDState{Perm: perm, Color: osdp.ColorGreen}, p.LEDs()[0], "the timer ran out")

	c.reply(osdp.LED{Records: []osdp.LEDRecord{{LED: 1, Temp: temp}}})
	assert.Equal(t, byte(osdp.ColorRed), p.LEDs()[1].Color)
	c.reply(osdp.LED{Records: []osdp.LEDRecord{{LED: 1, Temp: osdp.LEDTemp{Control: 1}}}})
	assert.Equal(t, osdppd.LEDState{}, p.LEDs()[1], "cancelled")

	for _, bad := range []struct {
		rec osdp.LEDRecord
		nak int
	}{
		{osdp.LEDRecord{Reader: 1, Perm: perm}, osdp.NAKUnknownCmd},
		{osdp.LEDRecord{LED: 2, Perm: perm}, osdp.NAKUnknownCmd},
		{osdp.LEDRecord{Temp: osdp.LEDTemp{Control: 3}}, osdp.NAKUnableToProcess},
		{osdp.LEDRecord{Perm: osdp.LEDPerm{Control: 2}}, osdp.NAKUnableToProcess},
	} {
		assert.Equal(t, bad.nak, nakCode(c.do(osdp.LED{Records: []osdp.LEDRecord{{LED: 0, Perm: osdp.LEDPerm{Control: 1}}, bad.rec}})))
	}
	assert.Equal(t, byte(osdp.ColorGreen), p.LEDs()[0].Color, "a refused command changes nothing")
}
