package osdp

import (
	"bytes"

	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every captured frame decodes, its check character verifies, and encoding
// the decoded frame gives back the same bytes.
func TestDecodeGoldenRoundTrip(t *testing.T) {
	badCRC := unhex(t, "ff 53 65 08 00 07 60 cc 3a")
	for _, v := range loadVectors(t) {
		f, n, err := Decode(v.raw)
		if bytes.Equal(v.raw, badCRC) {
			require.ErrorIs(t, err, ErrBadCRC)
			continue
		}
		require.NoErrorf(t, err, "% x", v.raw)
		require.Equal(t, len(v.raw), n)
		assert.Equal(t, !v.fromCP, f.Reply, "% x", v.raw)
		enc, err := AppendEncode(nil, f)
		require.NoError(t, err)
		want := v.raw
		if want[0] != Mark {
			want = append([]byte{Mark}, want...)
		}
		assert.Equalf(t, want, enc, "round trip of %v", f)
	}
}

func TestDecodeFields(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want Frame
	}{
		{"poll crc", "ff 53 65 08 00 06 60 02 f6", Frame{Addr: 101, Seq: 2, CRC: true, Code: CmdPOLL, Data: []byte{}}},
		{"poll checksum", "ff 53 65 07 00 01 60 e0", Frame{Addr: 101, Seq: 1, Code: CmdPOLL, Data: []byte{}}},
		{"no mark", "53 65 08 00 06 60 02 f6", Frame{Addr: 101, Seq: 2, CRC: true, Code: CmdPOLL, Data: []byte{}}},
		{"broadcast reply", "ff 53 ff 08 00 07 40 75 81", Frame{Addr: 0x7f, Reply: true, Seq: 3, CRC: true, Code: ReplyACK, Data: []byte{}}},
		{"raw", "ff 53 e5 10 00 07 50 00 01 1a 00 8a 12 34 c0 d0 03",
			Frame{Addr: 101, Reply: true, Seq: 3, CRC: true, Code: ReplyRAW, Data: []byte{0, 1, 0x1a, 0, 0x8a, 0x12, 0x34, 0xc0}}},
		{"chlng", "ff 53 65 13 00 0c 03 11 01 76 b8 ea ea d6 01 9f bd 81 1e c1",
			Frame{Addr: 101, CRC: true, SCB: []byte{0x11, 0x01}, Code: CmdCHLNG, Data: unhex(t, "b8eaead6019fbd81")}},
		{"poll mac", "ff 53 65 0e 00 0e 02 15 60 44 7f b5 c5 5e 9e",
			Frame{Addr: 101, Seq: 2, CRC: true, SCB: []byte{0x15}, Code: CmdPOLL, Data: []byte{}, MAC: unhex(t, "447fb5c5")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := unhex(t, tt.hex)
			got, n, err := Decode(raw)
			require.NoError(t, err)
			assert.Equal(t, len(raw), n)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", ErrIncomplete},
		{"mark only", "ff", ErrIncomplete},
		{"not som", "ff 54 65 08 00", ErrNoSOM},
		{"short header", "ff 53 65 08", ErrIncomplete},
		{"short body", "ff 53 65 08 00 06 60", ErrIncomplete},
		{"len too small", "ff 53 65 03 00 06 60 02 f6", ErrBadLength},
		{"len too big", "ff 53 65 ff ff 06 60 02 f6", ErrBadLength},
		{"bad crc", "ff 53 65 08 00 07 60 cc 3a", ErrBadCRC},
		{"bad checksum", "ff 53 65 07 00 01 60 e1", ErrBadChecksum},
		{"scb length past end", "ff 53 65 09 00 0c 09 11 00 00", ErrBadSCB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := unhex(t, tt.hex)
			if tt.name == "scb length past end" {
				raw = withCRC(raw[:len(raw)-2])
			}
			_, _, err := Decode(raw)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

// withCRC appends a valid CRC to a frame (mark first) for hand-built bad frames.
func withCRC(b []byte) []byte {
	c := CRC16(b[1:])
	return append(b, byte(c), byte(c>>8))
}

func TestEncodeRejects(t *testing.T) {
	_, err := AppendEncode(nil, Frame{Addr: 0x80, Code: CmdPOLL})
	assert.ErrorIs(t, err, ErrBadAddress)
	_, err = AppendEncode(nil, Frame{Addr: 1, Seq: 4, Code: CmdPOLL})
	assert.Error(t, err)
	_, err = AppendEncode(nil, Frame{Addr: 1, Code: CmdMFG, Data: make([]byte, MaxFrameLen)})
	assert.ErrorIs(t, err, ErrBadLength)
	_, err = AppendEncode(nil, Frame{Addr: 1, SCB: []byte{SCS15}, Code: CmdPOLL})
	assert.ErrorIs(t, err, ErrBadSCB, "a MAC-carrying SCB without a MAC")
}

func FuzzDecode(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.raw)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, n, err := Decode(b)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v with n=%d", err, n)
			}
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("n=%d out of range", n)
		}
		enc, err := AppendEncode(nil, fr)
		if err != nil {
			t.Fatalf("re-encode of accepted frame %v: %v", fr, err)
		}
		consumed := b[:n]
		if consumed[0] != Mark {
			consumed = append([]byte{Mark}, consumed...)
		}
		if !bytes.Equal(enc, consumed) {
			t.Fatalf("round trip:\n got % x\nwant % x", enc, consumed)
		}
		// A decoded payload must parse or fail cleanly, never panic.
		if fr.Reply {
			_, _ = ParseReply(fr.Code, fr.Data)
		} else {
			_, _ = ParseCommand(fr.Code, fr.Data)
		}
	})
}
