package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestLoadChar(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.enrol(7, 42)
	h.capture(8, fpm.CharBuffer2)
	h.ok(fpm.LoadChar{Buffer: fpm.CharBuffer2, Page: 42})
	assert.Equal(t, fpmodule.Finger(7), h.upload(fpm.CharBuffer2))
}

func TestLoadCharRefuses(t *testing.T) {
	m := newModule(t, fpmodule.Config{Slots: 10})
	h := newHost(t, m)
	assert.Equal(t, fpm.CodeReadTemplate, h.code(fpm.LoadChar{Buffer: fpm.CharBuffer1, Page: 3}), "empty page")
	assert.Equal(t, fpm.CodeBadPage, h.code(fpm.LoadChar{Buffer: fpm.CharBuffer1, Page: 10}))
	assert.Equal(t, fpm.CodePacket, h.code(fpm.LoadChar{Buffer: 0, Page: 3}))
}
