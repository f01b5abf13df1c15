package cardnum

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"menwei/devices/wiegand"
)

// Form names a way of writing a card number.
type Form string

// The forms.
const (
	Dec10 Form = "8h10d" // ten decimal digits of the 32-bit UID
	W26   Form = "w26"   // "FFF,NNNNN": facility (bits 16-23), card (bits 0-15)
	Hex   Form = "hex"   // eight hex digits of the 32-bit UID
)

// Errors. A *ParseError wraps ErrSyntax or ErrRange; ErrTopBits is returned
// by Number.Frame.
var (
	ErrSyntax  = errors.New("cardnum: malformed")
	ErrRange   = errors.New("cardnum: out of range")
	ErrForm    = errors.New("cardnum: unknown form")
	ErrTopBits = errors.New("cardnum: the W26 form lacks bits 24-31, which a 34-bit reader sends")
	ErrFrame   = errors.New("cardnum: not a 26- or 34-bit frame")
)

// ParseError says which form could not read what.
type ParseError struct {
	Form Form
	Want string // what the form looks like
	Err  error  // ErrSyntax or ErrRange
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%v: %s: want %s", e.Err, e.Form, e.Want)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Number is a card number: the value and how many of its low bits are
// known (32 from 8H10D or hex or a W34 frame, 24 from W26).
type Number struct {
	Value uint32
	Bits  int // 32 or 24
}

// Parse reads s written in form. Spaces around it are ignored; the W26
// form takes "," "，" or "-" between its fields, hex an optional "0x" and
// ":" "-" or " " between bytes.
func Parse(s string, form Form) (Number, error) {
	s = strings.TrimSpace(s)
	switch form {
	case Dec10:
		want := "1 to 10 decimal digits up to 4294967295, e.g. 0012345678"
		if s == "" || len(s) > 10 || strings.TrimLeft(s, "0123456789") != "" {
			return Number{}, &ParseError{form, want, ErrSyntax}
		}
		v, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return Number{}, &ParseError{form, want, ErrRange}
		}
		return Number{uint32(v), 32}, nil
	case W26:
		want := "facility 0-255 and card 0-65535 as FFF,NNNNN, e.g. 188,24910"
		fac, num, ok := cutAny(s, ",，-")
		fac, num = strings.TrimSpace(fac), strings.TrimSpace(num)
		if !ok || !decimal(fac, 3) || !decimal(num, 5) {
			return Number{}, &ParseError{form, want, ErrSyntax}
		}
		f, _ := strconv.ParseUint(fac, 10, 32) // digits only, at most 5
		n, _ := strconv.ParseUint(num, 10, 32)
		if f > 0xFF || n > 0xFFFF {
			return Number{}, &ParseError{form, want, ErrRange}
		}
		return Number{uint32(f<<16 | n), 24}, nil
	case Hex:
		want := "1 to 8 hexadecimal digits, e.g. 00BC614E"
		h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
		h = strings.NewReplacer(":", "", "-", "", " ", "").Replace(h)
		if h == "" || strings.TrimLeft(h, "0123456789abcdefABCDEF") != "" {
			return Number{}, &ParseError{form, want, ErrSyntax}
		}
		if len(h) > 8 {
			return Number{}, &ParseError{form, want, ErrRange}
		}
		v, _ := strconv.ParseUint(h, 16, 32) // at most 8 hex digits
		return Number{uint32(v), 32}, nil
	}
	return Number{}, fmt.Errorf("%w %q: %s, %s or %s", ErrForm, form, Dec10, W26, Hex)
}

func cutAny(s, seps string) (before, after string, ok bool) {
	if i := strings.IndexAny(s, seps); i >= 0 {
		_, w := utf8.DecodeRuneInString(s[i:])
		return s[:i], s[i+w:], true
	}
	return s, "", false
}

func decimal(s string, max int) bool {
	return s != "" && len(s) <= max && strings.TrimLeft(s, "0123456789") == ""
}

// Frame is the Wiegand format and fields a reader sending bits (26 or 34)
// sends for the card.
func (n Number) Frame(bits int) (f wiegand.Format, facility, number uint64, err error) {
	switch bits {
	case 26:
		return wiegand.H10301, uint64(n.Value>>16) & 0xFF, uint64(n.Value) & 0xFFFF, nil
	case 34:
		if n.Bits < 32 {
			return wiegand.Format{}, 0, 0, ErrTopBits
		}
		return wiegand.H10306, uint64(n.Value >> 16), uint64(n.Value) & 0xFFFF, nil
	}
	return wiegand.Format{}, 0, 0, fmt.Errorf("%w: %d bits", ErrFrame, bits)
}

// Key is the credential key (wiegand.Credential.Key) of the frame a reader
// sending bits (26 or 34) sends for the card.
func (n Number) Key(bits int) (string, error) {
	f, fac, num, err := n.Frame(bits)
	if err != nil {
		return "", err
	}
	return wiegand.Credential{Format: f.Name, Facility: fac, Number: num}.Key(), nil
}

// FromFrame is the number a decoded 26- or 34-bit frame carries; ok is
// false for other formats.
func FromFrame(c wiegand.Credential) (n Number, ok bool) {
	switch c.Format {
	case wiegand.H10301.Name:
		return Number{uint32(c.Facility<<16 | c.Number), 24}, true
	case wiegand.H10306.Name:
		return Number{uint32(c.Facility<<16 | c.Number), 32}, true
	}
	return Number{}, false
}

// Format writes the number in form: "" when the form needs bits it does
// not have (8H10D of a 24-bit number). Hex of a 24-bit number has 6 digits.
func (n Number) Format(form Form) string {
	switch form {
	case Dec10:
		if n.Bits < 32 {
			return ""
		}
		return fmt.Sprintf("%010d", n.Value)
	case W26:
		return fmt.Sprintf("%03d,%05d", (n.Value>>16)&0xFF, n.Value&0xFFFF)
	case Hex:
		if n.Bits < 32 {
			return fmt.Sprintf("%06X", n.Value&0xFFFFFF)
		}
		return fmt.Sprintf("%08X", n.Value)
	}
	return ""
}

// Forms is a card in every form that applies ("" for one that does not).
type Forms struct {
	Dec10 string `json:"8h10d,omitempty"`
	W26   string `json:"w26,omitempty"`
	Hex   string `json:"hex,omitempty"`
}

// All writes the number in every form.
func (n Number) All() Forms {
	return Forms{Dec10: n.Format(Dec10), W26: n.Format(W26), Hex: n.Format(Hex)}
}

// Readings is every number s may be, read in each form that accepts it
// (eight decimal digits read as 8H10D and as hex); nil when s is no card
// number in any form. It is for searching ("whose card is 0012345678?").
func Readings(s string) []Number {
	var out []Number
	for _, form := range []Form{Dec10, W26, Hex} {
		if n, err := Parse(s, form); err == nil && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// Matches reports whether two numbers can be the same card: equal in the
// bits both know (a W26 number or frame knows the low 24).
func (n Number) Matches(o Number) bool {
	mask := uint32(0xFFFFFFFF)
	if min(n.Bits, o.Bits) < 32 {
		mask = 0xFFFFFF
	}
	return n.Value&mask == o.Value&mask
}
