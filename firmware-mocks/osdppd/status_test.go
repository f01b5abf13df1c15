package osdppd_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestStatusReplies(t *testing.T) {
	clk := newClock()
	p := newPD(t, osdppd.Config{Install: true, Inputs: 3, Outputs: 2, Now: clk.Now})
	c := newCP(t, p)
	assert.Equal(t, osdp.LStatR{}, c.reply(osdp.LStat{}))
	assert.Equal(t, osdp.IStatR{Inputs: []byte{0, 0, 0}}, c.reply(osdp.IStat{}))
	assert.Equal(t, osdp.OStatR{Outputs: []byte{0, 0}}, c.reply(osdp.OStat{}))
	assert.Equal(t, osdp.RStatR{Readers: []byte{0}}, c.reply(osdp.RStat{}))

	p.SetTamper(true)
	p.SetPower(true)
	_ = p.SetInput(2, true)
	c.do(osdp.Out{Records: []osdp.OutRecord{{Output: 1, Control: osdp.OutTempOnThenOff, Timer: 10}}})
	assert.Equal(t, osdp.LStatR{Tamper: 1, Power: 1}, c.reply(osdp.LStat{}))
	assert.Equal(t, osdp.IStatR{Inputs: []byte{0, 0, 1}}, c.reply(osdp.IStat{}))
	assert.Equal(t, osdp.OStatR{Outputs: []byte{0, 1}}, c.reply(osdp.OStat{}))
	clk.Advance(time.Second)
	assert.Equal(t, osdp.OStatR{Outputs: []byte{0, 0}}, c.reply(osdp.OStat{}), "the timer ran out")
}
