package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestDeleteChar(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.capture(7, fpm.CharBuffer1)
	for _, p := range []uint16{3, 4, 5, 6, 299} {
		h.ok(fpm.Store{Buffer: fpm.CharBuffer1, Page: p})
	}
	h.ok(fpm.DeleteChar{Page: 4, Count: 2})
	assert.Equal(t, map[int]bool{3: true, 6: true, 299: true}, m.Slots())
	h.ok(fpm.DeleteChar{Page: 0, Count: 3}) // empty pages are no error
	h.ok(fpm.DeleteChar{Page: 299, Count: 1})
	assert.Equal(t, map[int]bool{3: true, 6: true}, m.Slots())
}

func TestDeleteCharRefuses(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.enrol(7, 299)
	assert.Equal(t, fpm.CodeDelete, h.code(fpm.DeleteChar{Page: 5, Count: 0}))
	assert.Equal(t, fpm.CodeDelete, h.code(fpm.DeleteChar{Page: 299, Count: 2}), "past the end")
	assert.Equal(t, fpm.CodeBadPage, h.code(fpm.DeleteChar{Page: 300, Count: 1}))
	assert.Equal(t, map[int]bool{299: true}, m.Slots(), "nothing deleted")
}
