package faceindex

import (
	"encoding/binary"
	"math"
)

// Descriptors are kept exactly, but in 29 bits per component instead of 32:
//
//	bit 28     sign
//	bits 23-27 exponent code c: 0 means ±0, 1..30 mean the float32 biased
//	           exponent c+97, that is magnitudes in [2⁻²⁹, 2)
//	bits 0-22  the float32 mantissa, unchanged
//
// 128 components take 3712 bits, 464 bytes, and decode to the very same
// float32 bits. A descriptor with a component outside that range (|v| ≥ 2,
// or nonzero below 2⁻²⁹) is an exception: its first field holds exception
// code 31 and the whole descriptor is kept aside, uncompressed. dlib
// descriptors have components well inside (−1, 1), so exceptions are for
// odd inputs, not for faces.
const (
	packedBits  = 29
	packedSize  = 128 * packedBits / 8 // 464 bytes: 16 groups of 8 fields in 29 bytes
	fieldMask   = 1<<packedBits - 1
	expBase     = 97 // biased exponent = code + expBase
	exceptField = 31 << 23
)

// packField returns the 29-bit field of v, or false if v does not fit.
func packField(v float32) (uint32, bool) {
	b := math.Float32bits(v)
	s, e, m := b>>31, (b>>23)&0xff, b&0x7fffff
	switch {
	case e == 0 && m == 0:
		return s << 28, true
	case e > expBase && e <= expBase+30:
		return s<<28 | (e-expBase)<<23 | m, true
	}
	return 0, false
}

// pack writes d into dst[:packedSize]. If a component does not fit it
// writes the exception marker and returns false.
func pack(dst []byte, d *Descriptor) bool {
	dst = dst[:packedSize]
	var acc uint64 // bits not yet written, nbits of them
	var nbits uint
	j := 0
	for _, v := range d {
		f, ok := packField(v)
		if !ok {
			clear(dst)
			binary.LittleEndian.PutUint32(dst, exceptField)
			return false
		}
		acc |= uint64(f) << nbits
		nbits += packedBits
		if nbits >= 32 {
			binary.LittleEndian.PutUint32(dst[j:], uint32(acc))
			acc >>= 32
			nbits -= 32
			j += 4
		}
	}
	return true // 128 × 29 bits is 116 × 32: nothing left over
}

// isException reports whether src holds the exception marker.
func isException(src []byte) bool {
	return binary.LittleEndian.Uint32(src)&fieldMask == exceptField
}

// fields extracts the 8 fields of the group of 29 bytes at p.
func fields(p []byte) (f0, f1, f2, f3, f4, f5, f6, f7 uint32) {
	p = p[:29]
	w0 := binary.LittleEndian.Uint64(p[0:])  // group bits 0-63
	w1 := binary.LittleEndian.Uint64(p[7:])  // 56-119
	w2 := binary.LittleEndian.Uint64(p[14:]) // 112-175
	w3 := binary.LittleEndian.Uint64(p[21:]) // 168-231
	return uint32(w0) & fieldMask, uint32(w0>>29) & fieldMask,
		uint32(w1>>2) & fieldMask, uint32(w1>>31) & fieldMask,
		uint32(w2>>4) & fieldMask, uint32(w2>>33) & fieldMask,
		uint32(w3>>6) & fieldMask, uint32(w3>>35) & fieldMask
}

// value decodes one field.
func value(f uint32) float32 {
	t := f & 0x0fffffff // exponent code and mantissa; 0 for ±0
	if t != 0 {
		t += expBase << 23
	}
	return math.Float32frombits(f>>28<<31 | t)
}

// unpack decodes src (packedSize bytes) into d. The caller checks
// isException first.
func unpack(d *Descriptor, src []byte) {
	src = src[:packedSize]
	for g := range 16 {
		f0, f1, f2, f3, f4, f5, f6, f7 := fields(src[g*29:])
		x := (*[8]float32)(d[g*8:])
		x[0], x[1], x[2], x[3] = value(f0), value(f1), value(f2), value(f3)
		x[4], x[5], x[6], x[7] = value(f4), value(f5), value(f6), value(f7)
	}
}

// dist2Packed is dist2(q, d) for the descriptor d packed in src, decoding
// on the fly; the arithmetic is the same, so is the result.
func dist2Packed(q *Descriptor, src []byte) float32 {
	src = src[:packedSize]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	for g := range 16 {
		f0, f1, f2, f3, f4, f5, f6, f7 := fields(src[g*29:])
		x := (*[8]float32)(q[g*8:])
		d0 := x[0] - value(f0)
		d1 := x[1] - value(f1)
		d2 := x[2] - value(f2)
		d3 := x[3] - value(f3)
		d4 := x[4] - value(f4)
		d5 := x[5] - value(f5)
		d6 := x[6] - value(f6)
		d7 := x[7] - value(f7)
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
		s4 += d4 * d4
		s5 += d5 * d5
		s6 += d6 * d6
		s7 += d7 * d7
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}
