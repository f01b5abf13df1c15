package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestText(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	assert.Equal(t, "", p.LastText())
	assert.Equal(t, osdp.Ack{}, c.reply(osdp.Text{Command: 1, Row: 1, Col: 1, Text: "Welcome"}))
	assert.Equal(t, "Welcome", p.LastText())
	assert.Equal(t, osdp.Ack{}, c.reply(osdp.Text{Command: 3, TempTime: 5, Row: 1, Col: 1, Text: ""}))
	assert.Equal(t, "", p.LastText())
	assert.Equal(t, osdp.NAKUnknownCmd, nakCode(c.do(osdp.Text{Reader: 2, Command: 1, Text: "x"})))
}
