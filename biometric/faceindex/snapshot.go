package faceindex

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/bits"
	"slices"
)

// A snapshot file is the index as it is in memory, so that a controller
// can start without rebuilding it from every stored descriptor: the
// quantiser, then each chunk's arrays, the removed slots, the identity
// names and the id arena, little-endian. Reading one checks every
// reference in it (a file that does not describe a well-formed index is
// an error, never a panic later), but it cannot tell whether the index is
// the one the caller's store holds: the caller keeps that (the store's
// face token, controller/facesnap.go) and the file's authenticity
// (encryption) outside.
const (
	snapMagic   = "menwei-faceindex\n"
	snapVersion = 1
)

// ErrBadSnapshot is wrapped by every error of ReadSnapshot about the
// file's content.
var ErrBadSnapshot = errors.New("faceindex: bad snapshot")

// Frozen is the index as it was when Freeze was called, to be written as
// a snapshot file. It holds no copy (published slots never change) and no
// lock: writers and searches go on while it is written.
type Frozen struct {
	s       *snapshot
	pages   [][]byte
	fitLive int
}

// Freeze captures the index as it is now, in constant time.
func (x *Index) Freeze() *Frozen {
	x.mu.Lock()
	defer x.mu.Unlock()
	f := &Frozen{s: x.snap.Load(), pages: slices.Clone(x.st.arena.pages), fitLive: x.fitLive}
	// The last page grows in place past what is published; its published
	// part does not change.
	if k := len(f.pages); k > 0 {
		f.pages[k-1] = slices.Clip(f.pages[k-1])
	}
	return f
}

// Len is the number of descriptors in the frozen index.
func (f *Frozen) Len() int { return f.s.live }

// WriteSnapshot writes the index as it is now (Freeze, then Write).
func (x *Index) WriteSnapshot(w io.Writer) error { return x.Freeze().Write(w) }

