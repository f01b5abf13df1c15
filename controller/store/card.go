package store

import (
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

// ParseCard reads a card as an installer writes it: a format and its
// fields ("h10301:1:1234", "c1000:1234:567890", "h10302:12345678901"…),
// the short "FAC:NUM" for 26-bit H10301, or "raw:BITS:HEX".
func ParseCard(s string) (Card, error) {
	s = strings.TrimSpace(s)
	if parts := strings.Split(s, ":"); len(parts) == 2 {
		if _, err := strconv.ParseUint(parts[0], 10, 64); err == nil {
			s = "h10301:" + s
		}
	}
	bits, data, err := wiegand.ParseKey(s)
	if err != nil {
		return Card{}, fmt.Errorf("card %q: %w", s, err)
	}
	c, err := CardFromBits(bits, data)
	if err != nil {
		return Card{}, fmt.Errorf("card %q: %w", s, err)
	}
	return c, nil
}
