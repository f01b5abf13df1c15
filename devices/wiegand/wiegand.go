// Package wiegand decodes the bit strings card readers send (over Wiegand
// wires, converters, or inside OSDP RAW replies) into card credentials.
//
// Bits arrive left-aligned, most significant first, as OSDP RAW carries them.
// 26-bit H10301 layout (HID):
//
//	bit  0      even parity over bits 1..12
//	bits 1..8   facility code (0..255)
//	bits 9..24  card number (0..65535)
//	bit  25     odd parity over bits 13..24
//
// Other lengths pass through as raw bits. More formats come with the
// fingerprint and Wiegand issue.
package wiegand

import (
	"errors"
	"fmt"
)

// ErrParity means the reader sent a bit string whose parity is wrong: a bad
// read, never a different card.
var ErrParity = errors.New("wiegand: parity error")

// Credential is a decoded card.
type Credential struct {
	Format   string // "h10301" or "raw"
	Facility uint32
	Number   uint64
	Bits     int
	Raw      []byte // left-aligned bits, unused trailing bits zero
}

// Key is the credential's stable identity: "h10301:F:N" or "raw:BITS:HEX".
func (c Credential) Key() string {
	if c.Format == "h10301" {
		return fmt.Sprintf("h10301:%d:%d", c.Facility, c.Number)
	}
	return fmt.Sprintf("raw:%d:%x", c.Bits, c.Raw)
}

func bit(data []byte, i int) uint64 { return uint64(data[i/8]>>(7-i%8)) & 1 }

func field(data []byte, from, n int) uint64 {
	var v uint64
	for i := from; i < from+n; i++ {
		v = v<<1 | bit(data, i)
	}
	return v
}

// Decode turns bits (left-aligned in data) into a credential.
func Decode(bits int, data []byte) (Credential, error) {
	if bits <= 0 || bits > 8*len(data) || bits > 1024 {
		return Credential{}, fmt.Errorf("wiegand: %d bits in %d bytes", bits, len(data))
	}
	raw := make([]byte, (bits+7)/8)
	copy(raw, data)
	if r := bits % 8; r != 0 {
		raw[len(raw)-1] &= 0xFF << (8 - r)
	}
	if bits == 26 {
		var even, odd uint64
		for i := 0; i < 13; i++ {
			even ^= bit(raw, i)
		}
		for i := 13; i < 26; i++ {
			odd ^= bit(raw, i)
		}
		if even != 0 || odd != 1 {
			return Credential{}, fmt.Errorf("%w (26-bit H10301)", ErrParity)
		}
		return Credential{Format: "h10301", Facility: uint32(field(raw, 1, 8)), Number: field(raw, 9, 16), Bits: 26, Raw: raw}, nil
	}
	return Credential{Format: "raw", Bits: bits, Raw: raw}, nil
}

// EncodeH10301 builds the 26 bits (left-aligned in 4 bytes) for a card.
func EncodeH10301(facility uint8, number uint16) []byte {
	v := uint32(facility)<<17 | uint32(number)<<1 // bits 1..24 of 26
	var even, odd uint32
	for i := 13; i <= 24; i++ { // bits 1..12 from the left = positions 24..13 from the right
		even ^= v >> i & 1
	}
	for i := 1; i <= 12; i++ {
		odd ^= v >> i & 1
	}
	v |= even << 25
	v |= odd ^ 1
	v <<= 6 // left-align 26 bits in 32
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}
