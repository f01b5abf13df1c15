package controller

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"menwei/devices/wiegand"
)

// Card is a card credential in its stored form: "h10301:F:N" or "raw:BITS:HEX".
type Card struct{ key string }

func (c Card) String() string { return c.key }

// Hint is a masked form for events and screens: enough for a guard to tell
// cards apart, not enough to clone one.
func (c Card) Hint() string {
	i := strings.LastIndexByte(c.key, ':')
	tail := c.key[i+1:]
	if len(tail) > 2 {
		tail = tail[len(tail)-2:]
	}
	return c.key[:strings.IndexByte(c.key, ':')] + ":…" + tail
}

// CardFromBits decodes what a reader sent. A parity error is returned as
// wiegand.ErrParity: a bad read, not an unknown card.
func CardFromBits(bits int, data []byte) (Card, error) {
	c, err := wiegand.Decode(bits, data)
	if err != nil {
		return Card{}, err
	}
	return Card{c.Key()}, nil
}

// ParseCard reads a card as an installer writes it: "h10301:FAC:NUM",
// the short "FAC:NUM" for 26-bit H10301, or "raw:BITS:HEX".
func ParseCard(s string) (Card, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	bad := fmt.Errorf("card %q: want h10301:FACILITY:NUMBER, FACILITY:NUMBER or raw:BITS:HEX", s)
	if len(parts) == 2 {
		parts = append([]string{"h10301"}, parts...)
	}
	if len(parts) != 3 {
		return Card{}, bad
	}
	switch strings.ToLower(parts[0]) {
	case "h10301":
		fac, err1 := strconv.ParseUint(parts[1], 10, 8)
		num, err2 := strconv.ParseUint(parts[2], 10, 16)
		if err1 != nil || err2 != nil {
			return Card{}, fmt.Errorf("card %q: facility 0…255 and number 0…65535", s)
		}
		return CardFromBits(26, wiegand.EncodeH10301(uint8(fac), uint16(num)))
	case "raw":
		bits, err1 := strconv.Atoi(parts[1])
		data, err2 := hex.DecodeString(parts[2])
		if err1 != nil || err2 != nil {
			return Card{}, bad
		}
		c, err := CardFromBits(bits, data)
		if err != nil {
			return Card{}, fmt.Errorf("card %q: %w", s, err)
		}
		return c, nil
	}
	return Card{}, bad
}
