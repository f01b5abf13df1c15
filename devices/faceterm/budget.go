package faceterm

import "time"

// What a capture costs on an RS-485 line. A JPEG capture travels as one
// MFGREP per fragment, each asked for by a POLL; at 9600 baud a 1,000-byte
// fragment is a 1,038-byte sealed frame that takes 1.08 s on the wire, so
// the line rate, not the terminal, decides how large a capture can be.
const (
	// DefaultFragment is the JPEG bytes per MFGREP a terminal sends.
	DefaultFragment = 1000
	// FragmentOverhead is the bytes on the wire per fragment besides its
	// JPEG bytes: the sealed reply's framing (mark, header, security block,
	// code, vendor code, this package's 16-byte header, up to 16 bytes of
	// padding, MAC, CRC: 54) and the sealed POLL that asks for it (15).
	FragmentOverhead = 69
	// DescriptorWireBytes is a descriptor capture on the wire: one sealed
	// MFGREP of 3+8+512 bytes of data and the POLL before it.
	DescriptorWireBytes = 600
	// ReassemblyWindow is how long a JPEG capture may take from its first
	// fragment to its last (Reassembler's default).
	ReassemblyWindow = 10 * time.Second
	// LineShare is the part of the window a capture may use on the wire:
	// the rest is left for the other PDs' polls and commands on the line.
	LineShare = 0.8
)

// WireTime is how long a JPEG capture of size bytes, cut into fragments of
// frag bytes (0 = DefaultFragment), takes on a line at baud (8N1).
func WireTime(size, frag, baud int) time.Duration {
	if frag <= 0 {
		frag = DefaultFragment
	}
	n := (size + frag - 1) / frag
	return time.Duration(size+n*FragmentOverhead) * 10 * time.Second / time.Duration(baud)
}

// MaxCapture is the largest JPEG capture a line at baud carries within the
// reassembly window's LineShare, in fragments of DefaultFragment bytes.
func MaxCapture(baud int) int {
	budget := float64(ReassemblyWindow) * LineShare
	lo, hi := 0, 1<<24
	for lo < hi { // the largest size whose WireTime fits
		mid := (lo + hi + 1) / 2
		if float64(WireTime(mid, 0, baud)) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}
