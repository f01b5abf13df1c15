package faceindex

import (
	"math"
	"math/bits"
)

// scratch is the per-search working memory, pooled.
type scratch struct {
	t      lut
	scores [chunkCap]uint16
	masks  [chunkCap / blockSize]uint32
	cand   []uint64 // slot<<32 | table sum
}

// relErr bounds the relative error of dist2: a term goes through at most
// 21 float32 roundings (subtract, square, 15 + 3 additions), 1.3e-6.
const relErr = 4e-6

// best is a descriptor found by a search.
type best struct {
	d2    float32 // squared distance as computed by dist2
	ident uint32
	ok    bool
}

// searcher tracks the nearest descriptor (b1) and the nearest one of
// another identity (b2) among those computed exactly so far, and the
// pruning threshold derived from b2.
//
// The bound. Let x be a descriptor, x̂ its quantised reconstruction,
// e = x − x̂, μ the mean descriptor (any fixed vector would do), and
// A = |q − x̂|², the squared distance the table estimates. Then exactly
//
//	|q − x|² = A − 2(q − μ)·e + (|x − μ|² − |x̂ − μ|²)
//	         ≥ A − 2|q − μ|·err + corr
//
// (Cauchy-Schwarz), with err ≥ |e| and corr ≤ |x − μ|² − |x̂ − μ|² known
// per descriptor through its grid codes. Centring on μ matters: dlib
// descriptors have norms near 1.4 but lie within about 0.6 of their mean. Each of the 64 table entries is
// within 1 unit of its exact value, so A ≥ (S − 64) units for a table
// sum S; etab and ctab are rounded down. dist2 returns at least
// |q − x|²·(1 − relErr) − 1e-36 (the absolute term for float32
// underflow). So a descriptor whose score S + etab + ctab exceeds
// (b2.d2 + 1e-30)/(1 − relErr) + 65 units is farther than b2 as dist2
// computes it, and it can be neither the nearest descriptor nor the
// nearest of another identity: whichever identity wins, one of b1 and b2
// is of another identity and is no farther than b2. Every other descriptor
// is computed exactly; that is why the answer is an exhaustive search's.
// A second bound, the triangle inequality |q − x| ≥ √A − err, filters the
// candidates again before they are computed.
//
// The scan applies a coarser form of the same bound first, to all
// descriptors, with the 8-bit tables of the fast scan (lut8, which says
// why it is a lower bound too): a descriptor whose 8-bit sum exceeds thr8
// is farther than b2 as dist2 computes it, for the same reason. Only the
// others are checked with the 16-bit table and the rest of the above.
type searcher struct {
	s      *snapshot
	q      *Descriptor
	t      *lut
	b1, b2 best
	inv    float64 // table units per squared distance unit
	tau    float64 // b2.d2 in table units (+Inf until there is a b2)
	thr    int32   // scores above this are pruned
	thr8   uint16  // 8-bit table sums above this are pruned
	root   float64 // √((b2.d2+1e-30)/(1−relErr)), rounded up
	work   work
	cand   []uint64
}

// work counts what a search did, for tests and benchmarks.
type work struct {
	checked int // descriptors the 8-bit bound let through to the 16-bit one
	exact   int // descriptors computed exactly
}

// less orders (distance, identity name) pairs, so that ties between
// identities at exactly the same distance break the same way whatever the
// order of the scan.
func (r *searcher) less(d2 float32, ident uint32, b best) bool {
	return d2 < b.d2 || (d2 == b.d2 && ident != b.ident && r.s.names[ident] < r.s.names[b.ident])
}

func (r *searcher) consider(slot uint32) {
	if r.s.isDead(slot) {
		return
	}
	var d2 float32
	if src := r.s.vals(slot); isException(src) {
		d2 = dist2(r.q, r.s.exc[slot])
	} else {
		d2 = dist2Packed(r.q, src)
	}
	r.work.exact++
	ident := r.s.chunks[slot>>chunkBits].ident[slot&chunkMask]
	switch {
	case !r.b1.ok || r.less(d2, ident, r.b1):
		if r.b1.ok && r.b1.ident != ident {
			r.b2 = r.b1
		}
		r.b1 = best{d2, ident, true}
	case ident != r.b1.ident && (!r.b2.ok || r.less(d2, ident, r.b2)):
		r.b2 = best{d2, ident, true}
	default:
		return
	}
	if r.b2.ok {
		wide := (float64(r.b2.d2) + 1e-30) / (1 - relErr) * (1 + 1e-12)
		r.tau = float64(r.b2.d2) * r.inv
		r.thr = int32(min(math.Floor(wide*r.inv*(1+1e-12)+65), math.MaxInt32))
		r.root = math.Sqrt(wide) * (1 + 1e-12)
		r.thr8 = r.t.t8.threshold(wide)
	}
}

// pass applies the threshold and the triangle inequality to a descriptor
// of the chunk ch at offset i with table sum sum.
func (r *searcher) pass(ch *chunk, i uint32, sum uint32) bool {
	ec, cc := ch.aux[2*i], ch.aux[2*i+1]
	if int32(sum)+r.t.etab[ec]+r.t.ctab[cc] > r.thr {
		return false
	}
	if ec == unbounded {
		return true
	}
	t := r.root + r.s.q.errOf(ec)
	return float64(sum) <= t*t*r.inv*(1+1e-12)+65
}

