package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestSearch(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.enrol(7, 5)
	h.enrol(8, 9)
	h.enrol(7, 20) // the same finger twice: the lower page wins

	h.capture(7, fpm.CharBuffer1)
	assert.Equal(t, fpm.SearchReply{Page: 5, Score: 180}, h.reply(fpm.Search{Buffer: fpm.CharBuffer1, Count: 300}))
	assert.Equal(t, fpm.SearchReply{Page: 20, Score: 180}, h.reply(fpm.Search{Buffer: fpm.CharBuffer1, Start: 6, Count: 300}))
	assert.Equal(t, fpm.CodeNotFound, h.code(fpm.Search{Buffer: fpm.CharBuffer1, Start: 6, Count: 14}), "pages 6..19")
	assert.Equal(t, fpm.SearchReply{Page: 20, Score: 180}, h.reply(fpm.Search{Buffer: fpm.CharBuffer1, Start: 6, Count: 0xFFFF}),
		"the count is cut at the library's end")

	h.capture(8, fpm.CharBuffer2)
	assert.Equal(t, fpm.SearchReply{Page: 9, Score: 180}, h.reply(fpm.Search{Buffer: fpm.CharBuffer2, Count: 300}))

	h.capture(99, fpm.CharBuffer1)
	ps := h.packets(fpm.Search{Buffer: fpm.CharBuffer1, Count: 300})
	assert.Equal(t, []byte{byte(fpm.CodeNotFound), 0, 0, 0, 0}, ps[0].Data, "full length, page and score 0")
}

func TestSearchRefuses(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	assert.Equal(t, fpm.CodeNotFound, h.code(fpm.Search{Buffer: fpm.CharBuffer1, Count: 300}), "empty buffer")
	assert.Equal(t, fpm.CodeBadPage, h.code(fpm.Search{Buffer: fpm.CharBuffer1, Start: 300, Count: 1}))
	assert.Equal(t, fpm.CodePacket, h.code(fpm.Search{Buffer: 0, Count: 300}))
}
