package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestDownChar(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.download(fpm.CharBuffer2, fpmodule.Finger(7), 64)
	assert.Equal(t, fpmodule.Finger(7), h.upload(fpm.CharBuffer2))
	h.ok(fpm.Store{Buffer: fpm.CharBuffer2, Page: 5})

	// The downloaded template finds the finger.
	h.capture(7, fpm.CharBuffer1)
	assert.Equal(t, fpm.SearchReply{Page: 5, Score: 180}, h.reply(fpm.Search{Buffer: fpm.CharBuffer1, Count: 300}))
}

func TestDownCharAbandoned(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.download(fpm.CharBuffer1, []byte("old"), 32)

	ps, err := fpm.SplitData(fpm.DefaultAddr, fpmodule.Finger(7), 128)
	require.NoError(t, err)
	h.ok(fpm.DownChar{Buffer: fpm.CharBuffer1})
	assert.Nil(t, m.Handle(ps[0]))
	h.ok(fpm.TemplateNum{}) // a command in the middle ends the transfer
	for _, p := range ps[1:] {
		assert.Nil(t, m.Handle(p))
	}
	assert.Equal(t, []byte("old"), h.upload(fpm.CharBuffer1), "buffer untouched")
}

func TestDataWithoutDownCharIgnored(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	assert.Nil(t, m.Handle(fpm.Packet{Addr: fpm.DefaultAddr, PID: fpm.PIDDataLast, Data: []byte{1}}))
	assert.Equal(t, fpm.CodeUpload, h.code(fpm.UpChar{Buffer: fpm.CharBuffer1}), "still empty")
}

func TestDownCharRefuses(t *testing.T) {
	h := newHost(t, newModule(t, fpmodule.Config{}))
	assert.Equal(t, fpm.CodeDownload, h.code(fpm.DownChar{Buffer: 3}))
}
