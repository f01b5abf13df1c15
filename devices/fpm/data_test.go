package fpm

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitJoin(t *testing.T) {
	tmpl := make([]byte, 512)
	for i := range tmpl {
		tmpl[i] = byte(i * 7)
	}
	tests := []struct {
		name  string
		data  []byte
		size  int
		sizes []int
	}{
		{"512 in 128", tmpl, 128, []int{128, 128, 128, 128}},
		{"512 in 256", tmpl, 256, []int{256, 256}},
		{"512 in 32", tmpl, 32, []int{32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32, 32}},
		{"uneven", tmpl[:300], 128, []int{128, 128, 44}},
		{"one short packet", tmpl[:5], 64, []int{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := SplitData(DefaultAddr, tt.data, tt.size)
			require.NoError(t, err)
			var sizes []int
			for i, p := range ps {
				sizes = append(sizes, len(p.Data))
				want := PIDData
				if i == len(ps)-1 {
					want = PIDDataLast
				}
				assert.Equal(t, want, p.PID, "packet %d", i)
				assert.Equal(t, uint32(DefaultAddr), p.Addr)
			}
			assert.Equal(t, tt.sizes, sizes)
			got, err := JoinData(ps)
			require.NoError(t, err)
			assert.Equal(t, tt.data, got)
		})
	}
}

// The 512-byte template of the tests, split as a 128-byte module sends it,
// on the wire.
func TestSplitGoldenWire(t *testing.T) {
	ps, err := SplitData(DefaultAddr, bytes.Repeat([]byte{0x01}, 130), 128)
	require.NoError(t, err)
	var wire []byte
	for _, p := range ps {
		wire, err = AppendEncode(wire, p)
		require.NoError(t, err)
	}
	// 128 ones: sum 02 + 00 + 82 + 0x80 = 0x0104; 2 ones: 08 + 00 + 04 + 02 = 0x0E.
	want := unhex(t, "ef 01 ff ff ff ff 02 00 82"+
		string(bytes.Repeat([]byte(" 01"), 128))+" 01 04"+
		" ef 01 ff ff ff ff 08 00 04 01 01 00 0e")
	assert.Equal(t, want, wire)
}

func TestSplitErrors(t *testing.T) {
	_, err := SplitData(DefaultAddr, []byte{1}, 100)
	assert.Error(t, err)
	_, err = SplitData(DefaultAddr, nil, 128)
	assert.ErrorIs(t, err, ErrTransfer)
}

func TestJoinErrors(t *testing.T) {
	d := Packet{PID: PIDData, Data: []byte{1}}
	last := Packet{PID: PIDDataLast, Data: []byte{2}}
	ack := Packet{PID: PIDAck, Data: []byte{0}}
	for name, ps := range map[string][]Packet{
		"none":            nil,
		"no last":         {d, d},
		"last in between": {last, last},
		"ack in between":  {d, ack, last},
	} {
		_, err := JoinData(ps)
		assert.ErrorIs(t, err, ErrTransfer, name)
	}
}
