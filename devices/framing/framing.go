// Package framing finds frames in a byte stream for any frame codec: it
// skips garbage and frames that fail their checks, and does not stall
// behind a corrupted header that claims a long length — a complete valid
// frame later in the buffer wins. The OSDP and fingerprint-module readers
// are this Reader with their own Codec.
package framing

import (
	"errors"
	"io"
)

// Codec tells the Reader how one framing looks.
type Codec[F any] struct {
	// Start returns the index of the next possible frame start in b at or
	// after from, or -1 if there is none.
	Start func(b []byte, from int) int
	// Decode reads one frame at the start of b: the frame and the bytes it
	// used, Incomplete when b holds only its beginning, or another error.
	Decode     func(b []byte) (F, int, error)
	Incomplete error
	// MaxLen is the longest frame; a header waiting for more than twice
	// this much is given up.
	MaxLen int
	// Own copies whatever in a decoded frame aliases the buffer.
	Own func(F) F
}

// Reader returns the frames found in a byte stream.
type Reader[F any] struct {
	r       io.Reader
	c       Codec[F]
	buf     []byte
	chunk   []byte
	Dropped int // bytes skipped as garbage or as parts of bad frames
}

// NewReader reads frames of codec c from r.
func NewReader[F any](r io.Reader, c Codec[F]) *Reader[F] {
	return &Reader[F]{r: r, c: c, chunk: make([]byte, 512)}
}

// Next returns the next valid frame; its slices are its own. Errors of the
// underlying reader are returned as they are, once the frames read before
// them have been returned.
func (r *Reader[F]) Next() (F, error) {
	for {
		if f, ok := r.scan(); ok {
			return f, nil
		}
		n, err := r.r.Read(r.chunk)
		r.buf = append(r.buf, r.chunk[:n]...)
		if err != nil && n == 0 {
			var zero F
			return zero, err
		}
	}
}

// Buffered reports how many undecoded bytes are waiting.
func (r *Reader[F]) Buffered() int { return len(r.buf) }

// scan looks for a complete frame in the buffer.
func (r *Reader[F]) scan() (F, bool) {
	var zero F
	for {
		i := r.c.Start(r.buf, 0)
		if i < 0 {
			r.drop(len(r.buf))
			return zero, false
		}
		r.drop(i)
		f, n, err := r.c.Decode(r.buf)
		switch {
		case err == nil:
			return r.take(f, 0, n), true
		case errors.Is(err, r.c.Incomplete):
			// A later frame that is complete and valid means this header was garbage.
			for j := r.c.Start(r.buf, 1); j >= 0; j = r.c.Start(r.buf, j+1) {
				if f, n, err := r.c.Decode(r.buf[j:]); err == nil {
					return r.take(f, j, n), true
				}
			}
			if len(r.buf) < 2*r.c.MaxLen {
				return zero, false
			}
			r.drop(1)
		default:
			r.drop(1)
		}
	}
}

// take copies f (which aliases the buffer at start) and removes it and the
// garbage before it from the buffer.
func (r *Reader[F]) take(f F, start, n int) F {
	f = r.c.Own(f)
	r.Dropped += start
	r.buf = append(r.buf[:0], r.buf[start+n:]...)
	return f
}

func (r *Reader[F]) drop(n int) {
	r.Dropped += n
	r.buf = append(r.buf[:0], r.buf[n:]...)
}
