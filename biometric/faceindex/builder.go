package faceindex

import (
	"hash/maphash"
	"math"
	"runtime"
	"strings"
	"sync"
)

// builder assembles a fresh, compact index: for Load, and to compact and
// refit after many writes.
type builder struct {
	st    *store
	ids   idTable
	ident map[string]uint32
	names []string
	exc   map[uint32]*Descriptor
	n     int
}

func newBuilder(hint int) *builder {
	b := &builder{
		st:    &store{chunks: make([]*chunk, 0, hint/chunkCap+1)},
		ident: make(map[string]uint32, hint/4),
		exc:   map[uint32]*Descriptor{},
	}
	b.ids = newIDTable(b.st.idOf)
	return b
}

func (b *builder) identityNumber(name string) uint32 {
	num, ok := b.ident[name]
	if !ok {
		num = uint32(len(b.names))
		name = strings.Clone(name)
		b.names = append(b.names, name)
		b.ident[name] = num
	}
	return num
}

// next returns the chunk and offset of a new slot.
func (b *builder) next() (*chunk, int, error) {
	if b.n >= maxSlots {
		return nil, 0, ErrFull
	}
	ci, off := b.n>>chunkBits, b.n&chunkMask
	if ci == len(b.st.chunks) {
		b.st.chunks = append(b.st.chunks, newChunk(chunkCap))
	}
	b.n++
	return b.st.chunks[ci], off, nil
}

func (b *builder) setValue(slot uint32, ch *chunk, off int, d *Descriptor) {
	if pack(ch.vals[off*packedSize:], d) {
		delete(b.exc, slot)
	} else {
		c := *d
		b.exc[slot] = &c
	}
}

// put adds a descriptor, replacing one with the same id.
func (b *builder) put(identity, id string, d *Descriptor) error {
	num := b.identityNumber(identity)
	if slot, ok := b.ids.lookup(id); ok {
		ch, off := b.st.chunks[slot>>chunkBits], int(slot&chunkMask)
		ch.ident[off] = num
		b.setValue(slot, ch, off, d)
		return nil
	}
	ch, off, err := b.next()
	if err != nil {
		return err
	}
	slot := uint32(b.n - 1)
	ch.ident[off] = num
	ch.idRef[off] = b.st.arena.add(id)
	b.setValue(slot, ch, off, d)
	b.ids.insertNew(b.ids.hash(id), slot)
	return nil
}

// copyLive adds the live descriptors of s, whose ids st holds.
func (b *builder) copyLive(s *snapshot, st *store) {
	renumber := make([]uint32, len(s.names)) // old identity number → new + 1
	for ci, src := range s.chunks {
		n := min(chunkCap, s.n-ci<<chunkBits)
		for off := range n {
			slot := uint32(ci<<chunkBits + off)
			if s.isDead(slot) {
				continue
			}
			ch, o, _ := b.next() // fewer slots than s has: cannot be full
			ns := uint32(b.n - 1)
			id := st.idOf(slot)
			old := src.ident[off]
			if renumber[old] == 0 {
				renumber[old] = b.identityNumber(s.names[old]) + 1
			}
			ch.ident[o] = renumber[old] - 1
			ch.idRef[o] = b.st.arena.addBytes(id)
			v := s.vals(slot)
			copy(ch.vals[o*packedSize:], v[:packedSize])
			if isException(v) {
				b.exc[ns] = s.exc[slot] // never modified: shared
			}
			b.ids.insertNew(maphash.Bytes(b.ids.seed, id), ns)
		}
	}
}

// finish fits the quantiser to the descriptors, encodes them, and returns
// the builder with the snapshot to publish.
func (b *builder) finish() (*builder, *snapshot) {
	s := &snapshot{
		chunks: b.st.chunks,
		n:      b.n,
		live:   b.n,
		dead:   make([]uint64, (b.n+63)/64),
		names:  b.names,
		exc:    b.exc,
	}
	if b.n >= 32 {
		// Per worker, then added in worker order: the same sums for the
		// same number of workers.
		type sums struct{ sum, sum2 [128]float64 }
		parts := make([]sums, workers(len(s.chunks)))
		inParallel(len(s.chunks), len(parts), func(w, lo, hi int) {
			var buf Descriptor
			p := &parts[w]
			for slot := uint32(lo) << chunkBits; slot < min(uint32(hi)<<chunkBits, uint32(b.n)); slot++ {
				d := s.descriptor(slot, &buf)
				for i, v := range d {
					p.sum[i] += float64(v)
					p.sum2[i] += float64(v) * float64(v)
				}
			}
		})
		var sum, sum2 [128]float64
		for _, p := range parts {
			for i := range sum {
				sum[i] += p.sum[i]
				sum2[i] += p.sum2[i]
			}
		}
		var mean, spread [128]float64
		for i := range mean {
			mean[i] = sum[i] / float64(b.n)
			spread[i] = max(math.Sqrt(max(sum2[i]/float64(b.n)-mean[i]*mean[i], 0)), 1e-4)
		}
		s.q = newQuantiser(&mean, &spread)
	} else {
		s.q = defaultQuantiser()
	}
	// Encode, keeping the two numbers of the bound to fit their grids.
	// Each worker encodes whole chunks: no two write the same memory.
	errs, corrs := make([]float64, b.n), make([]float64, b.n)
	inParallel(len(s.chunks), workers(len(s.chunks)), func(_, lo, hi int) {
		var buf Descriptor
		var codes [64]byte
		for slot := uint32(lo) << chunkBits; slot < min(uint32(hi)<<chunkBits, uint32(b.n)); slot++ {
			ch, off := s.chunks[slot>>chunkBits], int(slot&chunkMask)
			errs[slot], corrs[slot] = s.q.encode(codes[:], s.descriptor(slot, &buf))
			ch.setCodes(off, &codes)
		}
	})
	step := max(1, b.n/4096)
	var es, cs []float64
	for i := 0; i < b.n; i += step {
		es, cs = append(es, errs[i]), append(cs, corrs[i])
	}
	s.q.fitGrids(es, cs)
	for slot := range uint32(b.n) {
		ch, off := s.chunks[slot>>chunkBits], int(slot&chunkMask)
		ec, cc := s.q.aux(errs[slot], corrs[slot])
		ch.setAux(off, ec, cc)
	}
	// Give the last chunk and arena page back their unused room.
	if k := len(s.chunks); k > 0 {
		if n := b.n - (k-1)<<chunkBits; n < chunkCap {
			s.chunks[k-1] = s.chunks[k-1].resized(n, n)
		}
	}
	b.st.arena.trim()
	return b, s
}

// workers is how many goroutines share a pass over n chunks: one per CPU
// (a gate box has two to four), never more than there are chunks.
func workers(n int) int { return max(1, min(runtime.GOMAXPROCS(0), n, 8)) }

// inParallel runs f(w, lo, hi) for w workers over contiguous ranges of the
// n chunks [lo, hi), and waits for them.
func inParallel(n, w int, f func(w, lo, hi int)) {
	if w <= 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	for i := range w {
		lo, hi := n*i/w, n*(i+1)/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i, lo, hi)
		}()
	}
	wg.Wait()
}
