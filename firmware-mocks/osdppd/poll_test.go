package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestPollReportsOldestFirst(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	assert.Equal(t, osdp.Ack{}, c.reply(osdp.Poll{}), "nothing pending")

	p.PresentWiegand26(1, 2)
	p.TypeKeys("12")
	p.SetTamper(true)
	_ = p.SetInput(1, true)
	p.ReportOutputs()
	p.QueueMfgReply(osdp.MfgRep{Vendor: [3]byte{1, 2, 3}, Data: []byte{9}})
	p.SetPower(true)
	assert.Equal(t, 7, p.State().Pending)

	var got []byte
	for range 8 {
		got = append(got, c.do(osdp.Poll{}).Code)
	}
	assert.Equal(t, []byte{
		osdp.ReplyRAW, osdp.ReplyKEYPAD, osdp.ReplyLSTATR, osdp.ReplyISTATR,
		osdp.ReplyOSTATR, osdp.ReplyMFGREP, osdp.ReplyLSTATR, osdp.ReplyACK,
	}, got)
}

func TestPollQueueIsBounded(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	for i := range 300 {
		p.PresentWiegand26(0, uint16(i))
	}
	assert.Equal(t, 256, p.State().Pending)
	first := c.reply(osdp.Poll{}).(osdp.Raw)
	_, card, _ := h10301(t, first)
	assert.Equal(t, 44, card, "the 44 oldest cards were dropped")
	assert.Equal(t, 255, p.State().Pending)
}