// Write writes the snapshot file.
func (f *Frozen) Write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := f.write(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// publishedCodes returns the code blocks of a chunk's first m slots. A
// last block that is not full is shared with slots a writer may be
// filling: only the published slots' bytes are copied from it (the rest
// are zero).
func publishedCodes(ch *chunk, m int) (full, last []byte) {
	full = ch.codes[:(m>>blockBits)*blockBytes]
	if r := m & blockMask; r != 0 {
		blk := ch.block(m - 1)
		last = make([]byte, blockBytes)
		for i := range r {
			p := position(i)
			for k := range codeRows {
				last[k*blockSize+p] = blk[k*blockSize+p]
			}
		}
	}
	return full, last
}

func (f *Frozen) write(w io.Writer) error {
	s := f.s
	ew := errWriter{w: w}
	ew.bytes([]byte(snapMagic))
	ew.put(uint32(snapVersion))
	for _, v := range s.q.fields() {
		ew.put(v)
	}
	ew.put(uint64(s.n))
	ew.put(uint64(f.fitLive))
	for ci, ch := range s.chunks {
		m := min(chunkCap, s.n-ci<<chunkBits)
		full, last := publishedCodes(ch, m)
		ew.bytes(full)
		ew.bytes(last)
		ew.bytes(ch.aux[:2*m])
		ew.bytes(ch.vals[:m*packedSize])
		ew.put(ch.ident[:m])
		ew.put(ch.idRef[:m])
	}
	ew.put(s.dead[:(s.n+63)/64])
	ew.put(uint32(len(s.names)))
	for _, name := range s.names {
		ew.bytes([]byte{byte(len(name))})
		ew.bytes([]byte(name))
	}
	ew.put(uint32(len(s.exc)))
	for slot := range uint32(s.n) {
		if d, ok := s.exc[slot]; ok {
			ew.put(slot)
			ew.put(d[:])
		}
	}
	ew.put(uint32(len(f.pages)))
	for _, p := range f.pages {
		ew.put(uint32(len(p)))
		ew.bytes(p)
	}
	return ew.err
}

// ReadSnapshot reads a file WriteSnapshot wrote and makes it the index's
// whole content, replacing what it held; on an error the index is
// unchanged. The index keeps its own Config (threshold and margin are not
// in the file).
func (x *Index) ReadSnapshot(r io.Reader) error {
	b, s, fitLive, err := readSnapshot(bufio.NewReaderSize(r, 1<<16))
	if err != nil {
		return err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.adopt(b, s)
	x.fitLive = fitLive
	return nil
}

func bad(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadSnapshot, fmt.Sprintf(format, a...))
}

func readSnapshot(r io.Reader) (*builder, *snapshot, int, error) {
	er := errReader{r: r}
	magic := make([]byte, len(snapMagic))
	er.bytes(magic)
	var version uint32
	er.get(&version)
	if er.err != nil {
		return nil, nil, 0, bad("header: %v", er.err)
	}
	if string(magic) != snapMagic || version != snapVersion {
		return nil, nil, 0, bad("not a face index snapshot of version %d", snapVersion)
	}
	q := new(quantiser)
	for _, v := range q.fields() {
		er.get(v)
	}
	var n, fitLive uint64
	er.get(&n)
	er.get(&fitLive)
	if er.err != nil {
		return nil, nil, 0, bad("header: %v", er.err)
	}
	if err := q.check(); err != nil {
		return nil, nil, 0, err
	}
	if n > maxSlots || fitLive > n {
		return nil, nil, 0, bad("%d slots, fitted at %d", n, fitLive)
	}
	s := &snapshot{q: q, n: int(n), exc: map[uint32]*Descriptor{}}
	b := &builder{st: &store{}, exc: s.exc, n: int(n)}
	// Chunk by chunk, so that what is allocated is what the file holds.
	for done := 0; done < s.n; done += chunkCap {
		m := min(chunkCap, s.n-done)
		ch := newChunk(m)
		er.bytes(ch.codes)
		er.bytes(ch.aux)
		er.bytes(ch.vals)
		er.get(ch.ident)
		er.get(ch.idRef)
		if er.err != nil {
			return nil, nil, 0, bad("chunk %d: %v", len(s.chunks), er.err)
		}
		for off := range m {
			ch.setAux(off, ch.aux[2*off], ch.aux[2*off+1])
		}
		s.chunks = append(s.chunks, ch)
	}
	s.dead = make([]uint64, (s.n+63)/64)
	er.get(s.dead)
	var nnames uint32
	er.get(&nnames)
	if er.err != nil {
		return nil, nil, 0, bad("removed slots: %v", er.err)
	}
	if nnames > uint32(s.n) {
		return nil, nil, 0, bad("%d identities for %d slots", nnames, s.n)
	}
	b.ident = make(map[string]uint32, nnames)
	for i := range nnames {
		var l [1]byte
		er.bytes(l[:])
		name := make([]byte, l[0])
		er.bytes(name)
		if er.err != nil {
			return nil, nil, 0, bad("identity %d: %v", i, er.err)
		}
		if len(name) == 0 {
			return nil, nil, 0, bad("identity %d: empty name", i)
		}
		if _, dup := b.ident[string(name)]; dup {
			return nil, nil, 0, bad("identity %d: %q twice", i, name)
		}
		b.ident[string(name)] = i
		s.names = append(s.names, string(name))
	}
	b.names = s.names
	var nexc uint32
	er.get(&nexc)
	if er.err == nil && nexc > uint32(s.n) {
		return nil, nil, 0, bad("%d exceptions for %d slots", nexc, s.n)
	}
	for range nexc {
		var slot uint32
		d := new(Descriptor)
		er.get(&slot)
		er.get(d[:])
		if er.err != nil {
			break
		}
		if slot >= uint32(s.n) || s.exc[slot] != nil || !valid(d) {
			return nil, nil, 0, bad("exception for slot %d", slot)
		}
		s.exc[slot] = d
	}
	var npages uint32
	er.get(&npages)
	if er.err == nil && uint64(npages) > uint64(s.n)*(1+maxKey)/pageSize+1 {
		return nil, nil, 0, bad("%d id pages for %d slots", npages, s.n)
	}
	for range npages {
		var l uint32
		er.get(&l)
		if er.err != nil || l > pageSize {
			return nil, nil, 0, bad("id page of %d bytes: %v", l, er.err)
		}
		p := make([]byte, l)
		er.bytes(p)
		b.st.arena.pages = append(b.st.arena.pages, p)
	}
	if er.err != nil {
		return nil, nil, 0, bad("tail: %v", er.err)
	}
	if _, err := r.Read(make([]byte, 1)); err != io.EOF {
		return nil, nil, 0, bad("bytes after the end")
	}
	b.st.chunks = s.chunks
	b.ids = newIDTable(b.st.idOf)
	if err := s.check(b); err != nil {
		return nil, nil, 0, err
	}
	return b, s, int(fitLive), nil
}

// check verifies that every reference of a snapshot read from a file is
// in range, as a search and the writers assume, and fills the id table.
func (s *snapshot) check(b *builder) error {
	for slot := s.n; slot < len(s.dead)*64; slot++ {
		if s.isDead(uint32(slot)) {
			return bad("removed slot %d past the end", slot)
		}
	}
	for _, w := range s.dead {
		s.ndead += bits.OnesCount64(w)
	}
	s.live = s.n - s.ndead
	// The references, chunk by chunk on every core; then the ids, in
	// order, into the id table.
	errs := make([]error, len(s.chunks))
	inParallel(len(s.chunks), workers(len(s.chunks)), func(_, lo, hi int) {
		for ci := lo; ci < hi; ci++ {
			errs[ci] = s.checkChunk(b, ci)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	b.ids.reserve(s.n)
	for slot := range uint32(s.n) {
		if s.isDead(slot) {
			continue
		}
		id := b.st.idOf(slot)
		h := maphash.Bytes(b.ids.seed, id)
		if b.ids.find(string(id), h) >= 0 {
			return bad("slot %d: id %q twice", slot, id)
		}
		b.ids.insertNew(h, slot)
	}
	return nil
}

// checkChunk checks the slots of chunk ci: identity numbers, descriptors
// and id references in range.
func (s *snapshot) checkChunk(b *builder, ci int) error {
	ch := s.chunks[ci]
	for off := range min(chunkCap, s.n-ci<<chunkBits) {
		slot := uint32(ci<<chunkBits + off)
		if int(ch.ident[off]) >= len(s.names) {
			return bad("slot %d: identity %d of %d", slot, ch.ident[off], len(s.names))
		}
		if isException(s.vals(slot)) != (s.exc[slot] != nil) {
			return bad("slot %d: exception marker and exceptions disagree", slot)
		}
		if s.exc[slot] == nil && !packedFinite(s.vals(slot)) {
			return bad("slot %d: descriptor not finite", slot)
		}
		ref := ch.idRef[off]
		page, at := int(ref>>16), int(ref&0xffff)
		if page >= len(b.st.arena.pages) || at >= len(b.st.arena.pages[page]) {
			return bad("slot %d: id reference out of range", slot)
		}
		p := b.st.arena.pages[page]
		if l := int(p[at]); l == 0 || at+1+l > len(p) {
			return bad("slot %d: id of %d bytes out of its page", slot, l)
		}
	}
	return nil
}

// packedFinite reports whether a packed descriptor decodes to finite
// components: no field but an exception's first has exponent code 31.
func packedFinite(src []byte) bool {
	src = src[:packedSize]
	for g := range 16 {
		f0, f1, f2, f3, f4, f5, f6, f7 := fields(src[g*29:])
		for _, f := range [8]uint32{f0, f1, f2, f3, f4, f5, f6, f7} {
			if f>>23&31 == 31 {
				return false
			}
		}
	}
	return true
}

// fields are pointers to the quantiser's fields, in the file's order.
func (q *quantiser) fields() []any {
	return []any{&q.mean, &q.level, &q.scale, &q.shift, &q.grid, &q.errStep, &q.corrMin, &q.corrStep}
}

// check verifies that a quantiser read from a file is one the searches can
// use: finite numbers and grid cells naming one of the 16 levels.
func (q *quantiser) check() error {
	fin := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for d := range q.mean {
		if !fin(q.mean[d]) || !fin(q.scale[d]) || !fin(q.shift[d]) {
			return bad("quantiser: component %d not finite", d)
		}
		for _, l := range q.level[d] {
			if !fin(float64(l)) || math.Abs(float64(l)) > MaxComponent {
				return bad("quantiser: component %d: level not finite", d)
			}
		}
	}
	for i, g := range q.grid {
		if g >= 16 {
			return bad("quantiser: grid cell %d names level %d", i, g)
		}
	}
	for _, v := range []float64{q.errStep, q.corrMin, q.corrStep} {
		if !fin(v) {
			return bad("quantiser: bound grid not finite")
		}
	}
	if q.errStep <= 0 || q.corrStep <= 0 {
		return bad("quantiser: bound grid steps must be positive")
	}
	return nil
}

// errWriter writes little-endian values until the first error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) bytes(p []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(p)
	}
}

func (e *errWriter) put(v any) {
	if e.err == nil {
		e.err = binary.Write(e.w, binary.LittleEndian, v)
	}
}

// errReader reads little-endian values until the first error; a short
// read is io.ErrUnexpectedEOF.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) bytes(p []byte) {
	if e.err == nil {
		_, e.err = io.ReadFull(e.r, p)
		if e.err == io.EOF {
			e.err = io.ErrUnexpectedEOF
		}
	}
}

func (e *errReader) get(v any) {
	if e.err == nil {
		e.err = binary.Read(e.r, binary.LittleEndian, v)
		if e.err == io.EOF {
			e.err = io.ErrUnexpectedEOF
		}
	}
}
