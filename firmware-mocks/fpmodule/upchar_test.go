package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestUpChar(t *testing.T) {
	for _, size := range []int{32, 64, 128, 256} {
		m := newModule(t, fpmodule.Config{PacketSize: size})
		h := newHost(t, m)
		h.enrol(7, 0)
		ps := h.packets(fpm.UpChar{Buffer: fpm.CharBuffer1})
		require.Len(t, ps, 1+fpmodule.TemplateSize/size, "size %d", size)
		assert.Equal(t, fpm.Packet{Addr: fpm.DefaultAddr, PID: fpm.PIDAck, Data: []byte{0}}, ps[0])
		for i, p := range ps[1:] {
			assert.Len(t, p.Data, size)
			want := fpm.PIDData
			if i == len(ps)-2 {
				want = fpm.PIDDataLast
			}
			assert.Equal(t, want, p.PID)
		}
		data, err := fpm.JoinData(ps[1:])
		require.NoError(t, err)
		assert.Equal(t, fpmodule.Finger(7), data)
	}
}

func TestUpCharRefuses(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	assert.Equal(t, fpm.CodeUpload, h.code(fpm.UpChar{Buffer: fpm.CharBuffer1}), "nothing in the buffer")
	assert.Equal(t, fpm.CodePacket, h.code(fpm.UpChar{Buffer: 3}))
}
