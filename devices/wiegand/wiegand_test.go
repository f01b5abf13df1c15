package wiegand

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestH10301Golden(t *testing.T) {
	// Facility 1, card 1234, parities worked by hand: 1 00000001 0000010011010010 0.
	c, err := Decode(26, []byte{0x80, 0x82, 0x69, 0x00})
	require.NoError(t, err)
	assert.Equal(t, Credential{Format: "h10301", Facility: 1, Number: 1234, Bits: 26, Raw: []byte{0x80, 0x82, 0x69, 0x00}}, c)
	assert.Equal(t, "h10301:1:1234", c.Key())
	assert.Equal(t, []byte{0x80, 0x82, 0x69, 0x00}, EncodeH10301(1, 1234))

	// The OSDP reference capture's 26-bit card (8a 12 34 c0) fails the odd parity.
	_, err = Decode(26, []byte{0x8a, 0x12, 0x34, 0xc0})
	assert.ErrorIs(t, err, ErrParity)
}

// Every format: encode → decode round trip at the field limits, and any
// single flipped bit is a parity error (every bit is covered by a parity).
func TestFormatsRoundTripAndParity(t *testing.T) {
	tests := []struct {
		f        Format
		fac, num uint64
	}{
		{H10301, 0, 0}, {H10301, 255, 65535}, {H10301, 123, 4567},
		{H10306, 0, 1}, {H10306, 65535, 65535}, {H10306, 4321, 12345},
		{Corporate1000, 0, 0}, {Corporate1000, 4095, 1048575}, {Corporate1000, 1234, 567890},
		{H10302, 0, 1}, {H10302, 0, 1<<35 - 1}, {H10302, 0, 12345678901},
		{H10304, 0, 0}, {H10304, 65535, 524287}, {H10304, 999, 77777},
	}
	for _, tt := range tests {
		data, err := tt.f.Encode(tt.fac, tt.num)
		require.NoError(t, err, tt.f.Name)
		require.Len(t, data, (tt.f.Bits+7)/8)
		c, err := Formats{tt.f.Bits: tt.f}.Decode(tt.f.Bits, data)
		require.NoError(t, err, tt.f.Name)
		assert.Equal(t, tt.f.Name, c.Format)
		assert.Equal(t, tt.fac, c.Facility, tt.f.Name)
		assert.Equal(t, tt.num, c.Number, tt.f.Name)
		for i := 0; i < tt.f.Bits; i++ {
			bad := append([]byte(nil), data...)
			bad[i/8] ^= 0x80 >> (i % 8)
			_, err := Formats{tt.f.Bits: tt.f}.Decode(tt.f.Bits, bad)
			assert.ErrorIs(t, err, ErrParity, "%s bit %d", tt.f.Name, i)
		}
		bits, back, err := ParseKey(c.Key())
		require.NoError(t, err, c.Key())
		assert.Equal(t, tt.f.Bits, bits)
		assert.Equal(t, data, back, c.Key())
	}
	_, err := H10301.Encode(256, 1)
	assert.Error(t, err)
	_, err = H10302.Encode(1, 1)
	assert.Error(t, err, "h10302 has no facility")
}

// Corporate 1000's parity bits, checked against their definition in
// 1-based positions: bit 2 even over 3,4,6,7,…,33,34; bit 35 odd over
// 2,3,5,6,…,32,33; bit 1 odd over 2…35.
func TestCorporate1000ParityPositions(t *testing.T) {
	oneBased := func(ps []int) []int {
		out := make([]int, len(ps))
		for i, p := range ps {
			out[i] = p + 1
		}
		return out
	}
	p := Corporate1000.Parity
	assert.Equal(t, 2, p[0].Pos+1)
	assert.Equal(t, []int{3, 4, 6, 7, 9, 10}, oneBased(p[0].Over)[:6])
	assert.Equal(t, []int{33, 34}, oneBased(p[0].Over)[len(p[0].Over)-2:])
	assert.Equal(t, 35, p[1].Pos+1)
	assert.Equal(t, []int{2, 3, 5, 6, 8, 9}, oneBased(p[1].Over)[:6])
	assert.Equal(t, []int{32, 33}, oneBased(p[1].Over)[len(p[1].Over)-2:])
	assert.Equal(t, 1, p[2].Pos+1)
	assert.Len(t, p[2].Over, 34)
}

func TestRawPassThroughAnd37BitChoice(t *testing.T) {
	c, err := Decode(40, []byte{1, 2, 3, 4, 5})
	require.NoError(t, err)
	assert.Equal(t, "raw:40:0102030405", c.Key())
	c, err = Decode(12, []byte{0xAB, 0xCF})
	require.NoError(t, err)
	assert.Equal(t, "raw:12:abc0", c.Key(), "unused trailing bits are cleared")
	_, err = Decode(33, []byte{1, 2, 3, 4})
	assert.Error(t, err)

	data, err := H10302.Encode(0, 424242)
	require.NoError(t, err)
	c, err = Formats{37: H10302}.Decode(37, data)
	require.NoError(t, err)
	assert.Equal(t, "h10302:424242", c.Key())
	c, err = Decode(37, data) // the default reads 37 bits as H10304
	require.NoError(t, err)
	assert.Equal(t, "h10304", c.Format)
}

func TestParseKeyErrors(t *testing.T) {
	for _, k := range []string{"", "h10301", "h10301:1", "h10301:x:1", "foo:1:2", "raw:26", "raw:26:zz", "raw:26:0102", "h10302:1:2",
		"h10301:1:4444x", "h10301:1:4444 junk", "h10301:1:4444\x00", "h10301: 1:4444", "h10301:+1:4444", "raw:26:01020304x", "raw:26x:01020304"} {
		_, _, err := ParseKey(k)
		assert.Error(t, err, k)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(26, []byte{0x80, 0x82, 0x69, 0x00})
	f.Add(40, []byte{1, 2, 3, 4, 5})
	for _, fm := range []Format{H10306, Corporate1000, H10304} {
		d, _ := fm.Encode(1, 2)
		f.Add(fm.Bits, d)
	}
	f.Fuzz(func(t *testing.T, bits int, data []byte) {
		c, err := Decode(bits, data)
		if err != nil {
			return
		}
		b, back, err := ParseKey(c.Key())
		if err != nil || b != bits || string(back) != string(c.Raw) {
			t.Fatalf("key %q does not round trip: %v", c.Key(), err)
		}
	})
}
