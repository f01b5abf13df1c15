package faceindex

import "math"

// The pre-filter scan is the fast-scan technique (André, Kermarrec and
// Le Scouarnec, "Cache locality is not enough", VLDB 2015; "Quicker ADC",
// 2019): a descriptor's codes are looked up in per-component tables of 16
// bytes held in vector registers, 32 descriptors at a time.
//
// Layout. A chunk keeps its codes in blocks of 32 slots, each block
// codeRows rows of 32 bytes. Row k < 64 holds, for every slot of the
// block, its code byte k (component 2k in the low nibble, 2k+1 in the high
// nibble); row 64 holds the slot's grid codes coarsened to 4 bits (err
// code / 16 low, corr code / 16 high). Slot i of a block keeps its byte of
// every row at position(i), an order that lets the AVX2 kernel write its
// results in slot order without shuffling bytes (see _asm/asm.go). That
// is 65 bytes per slot, one more than the 64 of a row-per-slot layout.
const (
	blockBits  = 5
	blockSize  = 1 << blockBits
	blockMask  = blockSize - 1
	codeRows   = 65
	blockBytes = codeRows * blockSize
	// scanGroup is how many blocks one kernel call scans with the same
	// threshold: the threshold tightens between calls.
	scanGroup = 8
)

// blocks returns how many blocks hold n slots.
func blocks(n int) int { return (n + blockMask) >> blockBits }

// position returns the byte within each row of a block at which slot i of
// the block keeps its codes: slots 0–7 at the even bytes 0–14, 8–15 at the
// odd bytes 1–15, 16–23 at the even bytes 16–30, 24–31 at the odd bytes
// 17–31.
func position(i int) int { return 2*(i&7) + (i>>3)&1 + 16*(i>>4) }

// lut8 is the per-query table of the fast scan: e[j][c], for j < 128, is
// the squared distance from component j of the query to level c of that
// component, less the smallest of the 16, in units of 1/inv rounded
// down and clamped to 255; e[128] and e[129] are the other two terms of
// the bound for the coarsened grid codes, offset to be non-negative and
// rounded down the same way. So for every descriptor x without an
// unbounded grid code, whose table sum (the sum of its 130 entries) is S,
//
//	|q − x|² ≥ S/inv + base
//
// (see build). S is at most 130·255 = 33150: it fits 16 bits.
type lut8 struct {
	e    [2 * codeRows][16]uint8
	tab  [2 * codeRows * 32]byte // e[j] twice (one per 128-bit lane) at 32j, for the AVX2 kernel
	pair [codeRows][256]uint16   // pair[k][b] = e[2k][b&15] + e[2k+1][b>>4], for the Go kernel
	inv  float64                 // table units per squared distance unit
	base float64                 // see above
	mag  float64                 // the magnitude of the terms of base, for rounding slack
}

