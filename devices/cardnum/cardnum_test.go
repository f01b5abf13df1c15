package cardnum

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/wiegand"
)

// A card printed "0012345678 188,24910" (the example of many Chinese card
// sellers): every form reads to the same number, and the frames a W26 and a
// W34 reader send for it decode to the keys Number.Key gives.
func TestFormsGolden(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		form     Form
		want     Number
		w26, w34 string // keys; w34 "" = ErrTopBits
	}{
		{"printed 10 digits", "0012345678", Dec10, Number{0x00BC614E, 32}, "h10301:188:24910", "h10306:188:24910"},
		{"10 digits without zeros", " 12345678 ", Dec10, Number{0x00BC614E, 32}, "h10301:188:24910", "h10306:188:24910"},
		{"printed W26", "188,24910", W26, Number{0x00BC614E, 24}, "h10301:188:24910", ""},
		{"W26 with zeros and a Chinese comma", "003，45678", W26, Number{3<<16 | 45678, 24}, "h10301:3:45678", ""},
		{"W26 with a dash", "003-45678", W26, Number{3<<16 | 45678, 24}, "h10301:3:45678", ""},
		{"hex", "00BC614E", Hex, Number{0x00BC614E, 32}, "h10301:188:24910", "h10306:188:24910"},
		{"hex bytes", "0x00:bc:61:4e", Hex, Number{0x00BC614E, 32}, "h10301:188:24910", "h10306:188:24910"},
		// The top byte is set: a W26 reader does not send it.
		{"top byte set", "3735928559", Dec10, Number{0xDEADBEEF, 32}, "h10301:173:48879", "h10306:57005:48879"},
		{"top byte set, hex", "deadbeef", Hex, Number{0xDEADBEEF, 32}, "h10301:173:48879", "h10306:57005:48879"},
		{"largest", "4294967295", Dec10, Number{0xFFFFFFFF, 32}, "h10301:255:65535", "h10306:65535:65535"},
		{"zero", "0000000000", Dec10, Number{0, 32}, "h10301:0:0", "h10306:0:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.in, tt.form)
			require.NoError(t, err)
			assert.Equal(t, tt.want, n)
			for _, fr := range []struct {
				bits int
				key  string
			}{{26, tt.w26}, {34, tt.w34}} {
				key, err := n.Key(fr.bits)
				if fr.key == "" {
					assert.ErrorIs(t, err, ErrTopBits)
					continue
				}
				require.NoError(t, err)
				assert.Equal(t, fr.key, key)
				// What the reader sends decodes to the same key.
				f, fac, num, err := n.Frame(fr.bits)
				require.NoError(t, err)
				data, err := f.Encode(fac, num)
				require.NoError(t, err)
				read, err := wiegand.Decode(fr.bits, data)
				require.NoError(t, err)
				assert.Equal(t, fr.key, read.Key())
				back, ok := FromFrame(read)
				require.True(t, ok)
				if fr.bits == 34 {
					assert.Equal(t, Number{n.Value, 32}, back)
				} else {
					assert.Equal(t, Number{n.Value & 0xFFFFFF, 24}, back)
				}
			}
		})
	}
}

