package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestRegModel(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.capture(7, fpm.CharBuffer1)
	h.capture(7, fpm.CharBuffer2)
	assert.NotEqual(t, h.upload(fpm.CharBuffer1), h.upload(fpm.CharBuffer2))
	h.ok(fpm.RegModel{})
	assert.Equal(t, fpmodule.Finger(7), h.upload(fpm.CharBuffer1), "the noise is gone")
	assert.Equal(t, fpmodule.Finger(7), h.upload(fpm.CharBuffer2), "in both buffers")
}

func TestRegModelRefuses(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	assert.Equal(t, fpm.CodeMergeFailed, h.code(fpm.RegModel{}), "empty buffers")

	h.capture(7, fpm.CharBuffer1)
	h.capture(8, fpm.CharBuffer2)
	one, two := h.upload(fpm.CharBuffer1), h.upload(fpm.CharBuffer2)
	assert.Equal(t, fpm.CodeMergeFailed, h.code(fpm.RegModel{}), "two fingers")
	assert.Equal(t, one, h.upload(fpm.CharBuffer1), "buffers untouched")
	assert.Equal(t, two, h.upload(fpm.CharBuffer2))

	h.download(fpm.CharBuffer2, []byte("not a char file"), 32)
	assert.Equal(t, fpm.CodeMergeFailed, h.code(fpm.RegModel{}))
}