// build fills the table for the query whose squared distances to the
// levels are sq (sq[d][c] for component d, level c) and whose distance to
// the mean is at most rq (|q − μ| ≤ rq), for descriptors quantised by q.
// With pair it also fills pair.
//
// Why the bound holds. Let x be a descriptor with codes c_d and grid codes
// ec, cc (none unbounded), and m_d = min_c sq[d][c]. With u = 1/inv, every
// entry is u·e ≤ its value, so
//
//	A = Σ sq[d][c_d] ≥ Σ m_d + u·Σ e[d][c_d]
//
// The grid code ec says |x − x̂| ≤ errOf(ec) ≤ errOf(w), w the largest
// bounded code in ec's group of 16 (ec/16 = g), so with K = 2·rq·errOf(254)
//
//	−2|q − μ|·|x − x̂| ≥ −2·rq·errOf(w) = (2·rq·(errOf(254) − errOf(w))) − K ≥ u·e[128][g] − K
//
// and cc says |x − μ|² − |x̂ − μ|² ≥ corrOf(cc) ≥ corrOf(16·(cc/16)) =
// corrMin + (corrOf(16·g') − corrMin) ≥ corrMin + u·e[129][g']. With the
// bound of searcher, |q − x|² ≥ A − 2|q − μ|·|x − x̂| + (|x − μ|² − |x̂ − μ|²),
// that is |q − x|² ≥ u·S + base with base = Σ m_d − K + corrMin. Rounding
// each entry down keeps it a lower bound; clamping at 255 only lowers it
// further. Descriptors with an unbounded grid code are flagged per block
// (chunk.wild) and never pruned by this bound.
func (t *lut8) build(q *quantiser, sq *[128][16]float64, rq float64, pair bool) {
	var vals [2 * codeRows][16]float64
	var sumMin, top float64
	for d := range sq {
		m := sq[d][0]
		for _, v := range sq[d] {
			m = min(m, v)
		}
		for c, v := range sq[d] {
			vals[d][c] = v - m
			top = max(top, v-m)
		}
		sumMin += m
	}
	k := 2 * rq * q.errOf(unbounded-1)
	for g := range 16 {
		w := min(16*g+15, unbounded-1)
		vals[128][g] = 2 * rq * (q.errOf(unbounded-1) - q.errOf(byte(w)))
		vals[129][g] = q.corrOf(byte(16*g)) - q.corrMin
	}
	// One scale for all: the largest value of a component maps to 255.
	// (Tighter scales that clamp the rare far levels did not prune more.)
	t.inv = 1
	if top > 0 && !math.IsInf(255/top, 0) {
		t.inv = 255 / top
	}
	for j := range vals {
		for c, v := range vals[j] {
			f := math.Floor(v*t.inv*(1-1e-9) - 1e-9)
			t.e[j][c] = uint8(min(max(f, 0), 255))
		}
	}
	t.base = sumMin - k + q.corrMin
	t.mag = sumMin + k + math.Abs(q.corrMin)
	t.expand(pair)
}

// expand derives tab, and with pair also pair, from e.
func (t *lut8) expand(pair bool) {
	for j := range t.e {
		copy(t.tab[32*j:], t.e[j][:])
		copy(t.tab[32*j+16:], t.e[j][:])
	}
	if !pair {
		return
	}
	for k := range t.pair {
		lo, hi := &t.e[2*k], &t.e[2*k+1]
		row := &t.pair[k]
		for h, hv := range hi {
			for l, lv := range lo {
				row[h<<4|l] = uint16(lv) + uint16(hv)
			}
		}
	}
}

// threshold returns the table sum above which a descriptor is farther
// than wide (a squared distance), clamped to 16 bits: a sum S > threshold
// means S/inv + base > wide.
func (t *lut8) threshold(wide float64) uint16 {
	x := (wide - t.base) * t.inv
	slack := 1 + 1e-9*(math.Abs(x)+(math.Abs(wide)+t.mag)*t.inv)
	return uint16(min(max(math.Floor(x+slack), 0), math.MaxUint16))
}

// kernel is an implementation of the block scan. Both compute, for each
// block of 32 slots in codes (len(masks) blocks), each slot's table sum
// into scores (32 per block, in slot order) and, in masks, a bit per slot
// whose sum is at most thr. They must agree exactly (TestKernelsAgree).
type kernel struct {
	name string
	pair bool // needs lut8.pair
	scan func(t *lut8, codes []byte, thr uint16, scores []uint16, masks []uint32)
}

var goKernel = kernel{name: "go", pair: true, scan: scanBlocksGo}

