package fpm

import (
	"io"

	"menwei/devices/framing"
)

// Reader finds packets in a byte stream. It skips garbage and packets with a
// bad checksum, and does not stall behind a corrupted header that claims a
// long length: a complete valid packet later in the buffer wins.
type Reader struct {
	*framing.Reader[Packet]
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{framing.NewReader(r, framing.Codec[Packet]{
		Start:      indexHeader,
		Decode:     Decode,
		Incomplete: ErrIncomplete,
		MaxLen:     MaxPacketLen,
		Own: func(p Packet) Packet {
			p.Data = append([]byte(nil), p.Data...)
			return p
		},
	})}
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
