package osdp

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readAll(t *testing.T, r io.Reader) []Frame {
	t.Helper()
	fr := NewReader(r)
	var out []Frame
	for {
		f, err := fr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, f)
	}
}

func TestReaderResynchronises(t *testing.T) {
	poll := unhex(t, "ff 53 65 08 00 06 60 02 f6")
	ack := unhex(t, "ff 53 e5 08 00 06 40 b0 f0")
	raw := unhex(t, "ff 53 e5 10 00 07 50 00 01 1a 00 8a 12 34 c0 d0 03")
	badCRC := unhex(t, "ff 53 65 08 00 07 60 cc 3a")
	longHeader := unhex(t, "53 00 ff 05") // claims 1535 bytes, never completes

	var stream bytes.Buffer
	for _, part := range [][]byte{
		{0x00, 0x53, 0x53, 0xff}, poll, // garbage, including stray SOMs
		badCRC, ack,
		longHeader, raw, // a header that never completes must not hide the next frame
		{0xff, 0xff}, poll,
	} {
		stream.Write(part)
	}
	want := []byte{CmdPOLL, ReplyACK, ReplyRAW, CmdPOLL}

	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			frames := readAll(t, wrap(bytes.NewReader(stream.Bytes())))
			var codes []byte
			for _, f := range frames {
				codes = append(codes, f.Code)
			}
			assert.Equal(t, want, codes)
			assert.Equal(t, []byte{0, 1, 0x1a, 0, 0x8a, 0x12, 0x34, 0xc0}, frames[2].Data)
		})
	}
}

func TestReaderTimeoutIsReturned(t *testing.T) {
	poll := unhex(t, "ff 53 65 08 00 06 60 02 f6")
	r := NewReader(iotest.TimeoutReader(bytes.NewReader(append(poll, poll...))))
	f, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, byte(CmdPOLL), f.Code)
	_, err = r.Next()
	require.NoError(t, err, "second frame comes from the buffer")
	_, err = r.Next()
	assert.ErrorIs(t, err, iotest.ErrTimeout)
}

func TestReaderFramesDoNotAlias(t *testing.T) {
	raw := unhex(t, "ff 53 e5 10 00 07 50 00 01 1a 00 8a 12 34 c0 d0 03")
	r := NewReader(bytes.NewReader(append(append([]byte{}, raw...), raw...)))
	a, err := r.Next()
	require.NoError(t, err)
	b, err := r.Next()
	require.NoError(t, err)
	b.Data[0] = 9
	assert.Equal(t, byte(0), a.Data[0])
}

func FuzzReader(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(append([]byte{0x53, 0x00}, v.raw...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(iotest.HalfReader(bytes.NewReader(b)))
		for range len(b) + 1 {
			fr, err := r.Next()
			if err != nil {
				return
			}
			if _, err := AppendEncode(nil, fr); err != nil {
				t.Fatalf("reader returned a frame that does not encode: %v", err)
			}
		}
		t.Fatal("reader returned more frames than bytes")
	})
}
