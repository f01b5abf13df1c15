// Package faceterm is the wire layout of menwei's face terminals: OSDP PDs
// that send face captures to the control panel in manufacturer replies
// (osdp_MFGREP) and take enrolled templates for 1:1 matching (osdp_BIOMATCH).
// The layout is documented in docs/face-terminal.md; this package is its
// only implementation. It is pure: no I/O, no clock.
//
// MFGREP data, after the 3-byte vendor code 02 4D 57 ("MW", locally
// administered):
//
//	+------+---------+------------+--------+----------+---------+-------+------------------+
//	| type | version | capture id | reader | liveness | quality | flags | body             |
//	| 1    | 1 (=1)  | 2, LE      | 1      | 1        | 1       | 1     | by type          |
//	+------+---------+------------+--------+----------+---------+-------+------------------+
//
//	type 0x01 descriptor: body = 128 × float32 LE (dlib face descriptor), 512 bytes
//	type 0x02 jpeg fragment: body = total size (uint32 LE), offset (uint32 LE), bytes
//	liveness 0…100, 255 = not measured; quality 0…100; flags bit 0 = solicited (BIOREAD)
package faceterm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// VendorCode marks menwei face messages in MFG/MFGREP.
var VendorCode = [3]byte{0x02, 0x4D, 0x57}

// Message types.
const (
	TypeDescriptor = 0x01
	TypeJPEG       = 0x02
)

// Version of the layout.
const Version = 1

// BIOREAD/BIOMATCH format code for a dlib descriptor template (vendor range).
const FormatDescriptor = 0x80

// LivenessUnknown is the liveness byte of a terminal that did not measure it.
const LivenessUnknown = 255

const headerLen = 8

// Errors.
var (
	ErrShort   = errors.New("faceterm: message too short")
	ErrType    = errors.New("faceterm: unknown message type")
	ErrVersion = errors.New("faceterm: unsupported version")
	ErrValue   = errors.New("faceterm: value out of range")
)

// Capture is what every face message says about the capture it belongs to.
type Capture struct {
	ID        uint16
	Reader    byte
	Liveness  byte // 0…100, LivenessUnknown
	Quality   byte // 0…100
	Solicited bool // answers a BIOREAD
}

// Descriptor is a capture sent as a 128-d descriptor.
type Descriptor struct {
	Capture
	Vector [128]float32
}

// Fragment is one piece of a capture sent as a JPEG.
type Fragment struct {
	Capture
	Total  uint32
	Offset uint32
	Data   []byte
}

func appendHeader(dst []byte, t byte, c Capture) []byte {
	flags := byte(0)
	if c.Solicited {
		flags |= 1
	}
	dst = append(dst, t, Version)
	dst = binary.LittleEndian.AppendUint16(dst, c.ID)
	return append(dst, c.Reader, c.Liveness, c.Quality, flags)
}

// AppendDescriptor encodes a descriptor message (without the vendor code).
func AppendDescriptor(dst []byte, d Descriptor) []byte {
	dst = appendHeader(dst, TypeDescriptor, d.Capture)
	for _, f := range d.Vector {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
	}
	return dst
}

// AppendFragment encodes a JPEG fragment message (without the vendor code).
func AppendFragment(dst []byte, f Fragment) []byte {
	dst = appendHeader(dst, TypeJPEG, f.Capture)
	dst = binary.LittleEndian.AppendUint32(dst, f.Total)
	dst = binary.LittleEndian.AppendUint32(dst, f.Offset)
	return append(dst, f.Data...)
}

// Split cuts a JPEG into fragments of at most size bytes each.
func Split(c Capture, jpeg []byte, size int) []Fragment {
	var out []Fragment
	for off := 0; off < len(jpeg); off += size {
		end := min(off+size, len(jpeg))
		out = append(out, Fragment{Capture: c, Total: uint32(len(jpeg)), Offset: uint32(off), Data: jpeg[off:end]})
	}
	return out
}

// Decode reads a message (the MFGREP data after the vendor code): a
// Descriptor or a Fragment. Fragment.Data aliases b.
func Decode(b []byte) (any, error) {
	if len(b) < headerLen {
		return nil, fmt.Errorf("%w: %d bytes", ErrShort, len(b))
	}
	if b[1] != Version {
		return nil, fmt.Errorf("%w: %d", ErrVersion, b[1])
	}
	c := Capture{ID: binary.LittleEndian.Uint16(b[2:]), Reader: b[4], Liveness: b[5], Quality: b[6], Solicited: b[7]&1 != 0}
	if (c.Liveness > 100 && c.Liveness != LivenessUnknown) || c.Quality > 100 || b[7]&^1 != 0 {
		return nil, fmt.Errorf("%w: liveness %d quality %d flags %#x", ErrValue, c.Liveness, c.Quality, b[7])
	}
	body := b[headerLen:]
	switch b[0] {
	case TypeDescriptor:
		if len(body) != 512 {
			return nil, fmt.Errorf("%w: descriptor body %d bytes, want 512", ErrShort, len(body))
		}
		d := Descriptor{Capture: c}
		for i := range d.Vector {
			v := math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v > 16 || v < -16 {
				return nil, fmt.Errorf("%w: descriptor element %d is %v", ErrValue, i, v)
			}
			d.Vector[i] = v
		}
		return d, nil
	case TypeJPEG:
		if len(body) < 8 {
			return nil, fmt.Errorf("%w: fragment header", ErrShort)
		}
		f := Fragment{Capture: c, Total: binary.LittleEndian.Uint32(body), Offset: binary.LittleEndian.Uint32(body[4:]), Data: body[8:]}
		if len(f.Data) == 0 || uint64(f.Offset)+uint64(len(f.Data)) > uint64(f.Total) {
			return nil, fmt.Errorf("%w: fragment %d+%d of %d", ErrValue, f.Offset, len(f.Data), f.Total)
		}
		return f, nil
	}
	return nil, fmt.Errorf("%w: %#x", ErrType, b[0])
}

// AppendTemplate encodes a descriptor as a BIOMATCH template (FormatDescriptor).
func AppendTemplate(dst []byte, v [128]float32) []byte {
	for _, f := range v {
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(f))
	}
	return dst
}

// ParseTemplate reads a FormatDescriptor template.
func ParseTemplate(b []byte) ([128]float32, error) {
	var v [128]float32
	if len(b) != 512 {
		return v, fmt.Errorf("%w: template %d bytes, want 512", ErrShort, len(b))
	}
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// Score maps a descriptor distance to the BIOMATCHR score byte: 255 at
// distance 0, falling linearly to 0 at distance 1.
func Score(distance float32) byte {
	s := 255 * (1 - distance)
	return byte(max(0, min(255, s)))
}
