package osdppd

import (
	"errors"
	"io"

	"menwei/devices/framing"
	"menwei/devices/osdp"
)

// The PD's receiver. It takes every frame osdp.Decode takes, and one more:
// a command whose security block says it carries a MAC (SCS_15..SCS_18) but
// that is too short to hold one, such as a control panel's first POLL marked
// SCS_15 before any session exists:
//
//	53 ADDR LEN_LO LEN_HI CTRL|08  02 15  60  CRC_LO CRC_HI
//
// osdp.Decode refuses it (the four MAC bytes would overlap the code), so a
// reader built on it alone drops the frame and the PD stays silent. A real PD
// checks the security block before it looks for a MAC and answers NAK 6
// when no session is open (libosdp, src/osdp_phy.c: SC inactive and an SCB
// type above SCS_14), which is how a CP learns it must set the secure
// channel up. So the frame is handed to the PD with its security block and
// no MAC, and unwrap answers it: NAK 5 from a PD that cannot open a secure
// channel, else NAK 6 (and the end of any session, as for a bad MAC).
//
// Everything else keeps the reader's rules, which are the real PD's: a bad
// CRC or checksum is dropped without an answer (there is no trustworthy
// address to answer from), as is a frame with the reply bit set.

// newCommandReader returns the reader Serve takes commands from.
func newCommandReader(r io.Reader) *framing.Reader[osdp.Frame] {
	return framing.NewReader(r, framing.Codec[osdp.Frame]{
		Start: func(b []byte, from int) int {
			for i := from; i < len(b); i++ {
				if b[i] == osdp.SOM {
					return i
				}
			}
			return -1
		},
		Decode:     decodeCommand,
		Incomplete: osdp.ErrIncomplete,
		MaxLen:     osdp.MaxFrameLen,
		Own: func(f osdp.Frame) osdp.Frame {
			f.SCB, f.Data, f.MAC = own(f.SCB), own(f.Data), own(f.MAC)
			return f
		},
	})
}

func own(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// decodeCommand is osdp.Decode, except that a frame with a MAC-carrying
// security block too short for its MAC is returned with MAC nil.
func decodeCommand(b []byte) (osdp.Frame, int, error) {
	f, n, err := osdp.Decode(b)
	if err == nil || !errors.Is(err, osdp.ErrBadLength) {
		return f, n, err
	}
	if g, m, ok := decodeWithoutMAC(b); ok {
		return g, m, nil
	}
	return f, n, err
}

// Frame layout offsets and control bits (spec §5.6), as osdp.Decode reads them.
const (
	ctrlSeqMask = 0x03
	ctrlCRC     = 0x04
	ctrlSCB     = 0x08
	headerLen   = 5 // SOM ADDR LEN_LO LEN_HI CTRL
	macLen      = 4
	maxSCBLen   = 18 // length byte, type byte and up to 16 data bytes
)

// decodeWithoutMAC reads the one frame shape decodeCommand adds. Every
// length is checked before it is used; the check characters are verified
// as osdp.Decode does. It reports false for anything else.
func decodeWithoutMAC(b []byte) (osdp.Frame, int, bool) {
	skip := 0
	if len(b) > 0 && b[0] == osdp.Mark {
		skip = 1
	}
	p := b[skip:]
	if len(p) < headerLen || p[0] != osdp.SOM {
		return osdp.Frame{}, 0, false
	}
	n := int(p[2]) | int(p[3])<<8
	ctrl := p[4]
	if n < osdp.MinFrameLen || n > osdp.MaxFrameLen || len(p) < n {
		return osdp.Frame{}, 0, false
	}
	if ctrl&^(ctrlSeqMask|ctrlCRC|ctrlSCB) != 0 || ctrl&ctrlSCB == 0 {
		return osdp.Frame{}, 0, false
	}
	p = p[:n]
	end := n - 1
	if ctrl&ctrlCRC != 0 {
		end = n - 2
		if uint16(p[n-2])|uint16(p[n-1])<<8 != osdp.CRC16(p[:end]) {
			return osdp.Frame{}, 0, false
		}
	} else if p[end] != osdp.Checksum(p[:end]) {
		return osdp.Frame{}, 0, false
	}
	sl := int(p[headerLen])
	codeAt := headerLen + sl
	if sl < 2 || sl > maxSCBLen || codeAt >= end {
		return osdp.Frame{}, 0, false
	}
	scb := p[headerLen+1 : codeAt]
	if t := scb[0]; t < osdp.SCS15 || t > osdp.SCS18 {
		return osdp.Frame{}, 0, false
	}
	data := p[codeAt+1 : end]
	if len(data) >= macLen { // room for a MAC: osdp.Decode's frame, not this one
		return osdp.Frame{}, 0, false
	}
	return osdp.Frame{
		Addr:  p[1] &^ 0x80,
		Reply: p[1]&0x80 != 0,
		Seq:   ctrl & ctrlSeqMask,
		CRC:   ctrl&ctrlCRC != 0,
		SCB:   scb,
		Code:  p[codeAt],
		Data:  data,
	}, skip + n, true
}
