package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestKeySetOnlyUnderSecureChannel(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	newKey := unhex(t, "ffeeddccbbaa99887766554433221100")
	assert.Equal(t, osdp.NAKEncryptRequired, nakCode(c.do(osdp.KeySet{Type: 1, Key: newKey})), "plaintext KEYSET")
	assert.Nil(t, p.Key())
	assert.True(t, p.State().Install)

	c.handshake(osdp.SCBKD, osdp.KeySelSCBKD)
	r := c.do(osdp.KeySet{Type: 1, Key: newKey})
	assert.Equal(t, byte(osdp.ReplyACK), r.Code)
	assert.Equal(t, newKey, p.Key())
	st := p.State()
	assert.False(t, st.Install, "install mode is over")
	assert.False(t, st.SCActive)
	ks := p.Commands()[len(p.Commands())-1].(osdp.KeySet)
	assert.Nil(t, ks.Key, "the history does not keep the key")
}

func TestKeySetReplacesAKey(t *testing.T) {
	old := key16(t, testKey)
	p := newPD(t, osdppd.Config{SCBK: old[:]})
	c := newCP(t, p)
	c.handshake(old, osdp.KeySelSCBK)
	newKey := key16(t, "00112233445566778899aabbccddeeff")
	assert.Equal(t, byte(osdp.ReplyACK), c.do(osdp.KeySet{Type: 1, Key: newKey[:]}).Code)
	c.handshake(newKey, osdp.KeySelSCBK)
	assert.True(t, p.SCActive())
}
