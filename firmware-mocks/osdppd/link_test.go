package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestLinkSettings(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	assert.Equal(t, osdp.Ack{}, c.reply(osdp.ACURxSize{Size: 512}))
	assert.Equal(t, osdp.Ack{}, c.reply(osdp.KeepActive{Millis: 2000}))
	assert.Equal(t, []osdp.Message{osdp.ACURxSize{Size: 512}, osdp.KeepActive{Millis: 2000}}, p.Commands())
}
