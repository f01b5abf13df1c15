package faceindex

import (
	"math"
	"slices"
)

// defaultSpread is the spread assumed before there is data to fit: the
// components of a unit vector in 128 dimensions have a standard deviation
// of about 1/√128.
const defaultSpread = 0.0884

// unbounded is the error or correction code of a descriptor whose number
// is off its grid: the search never prunes it, it always computes it.
const unbounded = 255

// quantiser maps each component to one of 16 levels (4 bits): the
// Lloyd-Max levels of a normal distribution with the mean and standard
// deviation of that component over the enrolled descriptors. It also puts
// the two per-descriptor numbers of the search's bound on byte grids:
//
//	err  ≥ |x − x̂|                code k < 255: err  = (k+1)·errStep
//	corr ≤ |x − μ|² − |x̂ − μ|²    code k < 255: corr = corrMin + k·corrStep
//
// where x is a descriptor, x̂ its quantised reconstruction and μ the mean
// descriptor. Any levels and grids keep searches exact, because they bound
// each descriptor's actual error; a good fit only makes the bound tighter.
type quantiser struct {
	mean  [128]float64 // μ
	level [128][16]float32
	// Component d of value v is assigned level grid[⌊v·scale[d] + shift[d]⌋]
	// (clamped): the level nearest to v, or next to it when v is within
	// 1/gridK standard deviation of the midpoint of two levels.
	scale    [128]float64
	shift    [128]float64
	grid     [8 * gridK]uint8
	errStep  float64
	corrMin  float64
	corrStep float64
}

// gridK is the number of grid cells per standard deviation; the grid
// covers ±4 standard deviations.
const gridK = 64

func newQuantiser(mean, spread *[128]float64) *quantiser {
	// The non-negative half of the 16 reconstruction levels of the
	// Lloyd-Max quantiser for a standard normal variable (mean squared
	// error 0.0095); the other half is their negation.
	lloydMax16 := [8]float64{0.128395, 0.388048, 0.656759, 0.942340, 1.256231, 1.618046, 2.069017, 2.732590}
	q := &quantiser{mean: *mean, errStep: 0.5 / 255, corrMin: -0.2, corrStep: 0.4 / 254}
	for d := range q.level {
		for j := range 8 {
			q.level[d][8+j] = float32(mean[d] + spread[d]*lloydMax16[j])
			q.level[d][7-j] = float32(mean[d] - spread[d]*lloydMax16[j])
		}
		q.scale[d] = gridK / spread[d]
		q.shift[d] = 4*gridK - mean[d]*q.scale[d]
	}
	var std [16]float64 // the levels of a standard normal variable
	for j := range 8 {
		std[8+j], std[7-j] = lloydMax16[j], -lloydMax16[j]
	}
	for g := range q.grid {
		z := (float64(g)+0.5)/gridK - 4 // the cell's centre, in standard deviations
		c := 0
		for c < 15 && math.Abs(std[c+1]-z) < math.Abs(std[c]-z) {
			c++
		}
		q.grid[g] = uint8(c)
	}
	return q
}

func defaultQuantiser() *quantiser {
	var mean, spread [128]float64
	for d := range spread {
		spread[d] = defaultSpread
	}
	return newQuantiser(&mean, &spread)
}

// fitGrids sets the error and correction grids from samples of the two
// numbers, leaving room around the bulk; the rare descriptors beyond get
// unbounded codes. It sorts the samples.
func (q *quantiser) fitGrids(errs, corrs []float64) {
	if len(errs) < 16 {
		return
	}
	slices.Sort(errs)
	slices.Sort(corrs)
	at := func(s []float64, p float64) float64 { return s[int(p*float64(len(s)-1))] }
	q.errStep = max(1.25*at(errs, 0.999)/255, 1e-12)
	lo, hi := at(corrs, 0.001), at(corrs, 0.999)
	span := max(hi-lo, 1e-9)
	q.corrMin = lo - span/4
	q.corrStep = 1.5 * span / 254
}

