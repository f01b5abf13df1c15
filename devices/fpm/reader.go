package fpm

import (
	"errors"
	"io"
)

// Reader finds packets in a byte stream. It skips garbage and packets with a
// bad checksum, and does not stall behind a corrupted header that claims a
// long length: a complete valid packet later in the buffer wins.
type Reader struct {
	r       io.Reader
	buf     []byte
	chunk   []byte
	Dropped int // bytes skipped as garbage or as parts of bad packets
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r, chunk: make([]byte, 512)}
}

// Next returns the next valid packet. Its Data is its own. Read errors from
// the underlying reader are returned as they are, once the packets read
// before them have been returned.
func (r *Reader) Next() (Packet, error) {
	for {
		if p, ok := r.scan(); ok {
			return p, nil
		}
		n, err := r.r.Read(r.chunk)
		r.buf = append(r.buf, r.chunk[:n]...)
		if err != nil && n == 0 {
			return Packet{}, err
		}
	}
}

// Buffered reports how many undecoded bytes are waiting.
func (r *Reader) Buffered() int { return len(r.buf) }

// scan looks for a complete packet in the buffer.
func (r *Reader) scan() (Packet, bool) {
	for {
		i := indexHeader(r.buf, 0)
		if i < 0 {
			r.drop(len(r.buf))
			return Packet{}, false
		}
		r.drop(i)
		p, n, err := Decode(r.buf)
		switch {
		case err == nil:
			return r.take(p, 0, n), true
		case errors.Is(err, ErrIncomplete):
			// A later packet that is complete and valid means this header was garbage.
			for j := indexHeader(r.buf, 1); j >= 0; j = indexHeader(r.buf, j+1) {
				if p, n, err := Decode(r.buf[j:]); err == nil {
					return r.take(p, j, n), true
				}
			}
			if len(r.buf) < 2*MaxPacketLen {
				return Packet{}, false
			}
			r.drop(1)
		default:
			r.drop(1)
		}
	}
}

// take copies p (which aliases the buffer at start) and removes it and the
// garbage before it from the buffer.
func (r *Reader) take(p Packet, start, n int) Packet {
	p.Data = append([]byte(nil), p.Data...)
	r.Dropped += start
	r.buf = append(r.buf[:0], r.buf[start+n:]...)
	return p
}

func (r *Reader) drop(n int) {
	r.Dropped += n
	r.buf = append(r.buf[:0], r.buf[n:]...)
}

// indexHeader finds the next 0xEF 0x01 at or after from, or a lone 0xEF at
// the end of b that may be the start of one.
func indexHeader(b []byte, from int) int {
	for i := from; i < len(b); i++ {
		if b[i] == Header0 && (i+1 == len(b) || b[i+1] == Header1) {
			return i
		}
	}
	return -1
}
