package osdp

import (
	"errors"
	"io"
)

// Reader finds frames in a byte stream. It skips garbage and frames with bad
// check characters, and does not stall behind a corrupted header that claims
// a long length: a complete valid frame later in the buffer wins.
type Reader struct {
	r       io.Reader
	buf     []byte
	chunk   []byte
	Dropped int // bytes skipped as garbage or as parts of bad frames
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r, chunk: make([]byte, 512)}
}

// Next returns the next valid frame. Its slices are its own. Read errors from
// the underlying reader are returned as they are.
func (r *Reader) Next() (Frame, error) {
	for {
		if f, ok := r.scan(); ok {
			return f, nil
		}
		n, err := r.r.Read(r.chunk)
		r.buf = append(r.buf, r.chunk[:n]...)
		if err != nil && n == 0 {
			return Frame{}, err
		}
	}
}

// Buffered reports how many undecoded bytes are waiting.
func (r *Reader) Buffered() int { return len(r.buf) }

// scan looks for a complete frame in the buffer.
func (r *Reader) scan() (Frame, bool) {
	for {
		i := indexSOM(r.buf, 0)
		if i < 0 {
			r.drop(len(r.buf))
			return Frame{}, false
		}
		r.drop(i)
		f, n, err := Decode(r.buf)
		switch {
		case err == nil:
			return r.take(f, 0, n), true
		case errors.Is(err, ErrIncomplete):
			// A later frame that is complete and valid means this header was garbage.
			for j := indexSOM(r.buf, 1); j >= 0; j = indexSOM(r.buf, j+1) {
				if f, n, err := Decode(r.buf[j:]); err == nil {
					return r.take(f, j, n), true
				}
			}
			if len(r.buf) < 2*MaxFrameLen {
				return Frame{}, false
			}
			r.drop(1)
		default:
			r.drop(1)
		}
	}
}

// take copies f (which aliases the buffer at start) and removes it and the
// garbage before it from the buffer.
func (r *Reader) take(f Frame, start, n int) Frame {
	own := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		return append([]byte{}, b...)
	}
	f.SCB, f.Data, f.MAC = own(f.SCB), own(f.Data), own(f.MAC)
	r.Dropped += start
	r.buf = append(r.buf[:0], r.buf[start+n:]...)
	return f
}

func (r *Reader) drop(n int) {
	r.Dropped += n
	r.buf = append(r.buf[:0], r.buf[n:]...)
}

func indexSOM(b []byte, from int) int {
	for i := from; i < len(b); i++ {
		if b[i] == SOM {
			return i
		}
	}
	return -1
}
