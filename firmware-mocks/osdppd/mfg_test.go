package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestMfg(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	cmd := osdp.Mfg{Vendor: [3]byte{0xb2, 0xa1, 0x00}, Data: []byte{1, 2}}
	assert.Equal(t, osdp.Ack{}, c.reply(cmd))
	assert.Equal(t, []osdp.Message{cmd}, p.Commands())

	rep := osdp.MfgRep{Vendor: [3]byte{0xb2, 0xa1, 0x00}, Data: []byte{0xca, 0xfe}}
	p.QueueMfgReply(rep)
	assert.Equal(t, rep, c.reply(osdp.Poll{}))
}
