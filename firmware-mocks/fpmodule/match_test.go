package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestMatch(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	assert.Equal(t, fpm.CodeNoMatch, h.code(fpm.Match{}), "empty buffers")

	h.capture(7, fpm.CharBuffer1)
	h.capture(7, fpm.CharBuffer2)
	assert.Equal(t, fpm.MatchReply{Score: 160}, h.reply(fpm.Match{}), "two captures: 8 bytes apart")

	h.ok(fpm.RegModel{})
	assert.Equal(t, fpm.MatchReply{Score: 200}, h.reply(fpm.Match{}), "the template against itself")

	h.capture(8, fpm.CharBuffer2)
	ps := h.packets(fpm.Match{})
	assert.Equal(t, []byte{byte(fpm.CodeNoMatch), 0, 0}, ps[0].Data, "full length, score 0")
}

func TestMatchScoreFloor(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	noisy := fpmodule.Finger(9)
	for i := 16; i < 200; i++ {
		noisy[i] ^= 0xFF
	}
	h.download(fpm.CharBuffer1, fpmodule.Finger(9), 128)
	h.download(fpm.CharBuffer2, noisy, 128)
	assert.Equal(t, fpm.MatchReply{Score: 50}, h.reply(fpm.Match{}))
}