func TestFormat(t *testing.T) {
	full := Number{0x00BC614E, 32}
	assert.Equal(t, Forms{Dec10: "0012345678", W26: "188,24910", Hex: "00BC614E"}, full.All())
	w26 := Number{3<<16 | 45678, 24}
	assert.Equal(t, Forms{W26: "003,45678", Hex: "03B26E"}, w26.All(), "no 10 digits without the top byte")
	top := Number{0xDEADBEEF, 32}
	assert.Equal(t, Forms{Dec10: "3735928559", W26: "173,48879", Hex: "DEADBEEF"}, top.All())
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		form Form
		want error
	}{
		{"", Dec10, ErrSyntax}, {"12345678901", Dec10, ErrSyntax}, {"4294967296", Dec10, ErrRange},
		{"12a4", Dec10, ErrSyntax}, {"-1", Dec10, ErrSyntax}, {"+12", Dec10, ErrSyntax},
		{"188", W26, ErrSyntax}, {"256,1", W26, ErrRange}, {"1,65536", W26, ErrRange}, {"1,123456", W26, ErrSyntax},
		{",1", W26, ErrSyntax}, {"1,", W26, ErrSyntax}, {"1,2,3", W26, ErrSyntax}, {"0x1,2", W26, ErrSyntax},
		{"", Hex, ErrSyntax}, {"0x", Hex, ErrSyntax}, {"123456789", Hex, ErrRange}, {"12g4", Hex, ErrSyntax},
		{"1", "8h8d", ErrForm},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in, tt.form)
		assert.ErrorIs(t, err, tt.want, "%q as %s", tt.in, tt.form)
		var pe *ParseError
		if tt.want != ErrForm {
			require.ErrorAs(t, err, &pe, "%q", tt.in)
			assert.Equal(t, tt.form, pe.Form)
		}
	}
	_, _, _, err := Number{1, 32}.Frame(37)
	assert.ErrorIs(t, err, ErrFrame)
}

// A card is found however it was written: the printed 10 digits, hex, or
// the W26 form, which matches a W34 card in the 24 bits it has.
func TestReadingsMatch(t *testing.T) {
	w34 := Number{0x00BC614E, 32} // stored from a W34 frame
	w26 := Number{0x00BC614E, 24} // stored from a W26 frame
	top := Number{0xDEADBEEF, 32}
	for _, tt := range []struct {
		q    string
		want []Number // cards it finds
	}{
		{"0012345678", []Number{w34, w26}},
		{"00BC614E", []Number{w34, w26}},
		{"188,24910", []Number{w34, w26}},
		{"3735928559", []Number{top}},
		{"173,48879", []Number{top}},
		{"12345678", []Number{w34, w26}}, // as 8H10D; as hex it is 0x12345678, no card here
		{"Li Wei", nil},
	} {
		var found []Number
		for _, card := range []Number{w34, w26, top} {
			for _, r := range Readings(tt.q) {
				if r.Matches(card) {
					found = append(found, card)
					break
				}
			}
		}
		assert.Equal(t, tt.want, found, tt.q)
	}
	assert.Len(t, Readings("12345678"), 2, "decimal and hex")
	assert.Nil(t, Readings("Li Wei"))
	assert.False(t, Number{0x01BC614E, 32}.Matches(w34), "32 bits known on both sides: all compared")
	assert.True(t, Number{0x01BC614E, 32}.Matches(w26), "a W26 card knows 24 bits only")
}

// Whatever the input, Parse does not panic, and what it accepts it writes
// back in the same form to the same number.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0012345678", "188,24910", "003，45678", "00BC614E", "0x00:bc:61:4e", "4294967295", "256,1", "", "deadbeef", "1-2"} {
		f.Add(s, 0)
		f.Add(s, 1)
		f.Add(s, 2)
	}
	forms := []Form{Dec10, W26, Hex}
	f.Fuzz(func(t *testing.T, s string, i int) {
		form := forms[uint(i)%3]
		n, err := Parse(s, form)
		if err != nil {
			return
		}
		out := n.Format(form)
		back, err := Parse(out, form)
		if err != nil {
			t.Fatalf("%q (%s) wrote %q, which does not read: %v", s, form, out, err)
		}
		if back != n {
			t.Fatalf("%q (%s): %v, written %q, reads %v", s, form, n, out, back)
		}
		for _, bits := range []int{26, 34} {
			fr, fac, num, err := n.Frame(bits)
			if err != nil {
				continue
			}
			if _, err := fr.Encode(fac, num); err != nil {
				t.Fatalf("%v: frame %d: %v", n, bits, err)
			}
		}
	})
}
