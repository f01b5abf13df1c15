package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestEmpty(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.enrol(7, 1)
	h.enrol(8, 2)
	h.ok(fpm.Empty{})
	assert.Empty(t, m.Slots())
	assert.Equal(t, fpm.TemplateCount{}, h.reply(fpm.TemplateNum{}))
	assert.Equal(t, fpmodule.Finger(8), h.upload(fpm.CharBuffer1), "the buffers keep their contents")
	h.ok(fpm.Empty{}) // an empty library empties again
}
