package fpm

import (
	"errors"
	"fmt"
)

// Wire constants.
const (
	Header0     = 0xEF
	Header1     = 0x01
	DefaultAddr = 0xFFFFFFFF // a module's address from the factory

	headerLen = 9 // EF 01, address, PID, LEN
	sumLen    = 2

	// MaxContents is the most contents a packet may carry: the largest data
	// packet size a module can be set to.
	MaxContents = 256
	// MaxPacketLen is the longest packet on the wire.
	MaxPacketLen = headerLen + MaxContents + sumLen
)

// Packet identifiers.
const (
	PIDCommand  byte = 0x01 // host → module
	PIDData     byte = 0x02 // data, more packets follow
	PIDAck      byte = 0x07 // module → host
	PIDDataLast byte = 0x08 // the last data packet of a transfer
)

// Errors returned by Decode. A stream reader treats ErrIncomplete as "wait for
// more bytes" and every other error as "skip this header and resynchronise".
var (
	ErrIncomplete  = errors.New("fpm: incomplete packet")
	ErrBadHeader   = errors.New("fpm: bad header")
	ErrBadPID      = errors.New("fpm: bad packet identifier")
	ErrBadLength   = errors.New("fpm: bad length")
	ErrBadChecksum = errors.New("fpm: bad checksum")
)

// Packet is one packet. Data is its contents: instruction and parameters,
// confirmation code and parameters, or a slice of a data transfer.
type Packet struct {
	Addr uint32
	PID  byte
	Data []byte
}

func validPID(pid byte) bool {
	switch pid {
	case PIDCommand, PIDData, PIDAck, PIDDataLast:
		return true
	}
	return false
}

// IsData reports whether p is a data packet (PIDData or PIDDataLast).
func (p Packet) IsData() bool { return p.PID == PIDData || p.PID == PIDDataLast }

// String describes a packet for logs without its contents.
func (p Packet) String() string {
	switch p.PID {
	case PIDCommand:
		if len(p.Data) > 0 {
			return fmt.Sprintf("command %v addr=%08x len=%d", Instruction(p.Data[0]), p.Addr, len(p.Data))
		}
	case PIDAck:
		if len(p.Data) > 0 {
			return fmt.Sprintf("ack %v addr=%08x len=%d", Code(p.Data[0]), p.Addr, len(p.Data))
		}
	case PIDData:
		return fmt.Sprintf("data addr=%08x len=%d", p.Addr, len(p.Data))
	case PIDDataLast:
		return fmt.Sprintf("last data addr=%08x len=%d", p.Addr, len(p.Data))
	}
	return fmt.Sprintf("packet pid=%#02x addr=%08x len=%d", p.PID, p.Addr, len(p.Data))
}

// Checksum is the packet checksum over the identifier, the length field and
// contents: their byte sum modulo 2^16.
func Checksum(pid byte, contents []byte) uint16 {
	n := len(contents) + sumLen
	s := uint16(pid) + uint16(byte(n>>8)) + uint16(byte(n))
	for _, b := range contents {
		s += uint16(b)
	}
	return s
}

// AppendEncode appends the packet to dst. It refuses an unknown identifier
// and contents that are empty or longer than MaxContents.
func AppendEncode(dst []byte, p Packet) ([]byte, error) {
	switch {
	case !validPID(p.PID):
		return dst, fmt.Errorf("%w: %#02x", ErrBadPID, p.PID)
	case len(p.Data) == 0 || len(p.Data) > MaxContents:
		return dst, fmt.Errorf("%w: %d bytes of contents", ErrBadLength, len(p.Data))
	}
	n := len(p.Data) + sumLen
	dst = append(dst, Header0, Header1,
		byte(p.Addr>>24), byte(p.Addr>>16), byte(p.Addr>>8), byte(p.Addr),
		p.PID, byte(n>>8), byte(n))
	dst = append(dst, p.Data...)
	s := Checksum(p.PID, p.Data)
	return append(dst, byte(s>>8), byte(s)), nil
}

// Decode parses one packet at the start of b and returns it with the number
// of bytes it used. Data aliases b. ErrIncomplete means b holds the start of
// a packet but not all of it; any other error means b does not start with a
// packet.
func Decode(b []byte) (Packet, int, error) {
	if len(b) == 0 {
		return Packet{}, 0, ErrIncomplete
	}
	if b[0] != Header0 || (len(b) > 1 && b[1] != Header1) {
		return Packet{}, 0, ErrBadHeader
	}
	if len(b) < headerLen {
		return Packet{}, 0, ErrIncomplete
	}
	pid := b[6]
	if !validPID(pid) {
		return Packet{}, 0, fmt.Errorf("%w: %#02x", ErrBadPID, pid)
	}
	n := int(b[7])<<8 | int(b[8])
	if n < sumLen+1 || n > MaxContents+sumLen {
		return Packet{}, 0, fmt.Errorf("%w: %d", ErrBadLength, n)
	}
	total := headerLen + n
	if len(b) < total {
		return Packet{}, 0, ErrIncomplete
	}
	contents := b[headerLen : total-sumLen]
	got := uint16(b[total-2])<<8 | uint16(b[total-1])
	if want := Checksum(pid, contents); got != want {
		return Packet{}, 0, fmt.Errorf("%w: got %04x want %04x", ErrBadChecksum, got, want)
	}
	p := Packet{
		Addr: uint32(b[2])<<24 | uint32(b[3])<<16 | uint32(b[4])<<8 | uint32(b[5]),
		PID:  pid,
		Data: contents,
	}
	return p, total, nil
}
