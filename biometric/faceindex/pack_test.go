package faceindex

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPackField(t *testing.T) {
	tests := []struct {
		v    float32
		fits bool
	}{
		{0, true},
		{float32(math.Copysign(0, -1)), true},
		{0.1, true},
		{-0.7, true},
		{1, true},
		{1.9999999, true},
		{2, false},
		{-3, false},
		{float32(math.Ldexp(1, -29)), true},
		{float32(math.Ldexp(1, -29)) * 0.99, false},
		{math.SmallestNonzeroFloat32, false},
		{float32(math.Inf(1)), false},
		{float32(math.NaN()), false},
	}
	for _, tt := range tests {
		var d Descriptor
		d[0], d[127] = tt.v, tt.v
		buf := make([]byte, packedSize)
		ok := pack(buf, &d)
		require.Equal(t, tt.fits, ok, "%g", tt.v)
		require.Equal(t, !ok, isException(buf), "%g", tt.v)
		if ok {
			var got Descriptor
			unpack(&got, buf)
			require.Equal(t, math.Float32bits(tt.v), math.Float32bits(got[0]), "%g", tt.v)
			require.Equal(t, math.Float32bits(tt.v), math.Float32bits(got[127]), "%g", tt.v)
		}
	}
}

// checkPack asserts that d packs and unpacks to the same bits, and that
// dist2Packed is dist2 bit for bit.
func checkPack(t *testing.T, d, q Descriptor) {
	buf := make([]byte, packedSize)
	if !pack(buf, &d) {
		require.True(t, isException(buf))
		return
	}
	var got Descriptor
	unpack(&got, buf)
	for i := range d {
		require.Equal(t, math.Float32bits(d[i]), math.Float32bits(got[i]), "component %d", i)
	}
	require.Equal(t, math.Float32bits(dist2(&q, &d)), math.Float32bits(dist2Packed(&q, buf)))
}

func TestPackRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		checkPack(t, perturb(r, randUnit(r), r.Float64()), randUnit(r))
	}
}

func FuzzPack(f *testing.F) {
	f.Add(uint32(0), uint32(0x3f800000), uint32(7))
	f.Add(uint32(0x80000000), uint32(0x3dcccccd), uint32(1))
	f.Add(uint32(0x00000001), uint32(0x40000000), uint32(100))
	f.Fuzz(func(t *testing.T, a, b, seed uint32) {
		var d, q Descriptor
		r := rand.New(rand.NewPCG(uint64(seed), 0))
		for i := range d {
			switch r.IntN(4) {
			case 0:
				d[i] = math.Float32frombits(a)
			case 1:
				d[i] = math.Float32frombits(b)
			default:
				d[i] = float32(r.NormFloat64() * 0.1)
			}
			q[i] = float32(r.NormFloat64() * 0.1)
		}
		checkPack(t, d, q)
	})
}
