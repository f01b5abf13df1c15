package fpmodule_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

// upImage captures finger and uploads the image, checking the transfer.
func upImage(t *testing.T, h *host, m *fpmodule.Module, finger, size int) []byte {
	t.Helper()
	m.PutFinger(finger)
	h.ok(fpm.GenImg{})
	ps := h.packets(fpm.UpImage{})
	require.Len(t, ps, 1+fpm.ImageBytes/size, "one acknowledgement, then %d-byte data packets", size)
	assert.Equal(t, fpm.Packet{Addr: fpm.DefaultAddr, PID: fpm.PIDAck, Data: []byte{0}}, ps[0])
	for i, p := range ps[1:] {
		assert.Len(t, p.Data, size)
		want := fpm.PIDData
		if i == len(ps)-2 {
			want = fpm.PIDDataLast
		}
		assert.Equal(t, want, p.PID, "packet %d", i)
	}
	img, err := fpm.JoinData(ps[1:])
	require.NoError(t, err)
	return img
}

func TestUpImage(t *testing.T) {
	for _, size := range []int{32, 64, 128, 256} {
		m := newModule(t, fpmodule.Config{PacketSize: size})
		h := newHost(t, m)
		img := upImage(t, h, m, 7, size)
		assert.Len(t, img, 36864, "256 × 288 pixels at 4 bits")
	}

	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	a, b := upImage(t, h, m, 7, 128), upImage(t, h, m, 8, 128)
	assert.False(t, bytes.Equal(a, b), "two fingers look different")
	var dark, white int
	for _, v := range a {
		for _, px := range []byte{v >> 4, v & 0xF} {
			switch px {
			case 0x2:
				dark++
			case 0xF:
				white++
			}
		}
	}
	assert.Positive(t, dark, "ridges")
	assert.Positive(t, white, "background")
}

func TestUpImageFollowsSetSysPara(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.ok(fpm.SetSysPara{Param: fpm.ParamPacketSize, Value: 3})
	upImage(t, h, m, 7, 256)
}

func TestUpImageRefuses(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	assert.Equal(t, fpm.CodeUploadImage, h.code(fpm.UpImage{}), "no image yet")
	m.PutFinger(7)
	h.ok(fpm.GenImg{})
	m.RemoveFinger()
	assert.Equal(t, fpm.CodeNoFinger, h.code(fpm.GenImg{}))
	assert.Equal(t, fpm.CodeUploadImage, h.code(fpm.UpImage{}), "a failed capture leaves no image")
}
