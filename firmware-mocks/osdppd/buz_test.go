package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestBuzzer(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	b := osdp.Buz{Tone: 2, OnTime: 2, OffTime: 2, Count: 1}
	assert.Equal(t, osdp.Ack{}, c.reply(b))
	assert.Equal(t, b, p.LastBuzz())
	assert.Equal(t, osdp.NAKUnknownCmd, nakCode(c.do(osdp.Buz{Reader: 1, Tone: 1})))
	assert.Equal(t, b, p.LastBuzz())
}
