package wiegand

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
)

// Wiegand-to-serial converters send each read as a line of text. Three
// framings are common; which one a port uses is configuration:
//
//	hex-cr    the bits as one big-endian number in hex (⌈bits/4⌉ digits), then CR
//	dec-crlf  the bits as one number in decimal, then CR LF
//	stx-etx   STX, bit count (2 hex digits), the bits in hex, XOR of the
//	          preceding ASCII bytes (2 hex digits), ETX
//
// hex-cr and dec-crlf do not say how many bits were read: the port's
// configured bit count (Framer.Bits) is used, and a hex line with the wrong
// number of digits is a bad read.

// Framing names.
const (
	HexCR   = "hex-cr"
	DecCRLF = "dec-crlf"
	STXETX  = "stx-etx"
)

// Framing errors.
var (
	ErrIncomplete = errors.New("wiegand: incomplete message")
	ErrFrame      = errors.New("wiegand: malformed converter message")
	errNoise      = errors.New("wiegand: noise before STX") // skipped silently
)

// maxLine bounds a message: a 1024-bit read in decimal is 309 digits.
const maxLine = 400

// Framer encodes and decodes one converter framing.
type Framer struct {
	Framing string
	Bits    int // for hex-cr and dec-crlf: the bit count of the readers; 0 = 26
}

// Validate checks the framing name and bit count.
func (f Framer) Validate() error {
	switch f.Framing {
	case HexCR, DecCRLF, STXETX:
	default:
		return fmt.Errorf("wiegand: framing %q: %s, %s or %s", f.Framing, HexCR, DecCRLF, STXETX)
	}
	if f.Bits < 0 || f.Bits > 255 {
		return fmt.Errorf("wiegand: %d bits: 1…255", f.Bits)
	}
	return nil
}

func (f Framer) bits() int {
	if f.Bits == 0 {
		return 26
	}
	return f.Bits
}

// value turns left-aligned bits into an integer and back.
func value(bits int, data []byte) *big.Int {
	v := new(big.Int).SetBytes(data[:(bits+7)/8])
	return v.Rsh(v, uint((8-bits%8)%8))
}

func fromValue(bits int, v *big.Int) ([]byte, error) {
	if v.Sign() < 0 || v.BitLen() > bits {
		return nil, fmt.Errorf("%w: value does not fit %d bits", ErrFrame, bits)
	}
	w := new(big.Int).Lsh(v, uint((8-bits%8)%8))
	out := make([]byte, (bits+7)/8)
	return w.FillBytes(out), nil
}

func xorSum(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// Append encodes one read (as a converter would send it).
func (f Framer) Append(dst []byte, bits int, data []byte) []byte {
	v := value(bits, data)
	digits := (bits + 3) / 4
	switch f.Framing {
	case DecCRLF:
		return append(append(dst, v.String()...), '\r', '\n')
	case STXETX:
		body := fmt.Appendf(nil, "%02X%0*X", bits, digits, v)
		dst = append(append(dst, 0x02), body...)
		return append(fmt.Appendf(dst, "%02X", xorSum(body)), 0x03)
	}
	return append(fmt.Appendf(dst, "%0*X", digits, v), '\r')
}

// Decode reads one message at the start of b and returns the read and the
// bytes used. ErrIncomplete means wait for more; any other error means skip
// the returned number of bytes (the bad message) and go on.
func (f Framer) Decode(b []byte) (bits int, data []byte, n int, err error) {
	if f.Framing == STXETX {
		return f.decodeSTX(b)
	}
	end := bytes.IndexByte(b, '\r')
	if end < 0 {
		if len(b) > maxLine {
			return 0, nil, len(b), fmt.Errorf("%w: no end of line in %d bytes", ErrFrame, len(b))
		}
		return 0, nil, 0, ErrIncomplete
	}
	n = end + 1
	line := b[:end]
	if f.Framing == DecCRLF {
		if n >= len(b) {
			return 0, nil, 0, ErrIncomplete // wait for the LF
		}
		if b[n] != '\n' {
			return 0, nil, n, fmt.Errorf("%w: CR without LF", ErrFrame)
		}
		n++
	}
	line = bytes.TrimLeft(line, "\n") // a stray LF before a hex line
	bits = f.bits()
	base := 16
	if f.Framing == DecCRLF {
		base = 10
	} else if len(line) != (bits+3)/4 {
		return 0, nil, n, fmt.Errorf("%w: %d hex digits for %d bits", ErrFrame, len(line), bits)
	}
	v, ok := new(big.Int).SetString(string(line), base)
	if !ok || len(line) == 0 {
		return 0, nil, n, fmt.Errorf("%w: %q is not a number", ErrFrame, line)
	}
	data, err = fromValue(bits, v)
	return bits, data, n, err
}

func (f Framer) decodeSTX(b []byte) (int, []byte, int, error) {
	start := bytes.IndexByte(b, 0x02)
	if start < 0 {
		return 0, nil, len(b), errNoise
	}
	if start > 0 {
		return 0, nil, start, errNoise
	}
	end := bytes.IndexByte(b, 0x03)
	if end < 0 {
		if len(b) > maxLine {
			return 0, nil, 1, fmt.Errorf("%w: no ETX", ErrFrame)
		}
		return 0, nil, 0, ErrIncomplete
	}
	n := end + 1
	body := b[1:end]
	if len(body) < 6 {
		return 0, nil, n, fmt.Errorf("%w: %d bytes between STX and ETX", ErrFrame, len(body))
	}
	payload, sum := body[:len(body)-2], body[len(body)-2:]
	want, err := strconv.ParseUint(string(sum), 16, 8)
	if err != nil || byte(want) != xorSum(payload) {
		return 0, nil, n, fmt.Errorf("%w: bad checksum", ErrFrame)
	}
	bits, err := strconv.ParseUint(string(payload[:2]), 16, 8)
	if err != nil || bits == 0 || len(payload)-2 != (int(bits)+3)/4 {
		return 0, nil, n, fmt.Errorf("%w: bit count", ErrFrame)
	}
	v, ok := new(big.Int).SetString(string(payload[2:]), 16)
	if !ok {
		return 0, nil, n, fmt.Errorf("%w: not hex", ErrFrame)
	}
	data, err := fromValue(int(bits), v)
	return int(bits), data, n, err
}

// LineReader finds converter messages in a byte stream.
type LineReader struct {
	r     io.Reader
	f     Framer
	buf   []byte
	chunk [256]byte
}

// NewLineReader reads messages in framing f from r.
func NewLineReader(r io.Reader, f Framer) *LineReader { return &LineReader{r: r, f: f} }

// Next returns the next read. A malformed message is returned as an error
// wrapping ErrFrame (a bad read for the caller to record); the reader skips
// it and carries on. Errors of the underlying reader end the stream.
func (l *LineReader) Next() (bits int, data []byte, err error) {
	for {
		if len(l.buf) > 0 {
			bits, data, n, err := l.f.Decode(l.buf)
			if !errors.Is(err, ErrIncomplete) {
				l.buf = append(l.buf[:0], l.buf[n:]...)
				if errors.Is(err, errNoise) {
					continue
				}
				return bits, data, err
			}
		}
		n, rerr := l.r.Read(l.chunk[:])
		l.buf = append(l.buf, l.chunk[:n]...)
		if rerr != nil && n == 0 {
			return 0, nil, rerr
		}
	}
}
