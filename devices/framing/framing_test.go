package framing

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A toy framing: '<' length payload '>' — enough to exercise the reader.
var errShort = errors.New("short")

var toy = Codec[string]{
	Start: func(b []byte, from int) int {
		if i := bytes.IndexByte(b[from:], '<'); i >= 0 {
			return from + i
		}
		return -1
	},
	Decode: func(b []byte) (string, int, error) {
		if len(b) < 2 {
			return "", 0, errShort
		}
		n := int(b[1] - '0')
		if n < 0 || n > 9 {
			return "", 0, errors.New("bad length")
		}
		if len(b) < n+3 {
			return "", 0, errShort
		}
		if b[n+2] != '>' {
			return "", 0, errors.New("no end")
		}
		return string(b[2 : n+2]), n + 3, nil
	},
	Incomplete: errShort,
	MaxLen:     12,
	Own:        func(s string) string { return s },
}

func TestReader(t *testing.T) {
	// garbage, a good frame, a broken one, a header claiming 9 bytes that
	// never come before a good frame, another good frame.
	stream := "xx<3abc>zz<2q!<9ab<2hi><1z>"
	for name, wrap := range map[string]func(io.Reader) io.Reader{"whole": func(r io.Reader) io.Reader { return r }, "one byte": iotest.OneByteReader, "half": iotest.HalfReader} {
		r := NewReader(wrap(bytes.NewReader([]byte(stream))), toy)
		var got []string
		for {
			f, err := r.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			got = append(got, f)
		}
		assert.Equal(t, []string{"abc", "hi", "z"}, got, name)
		assert.Positive(t, r.Dropped, name)
	}
}
