package wiegand

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestH10301(t *testing.T) {
	// Facility 1, card 1234, parities worked by hand: 1 00000001 0000010011010010 0.
	c, err := Decode(26, []byte{0x80, 0x82, 0x69, 0x00})
	require.NoError(t, err)
	assert.Equal(t, "h10301", c.Format)
	assert.Equal(t, uint32(1), c.Facility)
	assert.Equal(t, uint64(1234), c.Number)
	assert.Equal(t, "h10301:1:1234", c.Key())
	assert.Equal(t, []byte{0x80, 0x82, 0x69, 0x00}, EncodeH10301(1, 1234))

	// The OSDP reference capture's 26-bit card (8a 12 34 c0) fails the odd parity.
	_, err = Decode(26, []byte{0x8a, 0x12, 0x34, 0xc0})
	assert.ErrorIs(t, err, ErrParity)

	for _, tt := range []struct {
		fac uint8
		num uint16
	}{{0, 0}, {1, 1234}, {255, 65535}, {123, 4567}} {
		b := EncodeH10301(tt.fac, tt.num)
		c, err := Decode(26, b)
		require.NoError(t, err)
		assert.Equal(t, uint32(tt.fac), c.Facility)
		assert.Equal(t, uint64(tt.num), c.Number)
		for i := 0; i < 26; i++ { // any single flipped bit is a parity error
			bad := append([]byte(nil), b...)
			bad[i/8] ^= 0x80 >> (i % 8)
			_, err := Decode(26, bad)
			assert.ErrorIs(t, err, ErrParity, "bit %d", i)
		}
	}
}

func TestRawPassThrough(t *testing.T) {
	c, err := Decode(40, []byte{1, 2, 3, 4, 5})
	require.NoError(t, err)
	assert.Equal(t, "raw:40:0102030405", c.Key())
	c, err = Decode(12, []byte{0xAB, 0xCF})
	require.NoError(t, err)
	assert.Equal(t, "raw:12:abc0", c.Key(), "unused trailing bits are cleared")
	_, err = Decode(33, []byte{1, 2, 3, 4})
	assert.Error(t, err)
}

func FuzzDecode(f *testing.F) {
	f.Add(26, []byte{0x8a, 0x12, 0x34, 0xc0})
	f.Add(40, []byte{1, 2, 3, 4, 5})
	f.Fuzz(func(t *testing.T, bits int, data []byte) {
		c, err := Decode(bits, data)
		if err != nil {
			return
		}
		if c.Format == "h10301" {
			if got := EncodeH10301(uint8(c.Facility), uint16(c.Number)); string(got) != string(c.Raw) {
				t.Fatalf("round trip %x != %x", got, c.Raw)
			}
		}
	})
}
