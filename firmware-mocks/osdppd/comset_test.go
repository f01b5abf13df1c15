package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestComSet(t *testing.T) {
	p := newPD(t, osdppd.Config{Addr: 5, Install: true})
	c := newCP(t, p)
	r := c.do(osdp.ComSet{Addr: 12, Baud: 115200})
	assert.Equal(t, byte(5), r.Addr, "COM comes from the old address")
	m, err := osdp.ParseReply(r.Code, r.Data)
	require.NoError(t, err)
	assert.Equal(t, osdp.Com{Addr: 12, Baud: 115200}, m)
	assert.Equal(t, byte(12), p.Addr())

	seq := c.last
	assert.Nil(t, c.send(osdp.CmdPOLL, nil), "the old address is deaf")
	c.addr, c.last = 12, seq
	assert.Equal(t, byte(osdp.ReplyACK), c.do(osdp.Poll{}).Code)
}

func TestComSetByBroadcast(t *testing.T) {
	p := newPD(t, osdppd.Config{Addr: 5, Install: true})
	c := newCP(t, p)
	c.addr = osdp.Broadcast
	r := c.do(osdp.ComSet{Addr: 1, Baud: 9600})
	assert.Equal(t, byte(osdp.Broadcast), r.Addr)
	assert.Equal(t, byte(1), p.Addr())
}
