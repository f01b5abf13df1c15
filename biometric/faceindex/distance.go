package faceindex

import "math"

// Distance returns the Euclidean distance between two descriptors, computed
// exactly as the index computes it: the index's answers are those of an
// exhaustive search with this function.
func Distance(a, b Descriptor) float32 {
	return sqrt32(dist2(&a, &b))
}

func sqrt32(v float32) float32 { return float32(math.Sqrt(float64(v))) }

// dist2 is the squared Euclidean distance in float32 with eight partial
// sums (dimension d goes to sum d mod 8, then a fixed tree). Every term is
// non-negative, so the result is within relative 1.3e-6 of the exact real
// value (see relErr); the search relies on that.
func dist2(a, b *Descriptor) float32 {
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	for i := 0; i < len(a); i += 8 {
		x := (*[8]float32)(a[i:])
		y := (*[8]float32)(b[i:])
		d0 := x[0] - y[0]
		d1 := x[1] - y[1]
		d2 := x[2] - y[2]
		d3 := x[3] - y[3]
		d4 := x[4] - y[4]
		d5 := x[5] - y[5]
		d6 := x[6] - y[6]
		d7 := x[7] - y[7]
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
