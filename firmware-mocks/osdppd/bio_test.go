package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

func TestBioRead(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	read := osdp.BioRead{Type: 7, Format: 2, Quality: 40}
	assert.Equal(t, osdp.BioReadR{Status: 1, Type: 7, Data: []byte{}}, c.reply(read), "no finger: timeout")

	sample := osdp.BioReadR{Status: 0, Type: 7, Quality: 88, Data: []byte{1, 2, 3, 4}}
	p.QueueBio(sample)
	p.QueueBio(osdp.BioReadR{Status: 2, Type: 7, Data: []byte{}})
	assert.Equal(t, sample, c.reply(read))
	assert.Equal(t, osdp.BioReadR{Status: 2, Type: 7, Data: []byte{}}, c.reply(read))
	assert.Equal(t, byte(1), c.reply(read).(osdp.BioReadR).Status)
	assert.Equal(t, osdp.NAKUnknownCmd, nakCode(c.do(osdp.BioRead{Reader: 1})))
}

func TestBioMatch(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	match := osdp.BioMatch{Type: 7, Format: 2, Threshold: 50, Template: []byte{9, 9, 9}}
	assert.Equal(t, osdp.BioMatchR{Type: 7}, c.reply(match), "no result set: no match")
	p.SetBioMatch(osdp.BioMatchR{Status: 1, Type: 7, Score: 93})
	assert.Equal(t, osdp.BioMatchR{Status: 1, Type: 7, Score: 93}, c.reply(match))
	assert.Equal(t, osdp.BioMatchR{Status: 1, Type: 7, Score: 93}, c.reply(match), "until told otherwise")
}

func TestNoBiometrics(t *testing.T) {
	c := newCP(t, newPD(t, osdppd.Config{Install: true, NoBiometrics: true}))
	assert.Equal(t, osdp.NAKUnknownCmd, nakCode(c.do(osdp.BioRead{})))
	assert.Equal(t, osdp.NAKUnknownCmd, nakCode(c.do(osdp.BioMatch{Template: []byte{1}})))
}
