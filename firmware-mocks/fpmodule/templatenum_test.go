package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestTemplateNum(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	assert.Equal(t, fpm.TemplateCount{Count: 0}, h.reply(fpm.TemplateNum{}))
	h.enrol(7, 0)
	h.ok(fpm.Store{Buffer: fpm.CharBuffer1, Page: 0}) // the same page again
	h.ok(fpm.Store{Buffer: fpm.CharBuffer1, Page: 200})
	assert.Equal(t, fpm.TemplateCount{Count: 2}, h.reply(fpm.TemplateNum{}))
}
