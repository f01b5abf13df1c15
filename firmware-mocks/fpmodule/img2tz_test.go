package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestImg2Tz(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	assert.Equal(t, fpm.CodeNoImage, h.code(fpm.Img2Tz{Buffer: fpm.CharBuffer1}), "nothing captured")

	h.capture(7, fpm.CharBuffer1)
	first := h.upload(fpm.CharBuffer1)
	assert.Len(t, first, fpmodule.TemplateSize)
	assert.Equal(t, []byte{'F', 'P', 1, 0, 0, 0, 0, 7}, first[:8], "a char file of finger 7")

	// The same image twice gives the same char file; a new capture of the
	// same finger a different one, in four body bytes.
	h.ok(fpm.Img2Tz{Buffer: fpm.CharBuffer2})
	assert.Equal(t, first, h.upload(fpm.CharBuffer2))
	h.capture(7, fpm.CharBuffer2)
	second := h.upload(fpm.CharBuffer2)
	assert.Equal(t, first[:16], second[:16], "the header survives the noise")
	assert.Equal(t, 8, differing(first, second))
	assert.Equal(t, 4, differing(first, fpmodule.Finger(7)[16:], 16))
}

func TestImg2TzRefuses(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	m.PutFinger(3)
	h.ok(fpm.GenImg{})
	assert.Equal(t, fpm.CodePacket, h.code(fpm.Img2Tz{Buffer: 3}), "no buffer 3")
	m.BadImage()
	assert.Equal(t, fpm.CodeDisorderly, h.code(fpm.Img2Tz{Buffer: fpm.CharBuffer1}))
	assert.Equal(t, fpm.CodeOK, h.code(fpm.Img2Tz{Buffer: fpm.CharBuffer1}), "the image itself is still there")
}

// differing counts the bytes where a and b differ, comparing b with a from
// offset on (default 0).
func differing(a, b []byte, offset ...int) int {
	off := 0
	if len(offset) > 0 {
		off = offset[0]
	}
	n := 0
	for i := range b {
		if a[off+i] != b[i] {
			n++
		}
	}
	return n
}
