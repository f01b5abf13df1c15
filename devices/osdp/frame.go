package osdp

import (
	"errors"
	"fmt"
)

// Wire constants.
const (
	Mark          = 0xFF
	SOM           = 0x53
	Broadcast     = 0x7F
	replyBit      = 0x80
	ctrlSeqMask   = 0x03
	ctrlCRC       = 0x04
	ctrlSCB       = 0x08
	headerLen     = 5 // SOM ADDR LEN_LO LEN_HI CTRL
	macLen        = 4
	MinFrameLen   = headerLen + 1 + 1 // header, code, checksum
	MaxFrameLen   = 1536              // LEN above this is refused before buffering
	maxSCBLen     = 18                // type byte, length byte and up to 16 data bytes
	scbHeaderSize = 2
)

// Errors returned by Decode. A stream reader treats ErrIncomplete as "wait for
// more bytes" and every other error as "skip this SOM and resynchronise".
var (
	ErrIncomplete  = errors.New("osdp: incomplete frame")
	ErrNoSOM       = errors.New("osdp: no start of message")
	ErrBadLength   = errors.New("osdp: bad length")
	ErrBadCRC      = errors.New("osdp: bad crc")
	ErrBadChecksum = errors.New("osdp: bad checksum")
	ErrBadSCB      = errors.New("osdp: bad security block")
	ErrBadAddress  = errors.New("osdp: bad address")
)

// SCB types (spec Annex D, Table 44).
const (
	SCS11 = 0x11 // CHLNG: CP → PD, begin session
	SCS12 = 0x12 // CCRYPT: PD → CP
	SCS13 = 0x13 // SCRYPT: CP → PD
	SCS14 = 0x14 // RMAC_I: PD → CP
	SCS15 = 0x15 // command, MAC, data not encrypted
	SCS16 = 0x16 // reply, MAC, data not encrypted
	SCS17 = 0x17 // command, MAC, data encrypted
	SCS18 = 0x18 // reply, MAC, data encrypted
)

// Frame is one OSDP packet, without the optional mark byte.
type Frame struct {
	Addr  byte   // PD address 0..0x7F, without the reply bit
	Reply bool   // set on PD → CP frames (address bit 7)
	Seq   byte   // 0..3
	CRC   bool   // CRC-16 (true) or 8-bit checksum (false)
	SCB   []byte // security control block without its length byte: type, data...; nil when absent
	Code  byte   // command or reply code
	Data  []byte // payload (ciphertext while the frame is sealed)
	MAC   []byte // 4 bytes when the SCB type carries a MAC, else nil
}

// SCBType is the security block type, or 0 when the frame has none.
func (f *Frame) SCBType() byte {
	if len(f.SCB) == 0 {
		return 0
	}
	return f.SCB[0]
}

func hasMAC(scbType byte) bool { return scbType >= SCS15 && scbType <= SCS18 }

// Len is the value of the LEN field: SOM through the last check byte.
func (f *Frame) Len() int {
	n := headerLen + 1 + len(f.Data)
	if f.SCB != nil {
		n += 1 + len(f.SCB)
	}
	if hasMAC(f.SCBType()) {
		n += macLen
	}
	if f.CRC {
		return n + 2
	}
	return n + 1
}

func (f *Frame) validate() error {
	switch {
	case f.Addr > Broadcast:
		return fmt.Errorf("%w: %#x", ErrBadAddress, f.Addr)
	case f.Seq > 3:
		return fmt.Errorf("osdp: sequence %d out of range", f.Seq)
	case f.SCB != nil && (len(f.SCB) == 0 || len(f.SCB)+1 > maxSCBLen):
		return fmt.Errorf("%w: %d bytes", ErrBadSCB, len(f.SCB))
	case hasMAC(f.SCBType()) && len(f.MAC) != macLen:
		return fmt.Errorf("%w: mac must be %d bytes", ErrBadSCB, macLen)
	case f.Len() > MaxFrameLen:
		return fmt.Errorf("%w: %d > %d", ErrBadLength, f.Len(), MaxFrameLen)
	}
	return nil
}

