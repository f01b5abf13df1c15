package fpm

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readAll(t *testing.T, r io.Reader) []Packet {
	t.Helper()
	pr := NewReader(r)
	var out []Packet
	for {
		p, err := pr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, p)
	}
}

func TestReaderResynchronises(t *testing.T) {
	genImg := unhex(t, "ef 01 ff ff ff ff 01 00 03 01 00 05")
	ack := unhex(t, "ef 01 ff ff ff ff 07 00 03 00 00 0a")
	search := unhex(t, "ef 01 ff ff ff ff 07 00 07 00 00 05 00 a0 00 b3")
	badSum := unhex(t, "ef 01 ff ff ff ff 07 00 03 00 00 0b")
	longHeader := unhex(t, "ef 01 ff ff ff ff 02 01 02") // claims 256 bytes, never completes
	data := unhex(t, "ef 01 ff ff ff ff 08 00 04 ff ff 02 0a")

	var stream bytes.Buffer
	for _, part := range [][]byte{
		{0x00, 0xef, 0xef, 0x02, 0x01}, genImg, // garbage, with stray header bytes
		badSum, ack,
		longHeader, search, // a header that never completes must not hide the next packet
		{0xef, 0x01, 0xff}, data, // a header cut short
		{0xef}, // a lone first header byte at the end
	} {
		stream.Write(part)
	}
	want := []Packet{
		{DefaultAddr, PIDCommand, []byte{0x01}},
		{DefaultAddr, PIDAck, []byte{0x00}},
		{DefaultAddr, PIDAck, []byte{0x00, 0x00, 0x05, 0x00, 0xa0}},
		{DefaultAddr, PIDDataLast, []byte{0xff, 0xff}},
	}

	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, want, readAll(t, wrap(bytes.NewReader(stream.Bytes()))))
		})
	}
}

func TestReaderCountsDropped(t *testing.T) {
	ack := unhex(t, "ef 01 ff ff ff ff 07 00 03 00 00 0a")
	r := NewReader(bytes.NewReader(append([]byte{1, 2, 3}, ack...)))
	_, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, 3, r.Dropped)
	assert.Zero(t, r.Buffered())
}

func TestReaderGivesUpOnGarbageHeaderWithoutFollower(t *testing.T) {
	// A header claiming 256 bytes followed by bytes that hold no packet is
	// eventually dropped, and the buffer stays bounded.
	garbage := append(unhex(t, "ef 01 ff ff ff ff 02 01 02"), bytes.Repeat([]byte{0x55}, 3*MaxPacketLen)...)
	ack := unhex(t, "ef 01 ff ff ff ff 07 00 03 00 00 0a")
	r := NewReader(iotest.HalfReader(bytes.NewReader(append(garbage, ack...))))
	p, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, PIDAck, p.PID)
	assert.Equal(t, len(garbage), r.Dropped)
}

func TestReaderTimeoutIsReturned(t *testing.T) {
	ack := unhex(t, "ef 01 ff ff ff ff 07 00 03 00 00 0a")
	r := NewReader(iotest.TimeoutReader(bytes.NewReader(append(append([]byte{}, ack...), ack...))))
	_, err := r.Next()
	require.NoError(t, err)
	_, err = r.Next()
	require.NoError(t, err, "second packet comes from the buffer")
	_, err = r.Next()
	assert.ErrorIs(t, err, iotest.ErrTimeout)
}

func TestReaderPacketsDoNotAlias(t *testing.T) {
	data := unhex(t, "ef 01 ff ff ff ff 02 00 06 01 02 03 04 00 12")
	r := NewReader(bytes.NewReader(append(append([]byte{}, data...), data...)))
	a, err := r.Next()
	require.NoError(t, err)
	b, err := r.Next()
	require.NoError(t, err)
	b.Data[0] = 9
	assert.Equal(t, byte(1), a.Data[0])
}

func FuzzReader(f *testing.F) {
	for _, g := range golden {
		f.Add(append([]byte{0xef, 0x00, 0xef}, unhex(f, g.hex)...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(iotest.HalfReader(bytes.NewReader(b)))
		for range len(b) + 1 {
			p, err := r.Next()
			if err != nil {
				if err != io.EOF {
					t.Fatalf("error %v, want io.EOF", err)
				}
				return
			}
			enc, err := AppendEncode(nil, p)
			if err != nil {
				t.Fatalf("reader returned a packet that does not encode: %v", err)
			}
			if !bytes.Contains(b, enc) {
				t.Fatalf("reader returned a packet not in its input: % x", enc)
			}
		}
		t.Fatal("reader returned more packets than bytes")
	})
}