// visit checks slot offset i of chunk ch (slot base+i), which the 8-bit
// bound did not prune, with the 16-bit one: it computes the slot at once
// if it may be a new nearest or runner, keeps it as a candidate if it
// passes, and drops it otherwise.
func (r *searcher) visit(ch *chunk, base uint32, i int) {
	r.work.checked++
	sum := r.t.sum16(ch.block(i), i&blockMask)
	ec, cc := ch.aux[2*i], ch.aux[2*i+1]
	if int32(sum)+r.t.etab[ec]+r.t.ctab[cc] > r.thr {
		return
	}
	if float64(int32(sum)+r.t.ctab[cc]) <= r.tau {
		// Probably a new nearest or runner: settle it now, so the
		// thresholds tighten early.
		r.consider(base + uint32(i))
	} else if r.pass(ch, uint32(i), sum) {
		r.cand = append(r.cand, uint64(base+uint32(i))<<32|uint64(sum))
	}
}

// seed is for the first blocks of a search, which the kernel scanned
// without a threshold (there is no runner yet): it visits their slots in
// order of increasing 8-bit sum until there is a runner, then leaves in
// masks only the unvisited slots that the threshold it gives lets
// through, and those with unbounded grid codes. Blocks g... of chunk ch
// have the sums scores.
func (r *searcher) seed(ch *chunk, base uint32, g int, scores []uint16, masks []uint32) {
	var done [scanGroup]uint32
	for range 64 {
		if r.b2.ok {
			break
		}
		at := -1
		for i, v := range scores {
			if done[i>>blockBits]&(1<<(i&blockMask)) == 0 && (at < 0 || v < scores[at]) {
				at = i
			}
		}
		if at < 0 {
			break
		}
		done[at>>blockBits] |= 1 << (at & blockMask)
		r.visit(ch, base, g<<blockBits+at)
	}
	for j := range masks {
		var m uint32
		for i, v := range scores[j*blockSize : (j+1)*blockSize] {
			if v <= r.thr8 {
				m |= 1 << i
			}
		}
		masks[j] = (m | ch.wild[g+j]) &^ done[j]
	}
}

// search returns the nearest descriptor, the nearest of another identity,
// and the work done, scanning with kernel k.
func (s *snapshot) search(q *Descriptor, sc *scratch, k *kernel) (b1, b2 best, w work) {
	r := searcher{s: s, q: q, t: &sc.t, tau: math.Inf(1), thr: math.MaxInt32, thr8: math.MaxUint16, root: math.Inf(1), cand: sc.cand[:0]}
	r.inv = 1 / sc.t.build(s.q, q, k.pair)
	t8 := &sc.t.t8
	for ci, ch := range s.chunks {
		n := min(chunkCap, s.n-ci<<chunkBits)
		if n <= 0 {
			break
		}
		base := uint32(ci << chunkBits)
		full := n >> blockBits
		for g := 0; g < full; g += scanGroup {
			e := min(g+scanGroup, full)
			masks := sc.masks[g:e]
			k.scan(t8, ch.codes[g*blockBytes:e*blockBytes], r.thr8, sc.scores[g*blockSize:e*blockSize], masks)
			// Full blocks are never written again: their wild bits are
			// settled.
			if r.b2.ok {
				for j := range masks {
					masks[j] |= ch.wild[g+j]
				}
			} else {
				r.seed(ch, base, g, sc.scores[:(e-g)*blockSize], masks)
			}
			for j, m := range masks {
				for ; m != 0; m &= m - 1 {
					r.visit(ch, base, (g+j)<<blockBits|bits.TrailingZeros32(m))
				}
			}
		}
		// The last block of a chunk may be partly filled.
		for i := full << blockBits; i < n; i++ {
			if ch.aux[2*i] == unbounded || ch.aux[2*i+1] == unbounded || t8.score8(ch.block(i), i&blockMask) <= r.thr8 {
				r.visit(ch, base, i)
			}
		}
	}
	// The threshold only got tighter since the candidates were taken.
	for _, c := range r.cand {
		slot := uint32(c >> 32)
		if r.pass(s.chunks[slot>>chunkBits], slot&chunkMask, uint32(c)) {
			r.consider(slot)
		}
	}
	sc.cand = r.cand[:0]
	return r.b1, r.b2, r.work
}

// Search returns the enrolled identity nearest to q, or the reason it
// rejects q: the answer of an exhaustive search with Distance, ties between
// identities at exactly equal distances going to the smaller name.
func (x *Index) Search(q Descriptor) Result {
	res, _ := x.search(&q)
	return res
}

// search is Search, also returning the work done (for tests and
// benchmarks).
func (x *Index) search(q *Descriptor) (Result, work) {
	inf := float32(math.Inf(1))
	if !valid(q) {
		return Result{Distance: inf, RunnerDistance: inf, Reason: ReasonInvalid}, work{}
	}
	s := x.snap.Load()
	if s.live == 0 {
		return Result{Distance: inf, RunnerDistance: inf, Reason: ReasonNoEnrolment}, work{}
	}
	sc := x.scratch.Get().(*scratch)
	b1, b2, w := s.search(q, sc, x.kernel)
	x.scratch.Put(sc)
	return x.decide(s, b1, b2), w
}

// decide applies the open-set rule to the nearest descriptor and the
// nearest of another identity.
func (x *Index) decide(s *snapshot, b1, b2 best) Result {
	res := Result{
		Nearest:        s.names[b1.ident],
		Distance:       sqrt32(b1.d2),
		RunnerDistance: float32(math.Inf(1)),
	}
	if b2.ok {
		res.Runner = s.names[b2.ident]
		res.RunnerDistance = sqrt32(b2.d2)
	}
	switch {
	case !(res.Distance < x.cfg.Threshold):
		res.Reason = ReasonTooFar
	case res.RunnerDistance-res.Distance < x.cfg.Margin:
		res.Reason = ReasonAmbiguous
	default:
		res.Reason = ReasonMatch
		res.Identity = res.Nearest
	}
	return res
}
