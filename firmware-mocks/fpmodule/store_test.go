package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestStore(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.capture(7, fpm.CharBuffer2)
	h.ok(fpm.Store{Buffer: fpm.CharBuffer2, Page: 0})
	h.ok(fpm.Store{Buffer: fpm.CharBuffer2, Page: 299})
	assert.Equal(t, map[int]bool{0: true, 299: true}, m.Slots())

	h.capture(8, fpm.CharBuffer2)
	h.ok(fpm.Store{Buffer: fpm.CharBuffer2, Page: 0})
	h.ok(fpm.LoadChar{Buffer: fpm.CharBuffer1, Page: 0})
	assert.Equal(t, byte(8), h.upload(fpm.CharBuffer1)[7], "a page is overwritten")
}

func TestStoreRefuses(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	assert.Equal(t, fpm.CodeReadTemplate, h.code(fpm.Store{Buffer: fpm.CharBuffer1, Page: 1}), "nothing in the buffer")
	h.capture(7, fpm.CharBuffer1)
	assert.Equal(t, fpm.CodeBadPage, h.code(fpm.Store{Buffer: fpm.CharBuffer1, Page: 300}))
	assert.Equal(t, fpm.CodePacket, h.code(fpm.Store{Buffer: 3, Page: 1}))
	assert.Empty(t, m.Slots())
}
