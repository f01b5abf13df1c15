package fpm

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every golden packet decodes to its fields, and encoding them gives back
// the same bytes.
func TestGoldenRoundTrip(t *testing.T) {
	for _, g := range golden {
		t.Run(g.name, func(t *testing.T) {
			raw := unhex(t, g.hex)
			p, n, err := Decode(raw)
			require.NoError(t, err)
			assert.Equal(t, len(raw), n)
			assert.Equal(t, g.pkt, p)
			enc, err := AppendEncode(nil, g.pkt)
			require.NoError(t, err)
			assert.Equal(t, raw, enc)
		})
	}
}

func TestDecodeLeavesTrailingBytes(t *testing.T) {
	raw := unhex(t, "ef 01 ff ff ff ff 01 00 03 01 00 05 ef 01")
	p, n, err := Decode(raw)
	require.NoError(t, err)
	assert.Equal(t, 12, n)
	assert.Equal(t, PIDCommand, p.PID)
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", ErrIncomplete},
		{"first header byte", "ef", ErrIncomplete},
		{"short header", "ef 01 ff ff ff ff 01 00", ErrIncomplete},
		{"short contents", "ef 01 ff ff ff ff 01 00 03 01", ErrIncomplete},
		{"short checksum", "ef 01 ff ff ff ff 01 00 03 01 00", ErrIncomplete},
		{"not a header", "ee 01 ff ff ff ff 01 00 03 01 00 05", ErrBadHeader},
		{"second header byte", "ef 02 ff ff ff ff 01 00 03 01 00 05", ErrBadHeader},
		{"unknown pid", "ef 01 ff ff ff ff 03 00 03 01 00 07", ErrBadPID},
		{"no contents", "ef 01 ff ff ff ff 01 00 02 00 03", ErrBadLength},
		{"length below checksum", "ef 01 ff ff ff ff 01 00 01 00 02", ErrBadLength},
		{"contents above 256", "ef 01 ff ff ff ff 02 01 03", ErrBadLength},
		{"bad checksum", "ef 01 ff ff ff ff 01 00 03 01 00 06", ErrBadChecksum},
		{"checksum byte order", "ef 01 ff ff ff ff 01 00 03 01 05 00", ErrBadChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, n, err := Decode(unhex(t, tt.hex))
			assert.ErrorIs(t, err, tt.want)
			assert.Zero(t, n)
		})
	}
}

func TestDecodeLongestPacket(t *testing.T) {
	p := Packet{Addr: 1, PID: PIDData, Data: bytes.Repeat([]byte{0xAB}, MaxContents)}
	raw, err := AppendEncode(nil, p)
	require.NoError(t, err)
	assert.Len(t, raw, MaxPacketLen)
	got, n, err := Decode(raw)
	require.NoError(t, err)
	assert.Equal(t, MaxPacketLen, n)
	assert.Equal(t, p, got)
}

func TestEncodeRejects(t *testing.T) {
	tests := []struct {
		name string
		p    Packet
		want error
	}{
		{"unknown pid", Packet{PID: 0x03, Data: []byte{1}}, ErrBadPID},
		{"no contents", Packet{PID: PIDCommand}, ErrBadLength},
		{"too long", Packet{PID: PIDData, Data: make([]byte, MaxContents+1)}, ErrBadLength},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte{0x42}
			out, err := AppendEncode(dst, tt.p)
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, dst, out, "dst untouched")
		})
	}
}

func TestPacketString(t *testing.T) {
	for _, g := range golden {
		s := g.pkt.String()
		assert.NotEmpty(t, s)
		assert.False(t, strings.Contains(s, "%!"), s)
	}
	assert.Equal(t, "command GenImg addr=ffffffff len=1", golden[0].pkt.String())
	assert.Equal(t, "ack no finger addr=ffffffff len=1", golden[2].pkt.String())
}

func FuzzDecode(f *testing.F) {
	for _, g := range golden {
		f.Add(unhex(f, g.hex))
	}
	f.Add([]byte{0xef, 0x01, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, n, err := Decode(b)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v with n=%d", err, n)
			}
			if !errors.Is(err, ErrIncomplete) && !errors.Is(err, ErrBadHeader) && !errors.Is(err, ErrBadPID) &&
				!errors.Is(err, ErrBadLength) && !errors.Is(err, ErrBadChecksum) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("n=%d out of range", n)
		}
		enc, err := AppendEncode(nil, p)
		if err != nil {
			t.Fatalf("re-encode of accepted %v: %v", p, err)
		}
		if !bytes.Equal(enc, b[:n]) {
			t.Fatalf("round trip:\n got % x\nwant % x", enc, b[:n])
		}
		// The contents must parse or fail cleanly, never panic, and
		// round-trip what they accept.
		switch p.PID {
		case PIDCommand:
			if c, err := ParseCommand(p.Data); err == nil {
				if got := AppendCommand(nil, c); !bytes.Equal(got, p.Data) {
					t.Fatalf("command round trip: got % x want % x", got, p.Data)
				}
			}
		case PIDAck:
			for ins := range Instruction(0x20) {
				r, err := ParseReply(ins, p.Data)
				if err != nil {
					continue
				}
				if got := AppendReply(nil, CodeOK, r); !bytes.Equal(got, p.Data) {
					t.Fatalf("%v reply round trip: got % x want % x", ins, got, p.Data)
				}
			}
		}
	})
}
