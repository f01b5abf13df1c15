package wiegand

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFramingGolden(t *testing.T) {
	card := EncodeH10301(1, 1234) // 26 bits: 10 0000 0010 0000 1001 1010 0100 = 0x2020 9A4
	tests := []struct {
		framing string
		want    string
	}{
		{HexCR, "20209A4\r"},
		{DecCRLF, "33687972\r\n"},
		{STXETX, "\x021A20209A43C\x03"}, // XOR of "1A20209A4" = 0x3C, worked by hand
	}
	for _, tt := range tests {
		t.Run(tt.framing, func(t *testing.T) {
			f := Framer{Framing: tt.framing}
			require.NoError(t, f.Validate())
			got := f.Append(nil, 26, card)
			assert.Equal(t, tt.want, string(got))
			bits, data, n, err := f.Decode(got)
			require.NoError(t, err)
			assert.Equal(t, len(got), n)
			assert.Equal(t, 26, bits)
			assert.Equal(t, card, data)
		})
	}
}

func TestFramingRoundTripAllFormats(t *testing.T) {
	for _, fm := range []Format{H10301, H10306, Corporate1000, H10302, H10304} {
		data, err := fm.Encode(0, 12345)
		require.NoError(t, err)
		for _, framing := range []string{HexCR, DecCRLF, STXETX} {
			f := Framer{Framing: framing, Bits: fm.Bits}
			bits, got, _, err := f.Decode(f.Append(nil, fm.Bits, data))
			require.NoError(t, err, "%s %s", fm.Name, framing)
			assert.Equal(t, fm.Bits, bits)
			assert.Equal(t, data, got, "%s %s", fm.Name, framing)
		}
	}
}

func TestLineReaderResynchronises(t *testing.T) {
	a, b := EncodeH10301(1, 1), EncodeH10301(2, 2)
	for _, framing := range []string{HexCR, DecCRLF, STXETX} {
		f := Framer{Framing: framing}
		var stream bytes.Buffer
		stream.WriteString("\x00\xffnoise")
		if framing != STXETX {
			stream.WriteString("\r") // the noise ends as a (bad) line
		}
		stream.Write(f.Append(nil, 26, a))
		bad := f.Append(nil, 26, a)
		bad[len(bad)/2] ^= 0x01 // a corrupted read
		stream.Write(bad)
		stream.Write(f.Append(nil, 26, b))
		for name, wrap := range map[string]func(io.Reader) io.Reader{"whole": func(r io.Reader) io.Reader { return r }, "one byte": iotest.OneByteReader, "half": iotest.HalfReader} {
			r := NewLineReader(wrap(bytes.NewReader(stream.Bytes())), f)
			var reads [][]byte
			bad := 0
			for {
				_, data, err := r.Next()
				if err == io.EOF {
					break
				}
				if errors.Is(err, ErrFrame) {
					bad++
					continue
				}
				require.NoError(t, err)
				reads = append(reads, data)
			}
			assert.Contains(t, reads, a, "%s %s", framing, name)
			assert.Equal(t, b, reads[len(reads)-1], "%s %s", framing, name)
			if framing == STXETX {
				assert.Equal(t, 2, len(reads)+0, "%s %s: the corrupted read is caught by the checksum", framing, name)
				assert.Equal(t, 1, bad)
			}
		}
	}
}

func TestFramingErrors(t *testing.T) {
	tests := []struct {
		f   Framer
		in  string
		err error
	}{
		{Framer{Framing: HexCR}, "123\r", ErrFrame},                // wrong number of digits for 26 bits
		{Framer{Framing: HexCR}, "XYZXYZX\r", ErrFrame},            // not hex
		{Framer{Framing: HexCR}, "FFFFFFF\r", ErrFrame},            // 28 bits of ones do not fit 26
		{Framer{Framing: HexCR}, "202", ErrIncomplete},             //
		{Framer{Framing: DecCRLF}, "12\rX", ErrFrame},              // CR without LF
		{Framer{Framing: DecCRLF}, "12\r", ErrIncomplete},          // LF still to come
		{Framer{Framing: STXETX}, "\x021A20209A400\x03", ErrFrame}, // checksum
		{Framer{Framing: STXETX}, "\x0202\x03", ErrFrame},
	}
	for _, tt := range tests {
		_, _, _, err := tt.f.Decode([]byte(tt.in))
		assert.ErrorIs(t, err, tt.err, "%s %q", tt.f.Framing, tt.in)
	}
	assert.Error(t, Framer{Framing: "morse"}.Validate())
}

func FuzzFraming(f *testing.F) {
	for _, fr := range []string{HexCR, DecCRLF, STXETX} {
		f.Add(fr, Framer{Framing: fr}.Append(nil, 26, EncodeH10301(3, 4)))
	}
	f.Fuzz(func(t *testing.T, framing string, b []byte) {
		fr := Framer{Framing: framing}
		if fr.Validate() != nil {
			return
		}
		r := NewLineReader(iotest.HalfReader(bytes.NewReader(b)), fr)
		for range len(b) + 2 {
			bits, data, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				continue
			}
			if len(data) != (bits+7)/8 {
				t.Fatalf("%d bits in %d bytes", bits, len(data))
			}
		}
	})
}