// AppendMACInput appends the bytes a MAC covers: SOM through the end of the
// data, with LEN already counting the MAC and check bytes.
func (f *Frame) AppendMACInput(dst []byte) []byte {
	addr := f.Addr
	if f.Reply {
		addr |= replyBit
	}
	ctrl := f.Seq & ctrlSeqMask
	if f.CRC {
		ctrl |= ctrlCRC
	}
	if f.SCB != nil {
		ctrl |= ctrlSCB
	}
	n := f.Len()
	dst = append(dst, SOM, addr, byte(n), byte(n>>8), ctrl)
	if f.SCB != nil {
		dst = append(dst, byte(len(f.SCB)+1))
		dst = append(dst, f.SCB...)
	}
	dst = append(dst, f.Code)
	return append(dst, f.Data...)
}

// AppendEncode appends the frame, mark byte first, to dst.
func AppendEncode(dst []byte, f Frame) ([]byte, error) {
	if err := f.validate(); err != nil {
		return dst, err
	}
	dst = append(dst, Mark)
	start := len(dst)
	dst = f.AppendMACInput(dst)
	if hasMAC(f.SCBType()) {
		dst = append(dst, f.MAC...)
	}
	if f.CRC {
		c := CRC16(dst[start:])
		return append(dst, byte(c), byte(c>>8)), nil
	}
	return append(dst, Checksum(dst[start:])), nil
}

// Decode parses one frame at the start of b (an optional mark byte, then SOM).
// It returns the frame and the number of bytes it used. Data, SCB and MAC
// alias b. ErrIncomplete means b holds the start of a frame but not all of it.
func Decode(b []byte) (Frame, int, error) {
	skip := 0
	if len(b) > 0 && b[0] == Mark {
		skip = 1
	}
	p := b[skip:]
	if len(p) == 0 {
		return Frame{}, 0, ErrIncomplete
	}
	if p[0] != SOM {
		return Frame{}, 0, ErrNoSOM
	}
	if len(p) < headerLen {
		return Frame{}, 0, ErrIncomplete
	}
	n := int(p[2]) | int(p[3])<<8
	ctrl := p[4]
	if n < MinFrameLen || n > MaxFrameLen {
		return Frame{}, 0, fmt.Errorf("%w: %d", ErrBadLength, n)
	}
	if len(p) < n {
		return Frame{}, 0, ErrIncomplete
	}
	p = p[:n]
	f := Frame{
		Addr:  p[1] &^ replyBit,
		Reply: p[1]&replyBit != 0,
		Seq:   ctrl & ctrlSeqMask,
		CRC:   ctrl&ctrlCRC != 0,
	}
	end := n - 1
	if f.CRC {
		end = n - 2
		got := uint16(p[n-2]) | uint16(p[n-1])<<8
		if want := CRC16(p[:end]); got != want {
			return Frame{}, 0, fmt.Errorf("%w: got %04x want %04x", ErrBadCRC, got, want)
		}
	} else if want := Checksum(p[:end]); p[end] != want {
		return Frame{}, 0, fmt.Errorf("%w: got %02x want %02x", ErrBadChecksum, p[end], want)
	}
	if ctrl&^(ctrlSeqMask|ctrlCRC|ctrlSCB) != 0 {
		return Frame{}, 0, fmt.Errorf("osdp: reserved control bits set: %#02x", ctrl)
	}
	i := headerLen
	if ctrl&ctrlSCB != 0 {
		if i >= end {
			return Frame{}, 0, fmt.Errorf("%w: missing", ErrBadSCB)
		}
		sl := int(p[i])
		if sl < scbHeaderSize || sl > maxSCBLen || i+sl >= end {
			return Frame{}, 0, fmt.Errorf("%w: length %d", ErrBadSCB, sl)
		}
		f.SCB = p[i+1 : i+sl]
		i += sl
	}
	if i >= end {
		return Frame{}, 0, fmt.Errorf("%w: no command code", ErrBadLength)
	}
	f.Code = p[i]
	i++
	dataEnd := end
	if hasMAC(f.SCBType()) {
		dataEnd -= macLen
		if dataEnd < i {
			return Frame{}, 0, fmt.Errorf("%w: too short for mac", ErrBadLength)
		}
		f.MAC = p[dataEnd:end]
	}
	f.Data = p[i:dataEnd]
	return f, skip + n, nil
}

// String describes a frame for logs without its payload.
func (f Frame) String() string {
	dir := "cmd"
	if f.Reply {
		dir = "reply"
	}
	s := fmt.Sprintf("%s %s addr=%d seq=%d len=%d", dir, CodeName(f.Code, f.Reply), f.Addr, f.Seq, len(f.Data))
	if t := f.SCBType(); t != 0 {
		s += fmt.Sprintf(" scb=%#02x", t)
	}
	return s
}