// encode writes the 4-bit codes of x into codes[:64] (component 2k in the
// low nibble of byte k, 2k+1 in the high nibble) and returns |x − x̂| and
// |x − μ|² − |x̂ − μ|², rounded up and down by far more than their float64
// error.
func (q *quantiser) encode(codes []byte, x *Descriptor) (err, corr float64) {
	codes = codes[:64]
	var ee, xx, hh float64
	for k := range 64 {
		var b byte
		for h := range 2 {
			d := 2*k + h
			v := float64(x[d])
			g := int(min(max(v*q.scale[d]+q.shift[d], 0), 8*gridK-1))
			c := q.grid[g]
			l := float64(q.level[d][c])
			r := v - l
			ee += r * r
			xx += (v - q.mean[d]) * (v - q.mean[d])
			hh += (l - q.mean[d]) * (l - q.mean[d])
			b |= c << (4 * h)
		}
		codes[k] = b
	}
	return math.Sqrt(ee) * (1 + 1e-9), xx - hh - 1e-9*(xx+hh)
}

func (q *quantiser) errOf(k byte) float64  { return (float64(k) + 1) * q.errStep }
func (q *quantiser) corrOf(k byte) float64 { return q.corrMin + float64(k)*q.corrStep }

// aux returns the grid codes of err and corr: errOf(code) ≥ err and
// corrOf(code) ≤ corr, or unbounded.
func (q *quantiser) aux(err, corr float64) (ec, cc byte) {
	ec, cc = unbounded, unbounded
	if k := math.Ceil(err/q.errStep) - 1; k < unbounded {
		ec = byte(max(k, 0))
		for ec < unbounded && q.errOf(ec) < err {
			ec++
		}
	}
	if corr >= q.corrMin {
		k := math.Floor((corr - q.corrMin) / q.corrStep)
		cc = byte(min(k, unbounded-1))
		for cc != unbounded && q.corrOf(cc) > corr {
			cc-- // wraps to unbounded below 0
		}
	}
	return ec, cc
}

// lut is the per-query table of squared distances between the query and
// the quantisation levels: t[k][b] approximates, in table units, the
// squared distance over components 2k and 2k+1 to a descriptor whose code
// byte k is b, within 1 unit. etab and ctab turn a descriptor's grid
// codes into the other two terms of the bound, in table units: etab[k] ≤
// −2|q − μ|·errOf(k) and ctab[k] ≤ corrOf(k).
type lut struct {
	t    [64][256]uint16
	etab [256]int32
	ctab [256]int32
	t8   lut8 // the coarser 8-bit table of the fast scan
}

// build fills the tables for query v (t8 too, its pair table if pair) and
// returns the size of one unit of t in squared distance.
func (t *lut) build(q *quantiser, v *Descriptor, pair bool) (unit float64) {
	var sq [128][16]float64
	var vv, maxSum float64 // vv: |v − μ|²
	for k := range 64 {
		pairMax := 0.0
		for h := range 2 {
			d := 2*k + h
			vv += (float64(v[d]) - q.mean[d]) * (float64(v[d]) - q.mean[d])
			m := 0.0
			for c := range 16 {
				r := float64(v[d]) - float64(q.level[d][c])
				sq[d][c] = r * r
				m = max(m, r*r)
			}
			pairMax += m
		}
		maxSum = max(maxSum, pairMax)
	}
	inv := 1.0
	if maxSum > 0 {
		inv = 65534 / maxSum
	}
	for k := range 64 {
		// Rounding each half separately puts an entry within 1 unit of
		// its exact value, and keeps it at most 65535.
		var lo, hi [16]uint16
		for c := range 16 {
			lo[c] = uint16(sq[2*k][c]*inv + 0.5)
			hi[c] = uint16(sq[2*k+1][c]*inv + 0.5)
		}
		row := &t.t[k]
		for h, hv := range hi {
			r := (*[16]uint16)(row[h*16:])
			for l, lv := range lo {
				r[l] = lv + hv
			}
		}
	}
	const big = 1 << 29
	qe := 2 * math.Sqrt(vv) * (1 + 1e-12) * inv
	for k := range unbounded {
		e := math.Ceil(qe*q.errOf(byte(k))*(1+1e-12)) + 1
		t.etab[k] = -2 * big
		if e <= big {
			t.etab[k] = -int32(e)
		}
		c := q.corrOf(byte(k)) * inv
		c = math.Floor(c-math.Abs(c)*1e-12) - 1
		t.ctab[k] = int32(min(c, big))
		if c < -big {
			t.ctab[k] = -2 * big
		}
	}
	t.etab[unbounded], t.ctab[unbounded] = -2*big, -2*big
	t.t8.build(q, &sq, math.Sqrt(vv)*(1+1e-12), pair)
	return 1 / inv
}
