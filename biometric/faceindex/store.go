package faceindex

import (
	"fmt"
	"slices"
)

// Slots are numbered densely; slot s lives in chunk s>>chunkBits at offset
// s&chunkMask. Every chunk but the last holds chunkCap slots, so growing
// the index never copies more than one chunk, and no slice doubling leaves
// half-empty arrays behind.
const (
	chunkBits = 10
	chunkCap  = 1 << chunkBits
	chunkMask = chunkCap - 1
)

// chunk holds up to its capacity of descriptors in structure-of-arrays
// layout. Published slots are never written again: writers only fill slots
// past the length a snapshot publishes, or build new chunks.
//
// The codes are in blocks of 32 slots (see kernel.go), so the last block
// of the last chunk is shared between published slots and slots a writer
// is filling: readers read only the bytes of published slots there
// (lut8.score8), and look at wild only for full blocks.
type chunk struct {
	codes []byte   // blockBytes per block of 32 slots: 4-bit codes, transposed (see kernel.go)
	aux   []byte   // 2 bytes per slot: the grid codes of err and corr (see quantiser)
	wild  []uint32 // per block: a bit per slot with an unbounded grid code
	vals  []byte   // packedSize bytes per slot: the exact descriptor
	ident []uint32 // per slot: identity number
	idRef []uint32 // per slot: the id's place in the arena (writer side only)
}

func newChunk(capacity int) *chunk {
	return &chunk{
		codes: make([]byte, blocks(capacity)*blockBytes),
		aux:   make([]byte, 2*capacity),
		wild:  make([]uint32, blocks(capacity)),
		vals:  make([]byte, capacity*packedSize),
		ident: make([]uint32, capacity),
		idRef: make([]uint32, capacity),
	}
}

func (c *chunk) capacity() int { return len(c.ident) }

// block returns the codes of the block holding slot offset off.
func (c *chunk) block(off int) []byte {
	return c.codes[(off>>blockBits)*blockBytes:][:blockBytes]
}

// setCodes stores the 64 code bytes of slot offset off.
func (c *chunk) setCodes(off int, codes *[64]byte) {
	blk, p := c.block(off), position(off&blockMask)
	for k, b := range codes {
		blk[k*blockSize+p] = b
	}
}

// setAux stores the grid codes of slot offset off.
func (c *chunk) setAux(off int, ec, cc byte) {
	c.aux[2*off], c.aux[2*off+1] = ec, cc
	c.block(off)[64*blockSize+position(off&blockMask)] = ec>>4 | cc&0xf0
	bit := uint32(1) << (off & blockMask)
	if ec == unbounded || cc == unbounded {
		c.wild[off>>blockBits] |= bit
	} else {
		c.wild[off>>blockBits] &^= bit
	}
}

// resized returns a copy of c's first n slots with room for capacity slots.
func (c *chunk) resized(capacity, n int) *chunk {
	r := newChunk(capacity)
	copy(r.codes, c.codes[:blocks(n)*blockBytes])
	copy(r.aux, c.aux[:2*n])
	copy(r.wild, c.wild[:blocks(n)])
	copy(r.vals, c.vals[:n*packedSize])
	copy(r.ident, c.ident[:n])
	copy(r.idRef, c.idRef[:n])
	return r
}

// arena keeps the descriptor ids as length-prefixed records in 64 KiB
// pages; a reference is page<<16 | offset.
type arena struct{ pages [][]byte }

const (
	pageSize = 1 << 16
	maxKey   = 255 // longest identity or id, in bytes
)

func (a *arena) add(id string) uint32 { return a.addBytes([]byte(id)) }

func (a *arena) addBytes(id []byte) uint32 {
	n := len(a.pages)
	if n == 0 || len(a.pages[n-1])+1+len(id) > pageSize {
		a.pages = append(a.pages, make([]byte, 0, pageSize))
		n++
	}
	p := &a.pages[n-1]
	ref := uint32(n-1)<<16 | uint32(len(*p))
	*p = append(*p, byte(len(id)))
	*p = append(*p, id...)
	return ref
}