// scanBlocksGo is the portable kernel: per slot, one load from the pair
// table per row, in four running sums, unrolled by hand (the compiler
// keeps the sums in registers only so).
func scanBlocksGo(t *lut8, codes []byte, thr uint16, scores []uint16, masks []uint32) {
	codes = codes[:len(masks)*blockBytes]
	scores = scores[:len(masks)*blockSize]
	for b := range masks {
		blk := codes[b*blockBytes:][:blockBytes]
		out := (*[blockSize]uint16)(scores[b*blockSize:])
		var m uint32
		for i := range out {
			c := blk[position(i)&blockMask:][:64*blockSize+1]
			s0 := t.pair[64][c[64*blockSize]]
			var s1, s2, s3 uint16
			s0 += t.pair[0][c[0*blockSize]]
			s1 += t.pair[1][c[1*blockSize]]
			s2 += t.pair[2][c[2*blockSize]]
			s3 += t.pair[3][c[3*blockSize]]
			s0 += t.pair[4][c[4*blockSize]]
			s1 += t.pair[5][c[5*blockSize]]
			s2 += t.pair[6][c[6*blockSize]]
			s3 += t.pair[7][c[7*blockSize]]
			s0 += t.pair[8][c[8*blockSize]]
			s1 += t.pair[9][c[9*blockSize]]
			s2 += t.pair[10][c[10*blockSize]]
			s3 += t.pair[11][c[11*blockSize]]
			s0 += t.pair[12][c[12*blockSize]]
			s1 += t.pair[13][c[13*blockSize]]
			s2 += t.pair[14][c[14*blockSize]]
			s3 += t.pair[15][c[15*blockSize]]
			s0 += t.pair[16][c[16*blockSize]]
			s1 += t.pair[17][c[17*blockSize]]
			s2 += t.pair[18][c[18*blockSize]]
			s3 += t.pair[19][c[19*blockSize]]
			s0 += t.pair[20][c[20*blockSize]]
			s1 += t.pair[21][c[21*blockSize]]
			s2 += t.pair[22][c[22*blockSize]]
			s3 += t.pair[23][c[23*blockSize]]
			s0 += t.pair[24][c[24*blockSize]]
			s1 += t.pair[25][c[25*blockSize]]
			s2 += t.pair[26][c[26*blockSize]]
			s3 += t.pair[27][c[27*blockSize]]
			s0 += t.pair[28][c[28*blockSize]]
			s1 += t.pair[29][c[29*blockSize]]
			s2 += t.pair[30][c[30*blockSize]]
			s3 += t.pair[31][c[31*blockSize]]
			s0 += t.pair[32][c[32*blockSize]]
			s1 += t.pair[33][c[33*blockSize]]
			s2 += t.pair[34][c[34*blockSize]]
			s3 += t.pair[35][c[35*blockSize]]
			s0 += t.pair[36][c[36*blockSize]]
			s1 += t.pair[37][c[37*blockSize]]
			s2 += t.pair[38][c[38*blockSize]]
			s3 += t.pair[39][c[39*blockSize]]
			s0 += t.pair[40][c[40*blockSize]]
			s1 += t.pair[41][c[41*blockSize]]
			s2 += t.pair[42][c[42*blockSize]]
			s3 += t.pair[43][c[43*blockSize]]
			s0 += t.pair[44][c[44*blockSize]]
			s1 += t.pair[45][c[45*blockSize]]
			s2 += t.pair[46][c[46*blockSize]]
			s3 += t.pair[47][c[47*blockSize]]
			s0 += t.pair[48][c[48*blockSize]]
			s1 += t.pair[49][c[49*blockSize]]
			s2 += t.pair[50][c[50*blockSize]]
			s3 += t.pair[51][c[51*blockSize]]
			s0 += t.pair[52][c[52*blockSize]]
			s1 += t.pair[53][c[53*blockSize]]
			s2 += t.pair[54][c[54*blockSize]]
			s3 += t.pair[55][c[55*blockSize]]
			s0 += t.pair[56][c[56*blockSize]]
			s1 += t.pair[57][c[57*blockSize]]
			s2 += t.pair[58][c[58*blockSize]]
			s3 += t.pair[59][c[59*blockSize]]
			s0 += t.pair[60][c[60*blockSize]]
			s1 += t.pair[61][c[61*blockSize]]
			s2 += t.pair[62][c[62*blockSize]]
			s3 += t.pair[63][c[63*blockSize]]
			s := (s0 + s1) + (s2 + s3)
			out[i] = s
			if s <= thr {
				m |= 1 << i
			}
		}
		masks[b] = m
	}
}

// score8 is the table sum of slot i of the block blk, read from its own
// bytes only (for the last block of a chunk, which writers may still be
// filling).
func (t *lut8) score8(blk []byte, i int) uint16 {
	blk = blk[:blockBytes]
	p := position(i)
	var s uint16
	for k := range codeRows {
		c := blk[k*blockSize+p]
		s += uint16(t.e[2*k][c&15]) + uint16(t.e[2*k+1][c>>4])
	}
	return s
}

