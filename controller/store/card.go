package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"menwei/devices/cardnum"
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

// ParseCardAs reads a card number written in an installer's form (package
// cardnum: the printed 10 digits "8h10d", "w26" facility,card, "hex") and
// keeps it under the key of the frame the estate's readers send: bits is
// 26 or 34. Errors say what the form looks like, never echo the number.
func ParseCardAs(s string, form cardnum.Form, bits int) (Card, error) {
	n, err := cardnum.Parse(s, form)
	if err != nil {
		var pe *cardnum.ParseError
		if errors.As(err, &pe) {
			return Card{}, fmt.Errorf("card: %s", pe.Want)
		}
		return Card{}, fmt.Errorf("format: %w", err)
	}
	key, err := n.Key(bits)
	switch {
	case errors.Is(err, cardnum.ErrTopBits):
		return Card{}, errors.New("bits: a W26 number (facility,card) fits a 26-bit reader only; enter the 10 digits or the hex for a 34-bit one")
	case err != nil:
		return Card{}, errors.New("bits: 26 or 34")
	}
	return ParseCard(key)
}

// Number is the card number a 26- or 34-bit card's frame carries; ok is
// false for other formats.
func (c Card) Number() (n cardnum.Number, ok bool) {
	bits, data, err := wiegand.ParseKey(c.key)
	if err != nil {
		return cardnum.Number{}, false
	}
	w, err := wiegand.Decode(bits, data)
	if err != nil {
		return cardnum.Number{}, false
	}
	return cardnum.FromFrame(w)
}

// Forms is the card in the forms an installer knows (package cardnum); all
// empty for a format other than 26 or 34 bits.
func (c Card) Forms() cardnum.Forms {
	n, ok := c.Number()
	if !ok {
		return cardnum.Forms{}
	}
	return n.All()
}

// Bits is the length of the card's frame.
func (c Card) Bits() int {
	bits, _, err := wiegand.ParseKey(c.key)
	if err != nil {
		return 0
	}
	return bits
}

// Ref is a short stable reference to the card (events carry it as
// card_ref): pages name a card by it, so a card's number need not travel
// in a request to blacklist or remove it. It is not a secret: a 26-bit
// card's number can be found from it by trying every number.
func (c Card) Ref() string {
	h := sha256.Sum256([]byte("menwei card\x00" + c.key))
	return hex.EncodeToString(h[:6])
}
