package wiegandconv

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/wiegand"
)

func TestConverterFramings(t *testing.T) {
	for _, framing := range []string{wiegand.HexCR, wiegand.DecCRLF, wiegand.STXETX} {
		var line bytes.Buffer
		f := wiegand.Framer{Framing: framing}
		c, err := New(&line, f)
		require.NoError(t, err)
		require.NoError(t, c.Swipe("h10301:1:1234"))
		require.NoError(t, c.Noise([]byte("\x00\xff\r\n"))) // noise ending in a line end
		require.NoError(t, c.SwipeBadParity("h10301:1:1234"))
		require.NoError(t, c.Swipe("h10301:2:2"))

		r := wiegand.NewLineReader(&line, f)
		var keys []string
		var parity int
		for {
			bits, data, err := r.Next()
			if err == io.EOF {
				break
			}
			if errors.Is(err, wiegand.ErrFrame) {
				continue // the noise, for line framings
			}
			require.NoError(t, err)
			cred, err := wiegand.Decode(bits, data)
			if errors.Is(err, wiegand.ErrParity) {
				parity++
				continue
			}
			require.NoError(t, err)
			keys = append(keys, cred.Key())
		}
		assert.Equal(t, []string{"h10301:1:1234", "h10301:2:2"}, keys, framing)
		assert.Equal(t, 1, parity, framing)
	}
	_, err := New(io.Discard, wiegand.Framer{Framing: "smoke"})
	assert.Error(t, err)
}
