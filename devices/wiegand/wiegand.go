// Package wiegand decodes the bit strings card readers send (over Wiegand
// wires, through Wiegand-to-serial converters, or inside OSDP RAW replies)
// into card credentials, with parity checks. Formats are tables: where the
// fields sit and which bits each parity bit covers.
//
// Bits are numbered from 0 at the first bit sent, as OSDP RAW carries them
// (left-aligned, most significant first). The formats (HID documentation):
//
//	h10301 26  P0 even 1-12 │ facility 1-8 (8) │ number 9-24 (16) │ P25 odd 13-24
//	h10306 34  P0 even 1-16 │ facility 1-16 (16) │ number 17-32 (16) │ P33 odd 17-32
//	c1000  35  P0 odd 1-34 │ P1 even (2,3,5,6,…) │ company 2-13 (12) │ number 14-33 (20) │ P34 odd (1,2,4,5,…)
//	h10302 37  P0 even 1-18 │ number 1-35 (35) │ P36 odd 18-35
//	h10304 37  P0 even 1-18 │ facility 1-16 (16) │ number 17-35 (19) │ P36 odd 18-35
//
// Other lengths pass through as raw bits. A parity error is a bad read,
// never a different card.
package wiegand

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ErrParity means the bits fail a parity check.
var ErrParity = errors.New("wiegand: parity error")

// Parity is one parity bit: Pos holds the parity (odd or even) of Over.
type Parity struct {
	Pos  int
	Odd  bool
	Over []int
}

// Format is a table describing one Wiegand format.
type Format struct {
	Name     string
	Bits     int
	Facility [2]int // start, length; length 0 = no facility field
	Number   [2]int
	Parity   []Parity // checked in order; Encode sets them in order too
}

