// Command asm generates kernel_amd64.s, the AVX2 fast-scan kernel of the
// face index (see ../kernel.go for what it computes and ../search.go for
// why its scores are lower bounds). Run it through go generate in the
// parent directory.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// These must agree with kernel.go.
const (
	blockSize  = 32               // descriptors per block
	rows       = 65               // code rows per block: 64 of components, one of grid codes
	blockBytes = rows * blockSize // 2080
	tabBytes   = 2 * rows * 32    // 130 tables of 16 entries, each twice (one per 128-bit lane)
	unroll     = 5                // rows per loop iteration; divides rows
	group      = 4                // blocks scanned together, sharing table loads
)

func main() {
	ConstraintExpr("!purego")
	TEXT("scanBlocksAVX2", NOSPLIT, fmt.Sprintf("func(tab *[%d]byte, codes []byte, thr uint16, scores []uint16, masks []uint32)", tabBytes))
	Doc(
		"scanBlocksAVX2 computes, for each block of 32 descriptors, their",
		"table sums into scores (descriptor order) and the mask of those at",
		"most thr into masks: the same numbers as scanBlocksGo.",
		"len(codes) must be at least len(masks)*2080, len(scores) at least len(masks)*32.",
	)
	tab := Load(Param("tab"), GP64())
	codes := Load(Param("codes").Base(), GP64())
	scores := Load(Param("scores").Base(), GP64())
	masks := Load(Param("masks").Base(), GP64())
	n := Load(Param("masks").Len(), GP64())
	thr32 := Load(Param("thr"), GP32())

	nib := YMM()
	tmp := GP32()
	MOVL(U32(0x0f0f0f0f), tmp)
	nx := XMM()
	MOVD(tmp, nx)
	VPBROADCASTD(nx, nib)
	thr := YMM()
	tx := XMM()
	MOVD(thr32, tx)
	VPBROADCASTW(tx, thr)

	Label("group")
	CMPQ(n, U32(group))
	JL(LabelRef("single"))
	blocks(group, tab, codes, scores, masks, nib, thr)
	ADDQ(U32(group*blockBytes), codes)
	ADDQ(U32(group*blockSize*2), scores)
	ADDQ(U32(group*4), masks)
	SUBQ(U32(group), n)
	JMP(LabelRef("group"))

	Label("single")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	blocks(1, tab, codes, scores, masks, nib, thr)
	ADDQ(U32(blockBytes), codes)
	ADDQ(U32(blockSize*2), scores)
	ADDQ(U32(4), masks)
	DECQ(n)
	JMP(LabelRef("single"))

	Label("done")
	VZEROUPPER()
	RET()
	Generate()
}

// blocks scans nb consecutive blocks starting at codes.
//
// Per row k of a block, the 32 bytes hold one byte per descriptor: the
// code of component 2k in the low nibble, of 2k+1 in the high nibble. One
// VPSHUFB per nibble looks up the 32 descriptors' entries. The 8-bit
// entries are summed in 16-bit lanes without widening: adding the byte
// vector as words adds each even byte plus 256 times the next odd byte
// (acc), adding it shifted right by 8 adds the odd bytes alone (odd).
// Both sums fit 16 bits (at most 130·255), so at the end the even
// bytes' sums are acc − 256·odd exactly, modulo 2^16.
func blocks(nb int, tab, codes, scores, masks Register, nib, thr VecVirtual) {
	acc := make([]VecVirtual, nb)
	odd := make([]VecVirtual, nb)
	for b := range nb {
		acc[b], odd[b] = YMM(), YMM()
		VPXOR(acc[b], acc[b], acc[b])
		VPXOR(odd[b], odd[b], odd[b])
	}
	p, t, k := GP64(), GP64(), GP64()
	MOVQ(codes, p)
	MOVQ(tab, t)
	MOVQ(U32(rows/unroll), k)
	loop := fmt.Sprintf("rows%d", nb)
	Label(loop)
	for u := range unroll {
		lo, hi := YMM(), YMM()
		VMOVDQU(Mem{Base: t, Disp: 64 * u}, lo)
		VMOVDQU(Mem{Base: t, Disp: 64*u + 32}, hi)
		for b := range nb {
			x, y := YMM(), YMM()
			VMOVDQU(Mem{Base: p, Disp: b*blockBytes + 32*u}, x)
			VPAND(x, nib, y)
			VPSRLW(U8(4), x, x)
			VPAND(x, nib, x)
			VPSHUFB(y, lo, y)
			VPSHUFB(x, hi, x)
			VPADDW(y, acc[b], acc[b])
			VPADDW(x, acc[b], acc[b])
			VPSRLW(U8(8), y, y)
			VPSRLW(U8(8), x, x)
			VPADDW(y, odd[b], odd[b])
			VPADDW(x, odd[b], odd[b])
		}
	}
	ADDQ(U32(unroll*32), p)
	ADDQ(U32(unroll*64), t)
	DECQ(k)
	JNZ(LabelRef(loop))

	for b := range nb {
		// even: the sums of the descriptors at even byte positions.
		even, s := YMM(), YMM()
		VPSLLW(U8(8), odd[b], s)
		VPSUBW(s, acc[b], even)
		// Descriptor order: even words 0–7, odd 0–7, even 8–15, odd 8–15
		// (see position in kernel.go).
		VPERM2I128(U8(0x20), odd[b], even, s)
		VMOVDQU(s, Mem{Base: scores, Disp: b * blockSize * 2})
		s2 := YMM()
		VPERM2I128(U8(0x31), odd[b], even, s2)
		VMOVDQU(s2, Mem{Base: scores, Disp: b*blockSize*2 + 32})
		// Lanes at most thr: min(v, thr) == v.
		ce, co := YMM(), YMM()
		VPMINUW(thr, even, ce)
		VPCMPEQW(ce, even, ce)
		VPMINUW(thr, odd[b], co)
		VPCMPEQW(co, odd[b], co)
		VPACKSSWB(co, ce, ce)
		m := GP32()
		VPMOVMSKB(ce, m)
		MOVL(m, Mem{Base: masks, Disp: 4 * b})
	}
}
