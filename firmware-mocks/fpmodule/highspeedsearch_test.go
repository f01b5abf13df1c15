package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestHighSpeedSearch(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.enrol(7, 5)
	h.enrol(8, 9)

	h.capture(7, fpm.CharBuffer1)
	assert.Equal(t, fpm.SearchReply{Page: 5, Score: 180}, h.reply(fpm.HighSpeedSearch{Buffer: fpm.CharBuffer1, Count: 300}))
	assert.Equal(t, fpm.CodeNotFound, h.code(fpm.HighSpeedSearch{Buffer: fpm.CharBuffer1, Start: 6, Count: 300}))

	h.capture(99, fpm.CharBuffer2)
	ps := h.packets(fpm.HighSpeedSearch{Buffer: fpm.CharBuffer2, Count: 300})
	assert.Equal(t, []byte{byte(fpm.CodeNotFound), 0, 0, 0, 0}, ps[0].Data, "full length, page and score 0")
	assert.Equal(t, fpm.CodeBadPage, h.code(fpm.HighSpeedSearch{Buffer: fpm.CharBuffer1, Start: 300, Count: 1}))
	assert.Equal(t, fpm.CodePacket, h.code(fpm.HighSpeedSearch{Buffer: 3, Count: 300}))
}

func TestHighSpeedSearchGolden(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.enrol(7, 5)
	h.capture(7, fpm.CharBuffer1)
	cmd, _, err := fpm.Decode(unhex(t, "ef 01 ff ff ff ff 01 00 08 1b 01 00 00 01 2c 00 52"))
	assert.NoError(t, err)
	assert.Equal(t, [][]byte{unhex(t, "ef 01 ff ff ff ff 07 00 07 00 00 05 00 b4 00 c7")}, m.Handle(cmd), "page 5, score 180")
}