func span(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func every(from, to int, keep func(int) bool) []int {
	var out []int
	for i := from; i <= to; i++ {
		if keep(i) {
			out = append(out, i)
		}
	}
	return out
}

// The known formats.
var (
	H10301 = Format{Name: "h10301", Bits: 26, Facility: [2]int{1, 8}, Number: [2]int{9, 16},
		Parity: []Parity{{0, false, span(1, 12)}, {25, true, span(13, 24)}}}
	H10306 = Format{Name: "h10306", Bits: 34, Facility: [2]int{1, 16}, Number: [2]int{17, 16},
		Parity: []Parity{{0, false, span(1, 16)}, {33, true, span(17, 32)}}}
	Corporate1000 = Format{Name: "c1000", Bits: 35, Facility: [2]int{2, 12}, Number: [2]int{14, 20},
		Parity: []Parity{
			{1, false, every(2, 33, func(i int) bool { return i%3 != 1 })}, // bits 3,4,6,7,… in 1-based numbering
			{34, true, every(1, 33, func(i int) bool { return i%3 != 0 })}, // bits 2,3,5,6,…
			{0, true, span(1, 34)},
		}}
	H10302 = Format{Name: "h10302", Bits: 37, Number: [2]int{1, 35},
		Parity: []Parity{{0, false, span(1, 18)}, {36, true, span(18, 35)}}}
	H10304 = Format{Name: "h10304", Bits: 37, Facility: [2]int{1, 16}, Number: [2]int{17, 19},
		Parity: []Parity{{0, false, span(1, 18)}, {36, true, span(18, 35)}}}
)

// Formats chooses a format by bit length. The zero value is Default.
type Formats map[int]Format

// Default reads 26, 34, 35 and 37 bits; 37 as H10304. H10302 and H10304
// cards share the length: decoding both with one table keeps keys
// comparable, a card entered as "h10302:N" is kept under the H10304 key of
// its bits.
var Default = Formats{26: H10301, 34: H10306, 35: Corporate1000, 37: H10304}

// ByName finds a format.
func ByName(name string) (Format, bool) {
	for _, f := range []Format{H10301, H10306, Corporate1000, H10302, H10304} {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// Names lists the known format names.
func Names() []string {
	n := []string{H10301.Name, H10306.Name, Corporate1000.Name, H10302.Name, H10304.Name}
	sort.Strings(n)
	return n
}

// Credential is a decoded card.
type Credential struct {
	Format   string // a Format name, or "raw"
	Facility uint64
	Number   uint64
	Bits     int
	Raw      []byte // left-aligned bits, unused trailing bits zero
}

// Key is the credential's stable identity: "h10301:F:N", "h10302:N",
// "raw:BITS:HEX" and so on.
func (c Credential) Key() string {
	switch {
	case c.Format == "raw":
		return fmt.Sprintf("raw:%d:%x", c.Bits, c.Raw)
	case c.Format == H10302.Name:
		return fmt.Sprintf("%s:%d", c.Format, c.Number)
	}
	return fmt.Sprintf("%s:%d:%d", c.Format, c.Facility, c.Number)
}

func bit(data []byte, i int) uint64 { return uint64(data[i/8]>>(7-i%8)) & 1 }

func setBit(data []byte, i int, v uint64) {
	if v&1 == 1 {
		data[i/8] |= 0x80 >> (i % 8)
	} else {
		data[i/8] &^= 0x80 >> (i % 8)
	}
}

func field(data []byte, f [2]int) uint64 {
	var v uint64
	for i := f[0]; i < f[0]+f[1]; i++ {
		v = v<<1 | bit(data, i)
	}
	return v
}

func putField(data []byte, f [2]int, v uint64) {
	for i := f[1] - 1; i >= 0; i-- {
		setBit(data, f[0]+i, v)
		v >>= 1
	}
}

func (p Parity) ok(data []byte) bool {
	sum := bit(data, p.Pos)
	for _, i := range p.Over {
		sum ^= bit(data, i)
	}
	return (sum == 1) == p.Odd
}

// Decode turns bits (left-aligned in data) into a credential, with the
// format the length calls for in fs (nil = Default), or raw.
func (fs Formats) Decode(bits int, data []byte) (Credential, error) {
	if bits <= 0 || bits > 8*len(data) || bits > 1024 {
		return Credential{}, fmt.Errorf("wiegand: %d bits in %d bytes", bits, len(data))
	}
	if fs == nil {
		fs = Default
	}
	raw := make([]byte, (bits+7)/8)
	copy(raw, data)
	if r := bits % 8; r != 0 {
		raw[len(raw)-1] &= 0xFF << (8 - r)
	}
	f, ok := fs[bits]
	if !ok {
		return Credential{Format: "raw", Bits: bits, Raw: raw}, nil
	}
	for _, p := range f.Parity {
		if !p.ok(raw) {
			return Credential{}, fmt.Errorf("%w (%s, bit %d)", ErrParity, f.Name, p.Pos)
		}
	}
	c := Credential{Format: f.Name, Number: field(raw, f.Number), Bits: bits, Raw: raw}
	if f.Facility[1] > 0 {
		c.Facility = field(raw, f.Facility)
	}
	return c, nil
}

// Decode decodes with the Default formats.
func Decode(bits int, data []byte) (Credential, error) { return Default.Decode(bits, data) }

// Encode builds the bits of a card (left-aligned) with correct parity.
func (f Format) Encode(facility, number uint64) ([]byte, error) {
	if f.Facility[1] == 0 && facility != 0 {
		return nil, fmt.Errorf("wiegand: %s has no facility code", f.Name)
	}
	if facility >= 1<<f.Facility[1] || number >= 1<<f.Number[1] {
		return nil, fmt.Errorf("wiegand: %s: facility %d or number %d too large", f.Name, facility, number)
	}
	data := make([]byte, (f.Bits+7)/8)
	if f.Facility[1] > 0 {
		putField(data, f.Facility, facility)
	}
	putField(data, f.Number, number)
	for _, p := range f.Parity {
		setBit(data, p.Pos, 0)
		if !p.ok(data) {
			setBit(data, p.Pos, 1)
		}
	}
	return data, nil
}

// EncodeH10301 builds the 26 bits (left-aligned in 4 bytes) for a card.
func EncodeH10301(facility uint8, number uint16) []byte {
	b, _ := H10301.Encode(uint64(facility), uint64(number)) // in range by type
	return b
}

// ParseKey reads a credential key back ("h10301:1:1234", "h10302:99",
// "raw:40:0102030405") into the bits it stands for.
func ParseKey(key string) (bits int, data []byte, err error) {
	parts := strings.Split(key, ":")
	name := strings.ToLower(parts[0])
	if name == "raw" {
		if len(parts) != 3 {
			return 0, nil, fmt.Errorf("wiegand: %q: want raw:BITS:HEX", key)
		}
		b, err := strconv.Atoi(parts[1])
		if err != nil || b <= 0 {
			return 0, nil, fmt.Errorf("wiegand: %q: bits", key)
		}
		hexData, err := hex.DecodeString(parts[2])
		if err != nil || (b+7)/8 != len(hexData) {
			return 0, nil, fmt.Errorf("wiegand: %q: %d bits need %d bytes of hex", key, b, (b+7)/8)
		}
		return b, hexData, nil
	}
	f, ok := ByName(name)
	if !ok {
		return 0, nil, fmt.Errorf("wiegand: %q: unknown format (known: %s, raw)", key, strings.Join(Names(), ", "))
	}
	var fac, num uint64
	switch {
	// Whole decimal numbers only: "4444x" must not read as card 4444.
	case f.Facility[1] == 0 && len(parts) == 2:
		num, err = strconv.ParseUint(parts[1], 10, 64)
	case f.Facility[1] > 0 && len(parts) == 3:
		if fac, err = strconv.ParseUint(parts[1], 10, 64); err == nil {
			num, err = strconv.ParseUint(parts[2], 10, 64)
		}
	default:
		err = errors.New("wrong number of fields")
	}
	if err != nil {
		return 0, nil, fmt.Errorf("wiegand: %q: %v", key, err)
	}
	data, err = f.Encode(fac, num)
	return f.Bits, data, err
}
