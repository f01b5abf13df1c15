package fpmodule_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestWipe(t *testing.T) {
	m := newModule(t, fpmodule.Config{Password: 5})
	h := newHost(t, m)
	h.ok(fpm.VfyPwd{Password: 5})
	h.enrol(7, 5)
	m.Wipe()
	assert.Empty(t, m.Slots())
	assert.Equal(t, fpm.CodePasswordRequired, h.code(fpm.TemplateNum{}), "a new module")
	h.ok(fpm.VfyPwd{Password: 5})
	assert.Equal(t, fpm.CodeUpload, h.code(fpm.UpChar{Buffer: fpm.CharBuffer1}), "buffers empty")
	assert.Equal(t, fpm.CodeNoImage, h.code(fpm.Img2Tz{Buffer: fpm.CharBuffer1}), "no image")
	assert.Equal(t, fpm.CodeOK, h.code(fpm.GenImg{}), "the finger is still on the sensor")
}

func TestSilent(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.capture(7, fpm.CharBuffer1)
	m.Silent(true)
	assert.Nil(t, m.Handle(fpm.NewCommand(fpm.DefaultAddr, fpm.Store{Buffer: fpm.CharBuffer1, Page: 1})))
	m.Silent(false)
	assert.Empty(t, m.Slots(), "a silent module ignores what it is sent")
	h.ok(fpm.Store{Buffer: fpm.CharBuffer1, Page: 1})
	assert.Equal(t, map[int]bool{1: true}, m.Slots())
}

func TestGarbage(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	m.Garbage(true)
	wire := m.Handle(fpm.NewCommand(fpm.DefaultAddr, fpm.TemplateNum{}))
	require.Len(t, wire, 2)
	assert.Empty(t, readPackets(t, wire[:1]), "the noise holds no packet")
	assert.True(t, bytes.Contains(wire[0], []byte{0xEF, 0x01}), "but looks like one")
	assert.Equal(t, fpm.TemplateCount{}, h.reply(fpm.TemplateNum{}), "the reader finds the answer after it")

	h.enrol(7, 0)
	assert.Equal(t, fpmodule.Finger(7), h.upload(fpm.CharBuffer1), "data packets too")
	m.Garbage(false)
	assert.Len(t, m.Handle(fpm.NewCommand(fpm.DefaultAddr, fpm.TemplateNum{})), 1)
}

func TestSlotsIsACopy(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	newHost(t, m).enrol(7, 3)
	s := m.Slots()
	s[4] = true
	assert.Equal(t, map[int]bool{3: true}, m.Slots())
}
