package osdp

import (
	"io"

	"menwei/devices/framing"
)

// Reader finds frames in a byte stream. It skips garbage and frames with bad
// check characters, and does not stall behind a corrupted header that claims
// a long length: a complete valid frame later in the buffer wins.
type Reader struct {
	*framing.Reader[Frame]
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	return &Reader{framing.NewReader(r, framing.Codec[Frame]{
		Start:      indexSOM,
		Decode:     Decode,
		Incomplete: ErrIncomplete,
		MaxLen:     MaxFrameLen,
		Own: func(f Frame) Frame {
			f.SCB, f.Data, f.MAC = own(f.SCB), own(f.Data), own(f.MAC)
			return f
		},
	})}
}

func own(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func indexSOM(b []byte, from int) int {
	for i := from; i < len(b); i++ {
		if b[i] == SOM {
			return i
		}
	}
	return -1
}