func (a *arena) get(ref uint32) []byte {
	p := a.pages[ref>>16]
	off := int(ref & 0xffff)
	return p[off+1 : off+1+int(p[off])]
}

// trim gives the last page back its unused room.
func (a *arena) trim() {
	if n := len(a.pages); n > 0 {
		a.pages[n-1] = slices.Clip(slices.Clone(a.pages[n-1]))
	}
}

// store is the writer's view of the slots' ids: the chunks of the latest
// snapshot and the arena their idRef entries point into.
type store struct {
	chunks []*chunk
	arena  arena
}

func (st *store) idOf(slot uint32) []byte {
	return st.arena.get(st.chunks[slot>>chunkBits].idRef[slot&chunkMask])
}

// snapshot is an immutable view of the index that searches run on.
type snapshot struct {
	q      *quantiser
	chunks []*chunk
	n      int      // slots in use, removed ones included
	live   int      // slots not removed
	dead   []uint64 // removed slots, one bit each; copied on write
	ndead  int
	names  []string               // identity names by number
	exc    map[uint32]*Descriptor // descriptors that do not pack; copied on write
}

func (s *snapshot) isDead(slot uint32) bool {
	return s.dead[slot>>6]&(1<<(slot&63)) != 0
}

// descriptor decodes slot into buf and returns it.
func (s *snapshot) descriptor(slot uint32, buf *Descriptor) *Descriptor {
	src := s.vals(slot)
	if isException(src) {
		return s.exc[slot]
	}
	unpack(buf, src)
	return buf
}

// edit is a snapshot being derived from a published one by a writer.
type edit struct {
	snapshot
	deadCopied bool
}

func (e *edit) kill(slot uint32) {
	if !e.deadCopied {
		e.dead = slices.Clone(e.dead)
		e.deadCopied = true
	}
	e.dead[slot>>6] |= 1 << (slot & 63)
	e.ndead++
	e.live--
}

// appendSlot fills the next slot with d and returns its number.
func (e *edit) appendSlot(ident, idRef uint32, d *Descriptor) (uint32, error) {
	if e.n >= maxSlots {
		return 0, fmt.Errorf("%w: %d slots", ErrFull, e.n)
	}
	slot := uint32(e.n)
	ci, off := e.n>>chunkBits, e.n&chunkMask
	switch {
	case ci == len(e.chunks):
		// Appending past the length is invisible to older snapshots.
		e.chunks = append(e.chunks, newChunk(16))
	case off == e.chunks[ci].capacity():
		grown := e.chunks[ci].resized(min(chunkCap, 2*off), off)
		e.chunks = slices.Clone(e.chunks)
		e.chunks[ci] = grown
	}
	ch := e.chunks[ci]
	var codes [64]byte
	ec, cc := e.q.aux(e.q.encode(codes[:], d))
	ch.setCodes(off, &codes)
	ch.setAux(off, ec, cc)
	if !pack(ch.vals[off*packedSize:], d) {
		exc := make(map[uint32]*Descriptor, len(e.exc)+1)
		for k, v := range e.exc {
			exc[k] = v
		}
		c := *d
		exc[slot] = &c
		e.exc = exc
	}
	ch.ident[off] = ident
	ch.idRef[off] = idRef
	e.n++
	e.live++
	if need := (e.n + 63) / 64; need > len(e.dead) {
		if need <= cap(e.dead) {
			e.dead = e.dead[:need] // zero words no one has written
		} else {
			dead := make([]uint64, need, need+need/2)
			copy(dead, e.dead)
			e.dead = dead
			e.deadCopied = true
		}
	}
	return slot, nil
}

// vals returns the packed bytes of slot.
func (s *snapshot) vals(slot uint32) []byte {
	off := int(slot&chunkMask) * packedSize
	return s.chunks[slot>>chunkBits].vals[off : off+packedSize]
}
