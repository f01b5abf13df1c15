package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestID(t *testing.T) {
	c := newCP(t, newPD(t, osdppd.Config{Install: true}))
	assert.Equal(t, osdppd.DefaultIdentity, c.reply(osdp.IDReq{}))

	id := osdp.PDID{Vendor: [3]byte{0x0a, 0x0b, 0x0c}, Model: 7, Version: 2, Serial: 99, Firmware: [3]byte{1, 2, 3}}
	c = newCP(t, newPD(t, osdppd.Config{Install: true, Identity: id}))
	assert.Equal(t, id, c.reply(osdp.IDReq{}))
}