// sum16 is the table sum of slot i of the block blk in the 16-bit table
// (see lut), the finer bound the survivors of the scan are checked with.
func (t *lut) sum16(blk []byte, i int) uint32 {
	c := blk[position(i)&blockMask:][:63*blockSize+1]
	var s0, s1, s2, s3 uint32
	s0 += uint32(t.t[0][c[0*blockSize]])
	s1 += uint32(t.t[1][c[1*blockSize]])
	s2 += uint32(t.t[2][c[2*blockSize]])
	s3 += uint32(t.t[3][c[3*blockSize]])
	s0 += uint32(t.t[4][c[4*blockSize]])
	s1 += uint32(t.t[5][c[5*blockSize]])
	s2 += uint32(t.t[6][c[6*blockSize]])
	s3 += uint32(t.t[7][c[7*blockSize]])
	s0 += uint32(t.t[8][c[8*blockSize]])
	s1 += uint32(t.t[9][c[9*blockSize]])
	s2 += uint32(t.t[10][c[10*blockSize]])
	s3 += uint32(t.t[11][c[11*blockSize]])
	s0 += uint32(t.t[12][c[12*blockSize]])
	s1 += uint32(t.t[13][c[13*blockSize]])
	s2 += uint32(t.t[14][c[14*blockSize]])
	s3 += uint32(t.t[15][c[15*blockSize]])
	s0 += uint32(t.t[16][c[16*blockSize]])
	s1 += uint32(t.t[17][c[17*blockSize]])
	s2 += uint32(t.t[18][c[18*blockSize]])
	s3 += uint32(t.t[19][c[19*blockSize]])
	s0 += uint32(t.t[20][c[20*blockSize]])
	s1 += uint32(t.t[21][c[21*blockSize]])
	s2 += uint32(t.t[22][c[22*blockSize]])
	s3 += uint32(t.t[23][c[23*blockSize]])
	s0 += uint32(t.t[24][c[24*blockSize]])
	s1 += uint32(t.t[25][c[25*blockSize]])
	s2 += uint32(t.t[26][c[26*blockSize]])
	s3 += uint32(t.t[27][c[27*blockSize]])
	s0 += uint32(t.t[28][c[28*blockSize]])
	s1 += uint32(t.t[29][c[29*blockSize]])
	s2 += uint32(t.t[30][c[30*blockSize]])
	s3 += uint32(t.t[31][c[31*blockSize]])
	s0 += uint32(t.t[32][c[32*blockSize]])
	s1 += uint32(t.t[33][c[33*blockSize]])
	s2 += uint32(t.t[34][c[34*blockSize]])
	s3 += uint32(t.t[35][c[35*blockSize]])
	s0 += uint32(t.t[36][c[36*blockSize]])
	s1 += uint32(t.t[37][c[37*blockSize]])
	s2 += uint32(t.t[38][c[38*blockSize]])
	s3 += uint32(t.t[39][c[39*blockSize]])
	s0 += uint32(t.t[40][c[40*blockSize]])
	s1 += uint32(t.t[41][c[41*blockSize]])
	s2 += uint32(t.t[42][c[42*blockSize]])
	s3 += uint32(t.t[43][c[43*blockSize]])
	s0 += uint32(t.t[44][c[44*blockSize]])
	s1 += uint32(t.t[45][c[45*blockSize]])
	s2 += uint32(t.t[46][c[46*blockSize]])
	s3 += uint32(t.t[47][c[47*blockSize]])
	s0 += uint32(t.t[48][c[48*blockSize]])
	s1 += uint32(t.t[49][c[49*blockSize]])
	s2 += uint32(t.t[50][c[50*blockSize]])
	s3 += uint32(t.t[51][c[51*blockSize]])
	s0 += uint32(t.t[52][c[52*blockSize]])
	s1 += uint32(t.t[53][c[53*blockSize]])
	s2 += uint32(t.t[54][c[54*blockSize]])
	s3 += uint32(t.t[55][c[55*blockSize]])
	s0 += uint32(t.t[56][c[56*blockSize]])
	s1 += uint32(t.t[57][c[57*blockSize]])
	s2 += uint32(t.t[58][c[58*blockSize]])
	s3 += uint32(t.t[59][c[59*blockSize]])
	s0 += uint32(t.t[60][c[60*blockSize]])
	s1 += uint32(t.t[61][c[61*blockSize]])
	s2 += uint32(t.t[62][c[62*blockSize]])
	s3 += uint32(t.t[63][c[63*blockSize]])
	return (s0 + s1) + (s2 + s3)
}
