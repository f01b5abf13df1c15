package store

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
