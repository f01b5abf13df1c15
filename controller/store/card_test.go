package store

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/cardnum"
	"menwei/devices/wiegand"
)

// A card is kept under the key its bits decode to, whichever way an
// installer wrote it: what a reader sends then finds it.
func TestParseCardMatchesReads(t *testing.T) {
	tests := []struct {
		name   string
		entry  string
		format wiegand.Format
		fac    uint64
		num    uint64
		want   string
	}{
		{name: "26-bit short form", entry: "1:1234", format: wiegand.H10301, fac: 1, num: 1234, want: "h10301:1:1234"},
		{name: "34-bit", entry: "h10306:300:65000", format: wiegand.H10306, fac: 300, num: 65000, want: "h10306:300:65000"},
		{name: "Corporate 1000", entry: "c1000:1234:567890", format: wiegand.Corporate1000, fac: 1234, num: 567890, want: "c1000:1234:567890"},
		{name: "37-bit H10302 entry, read as H10304", entry: "h10302:12345678901", format: wiegand.H10302, num: 12345678901,
			want: "h10304:" + h10304Of(t, 12345678901)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entered, err := ParseCard(tt.entry)
			require.NoError(t, err)
			data, err := tt.format.Encode(tt.fac, tt.num)
			require.NoError(t, err)
			read, err := CardFromBits(tt.format.Bits, data)
			require.NoError(t, err)
			assert.Equal(t, entered, read)
			assert.Equal(t, tt.want, read.String())
		})
	}
	for _, bad := range []string{"", "1", "h10301:256:1", "h10301:1:70000", "nope:1:2", "raw:26:zz"} {
		_, err := ParseCard(bad)
		assert.Error(t, err, "%q", bad)
	}
}

// h10304Of is "F:N" of the H10304 reading of a 35-bit H10302 number: the
// top 16 bits are the facility, the low 19 the number.
func h10304Of(t *testing.T, n uint64) string {
	t.Helper()
	require.Less(t, n, uint64(1)<<35)
	return strconv.FormatUint(n>>19, 10) + ":" + strconv.FormatUint(n&(1<<19-1), 10)
}

// A card entered as the printed 10 digits, the W26 form or hex is kept
// under the key of the frame the estate's readers send, and shows again in
// those forms.
func TestParseCardAs(t *testing.T) {
	tests := []struct {
		in   string
		form cardnum.Form
		bits int
		want string
		fs   cardnum.Forms
	}{
		{"0012345678", cardnum.Dec10, 26, "h10301:188:24910", cardnum.Forms{W26: "188,24910", Hex: "BC614E"}},
		{"0012345678", cardnum.Dec10, 34, "h10306:188:24910", cardnum.Forms{Dec10: "0012345678", W26: "188,24910", Hex: "00BC614E"}},
		{"003,45678", cardnum.W26, 26, "h10301:3:45678", cardnum.Forms{W26: "003,45678", Hex: "03B26E"}},
		{"DEADBEEF", cardnum.Hex, 34, "h10306:57005:48879", cardnum.Forms{Dec10: "3735928559", W26: "173,48879", Hex: "DEADBEEF"}},
	}
	for _, tt := range tests {
		c, err := ParseCardAs(tt.in, tt.form, tt.bits)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, c.String())
		assert.Equal(t, tt.fs, c.Forms())
		assert.Equal(t, tt.bits, c.Bits())
		// What a reader of that length sends finds it.
		f := wiegand.H10301
		if tt.bits == 34 {
			f = wiegand.H10306
		}
		n, _ := cardnum.Parse(tt.in, tt.form)
		_, fac, num, err := n.Frame(tt.bits)
		require.NoError(t, err)
		data, err := f.Encode(fac, num)
		require.NoError(t, err)
		read, err := CardFromBits(tt.bits, data)
		require.NoError(t, err)
		assert.Equal(t, c, read)
		assert.Equal(t, c.Ref(), read.Ref())
	}
	for _, bad := range []struct {
		in   string
		form cardnum.Form
		bits int
		msg  string
	}{
		{"12345678901", cardnum.Dec10, 26, "card: "},
		{"003,45678", cardnum.W26, 34, "bits: "},
		{"0012345678", cardnum.Dec10, 37, "bits: "},
		{"777", "6h8d", 26, "format: "},
	} {
		_, err := ParseCardAs(bad.in, bad.form, bad.bits)
		require.Error(t, err, bad.in)
		assert.True(t, strings.HasPrefix(err.Error(), bad.msg), "%q: the field first: %v", bad.in, err)
		assert.NotContains(t, err.Error(), bad.in, "the number is not echoed")
	}
	raw, err := ParseCard("raw:40:0102030405")
	require.NoError(t, err)
	assert.Equal(t, cardnum.Forms{}, raw.Forms())
	assert.Len(t, raw.Ref(), 12)
}
