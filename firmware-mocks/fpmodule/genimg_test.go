package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestGenImg(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	imageValid := func() bool {
		return h.reply(fpm.ReadSysPara{}).(fpm.SysParams).Status&(1<<3) != 0
	}

	assert.Equal(t, fpm.CodeNoFinger, h.code(fpm.GenImg{}), "nothing on the sensor")
	assert.False(t, imageValid())

	m.PutFinger(7)
	assert.Equal(t, fpm.CodeOK, h.code(fpm.GenImg{}))
	assert.True(t, imageValid())

	m.RemoveFinger()
	assert.Equal(t, fpm.CodeNoFinger, h.code(fpm.GenImg{}))
	assert.False(t, imageValid(), "a failed capture leaves no image")
}

func TestGenImgBadImage(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	m.PutFinger(7)
	m.BadImage()
	assert.Equal(t, fpm.CodeDisorderly, h.code(fpm.GenImg{}))
	assert.Equal(t, fpm.CodeNoImage, h.code(fpm.Img2Tz{Buffer: fpm.CharBuffer1}), "no image left")
	assert.Equal(t, fpm.CodeOK, h.code(fpm.GenImg{}), "only the next capture is spoilt")
}

func TestBadImageWaitsForAFinger(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	m.BadImage()
	assert.Equal(t, fpm.CodeNoFinger, h.code(fpm.GenImg{}), "an empty sensor spoils nothing")
	m.PutFinger(7)
	assert.Equal(t, fpm.CodeDisorderly, h.code(fpm.GenImg{}), "the finger's capture is the spoilt one")
	assert.Equal(t, fpm.CodeOK, h.code(fpm.GenImg{}))
}

func TestGenImgGolden(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	cmd, _, err := fpm.Decode(unhex(t, "ef 01 ff ff ff ff 01 00 03 01 00 05"))
	assert.NoError(t, err)
	assert.Equal(t, [][]byte{unhex(t, "ef 01 ff ff ff ff 07 00 03 02 00 0c")}, m.Handle(cmd))
	m.PutFinger(1)
	assert.Equal(t, [][]byte{unhex(t, "ef 01 ff ff ff ff 07 00 03 00 00 0a")}, m.Handle(cmd))
}

// Lift's channel closes at the first GenImg that finds the sensor empty,
// not before, and not at a GenImg of a finger put back in the meantime.
func TestLiftSeen(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	closed := func(c <-chan struct{}) bool {
		select {
		case <-c:
			return true
		default:
			return false
		}
	}
	m.PutFinger(7)
	seen := m.Lift()
	assert.False(t, closed(seen), "no GenImg yet")
	m.PutFinger(7)
	assert.Equal(t, fpm.CodeOK, h.code(fpm.GenImg{}))
	assert.False(t, closed(seen), "the finger was back before the module looked")
	m.RemoveFinger()
	assert.Equal(t, fpm.CodeNoFinger, h.code(fpm.GenImg{}))
	assert.True(t, closed(seen))
}
