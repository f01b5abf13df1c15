package osdppd_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// rawFrame builds command bytes by hand, for frames osdp.AppendEncode
// refuses to build: SOM, address, length, control, the security block
// (type and data, without its length byte) when scb is not nil, the code,
// the data, then a CRC-16 (crc) or a checksum. No MAC is appended.
func rawFrame(addr, ctrl byte, scb []byte, code byte, data []byte, crc bool) []byte {
	b := []byte{osdp.SOM, addr, 0, 0, ctrl}
	if crc {
		b[4] |= 0x04
	}
	if scb != nil {
		b[4] |= 0x08
		b = append(b, byte(len(scb)+1))
		b = append(b, scb...)
	}
	b = append(b, code)
	b = append(b, data...)
	n := len(b) + 1
	if crc {
		n++
	}
	b[2], b[3] = byte(n), byte(n>>8)
	if crc {
		c := osdp.CRC16(b)
		return append(b, byte(c), byte(c>>8))
	}
	return append(b, osdp.Checksum(b))
}

// serveBytes runs Serve over the given command bytes until they run out and
// returns the replies it wrote, in order.
func serveBytes(t *testing.T, in []byte, pds ...*osdppd.PD) []osdp.Frame {
	t.Helper()
	var out bytes.Buffer
	err := osdppd.Serve(context.Background(), struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(in), &out}, pds...)
	require.ErrorIs(t, err, io.EOF)
	var replies []osdp.Frame
	r := osdp.NewReader(&out)
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return replies
		}
		require.NoError(t, err)
		replies = append(replies, f)
	}
}

// TestServeAnswersLikeARealPD checks every receive error path of the
// emulator on the wire against what a real PD (libosdp's, src/osdp_phy.c)
// does: frames it cannot trust or that are not its own get silence; frames
// it can read but not serve get the NAK that tells the CP why.
func TestServeAnswersLikeARealPD(t *testing.T) {
	scbk := key16(t, testKey)
	poll := encode(t, osdp.Frame{Addr: 1, Seq: 0, CRC: true, Code: osdp.CmdPOLL})
	badCRC := bytes.Clone(poll)
	badCRC[len(badCRC)-1] ^= 0xFF
	badSum := encode(t, osdp.Frame{Addr: 1, Seq: 0, CRC: false, Code: osdp.CmdPOLL})
	badSum[len(badSum)-1] ^= 0xFF

	const silent = -2
	for _, tc := range []struct {
		name string
		cfg  osdppd.Config
		in   []byte
		nak  int // silent, -1 for a reply that is not a NAK, else the NAK code
	}{
		// A CP's first POLL marked SCS_15 before any session, without the
		// MAC there is no session to make: NAK 6 says "set the secure
		// channel up first" (spec Table 49; libosdp: SC not active and
		// SCB type above SCS_14).
		{"SCS_15 POLL without MAC, no session", osdppd.Config{Addr: 1, SCBK: scbk[:]},
			rawFrame(1, 0, []byte{osdp.SCS15}, osdp.CmdPOLL, nil, true), int(osdp.NAKEncryptRequired)},
		{"SCS_17 ID without MAC, no session", osdppd.Config{Addr: 1, SCBK: scbk[:]},
			rawFrame(1, 0, []byte{osdp.SCS17}, osdp.CmdID, []byte{0}, true), int(osdp.NAKEncryptRequired)},
		{"SCS_15 POLL without MAC, checksum", osdppd.Config{Addr: 1, Install: true},
			rawFrame(1, 0, []byte{osdp.SCS15}, osdp.CmdPOLL, nil, false), int(osdp.NAKEncryptRequired)},
		// A PD that cannot open a secure channel at all says so (NAK 5).
		{"SCS_15 POLL without MAC, PD without a key", osdppd.Config{Addr: 1},
			rawFrame(1, 0, []byte{osdp.SCS15}, osdp.CmdPOLL, nil, true), int(osdp.NAKSCBUnsupported)},
		{"security block of an unknown type", osdppd.Config{Addr: 1, SCBK: scbk[:]},
			rawFrame(1, 0, []byte{0x19}, osdp.CmdPOLL, nil, true), int(osdp.NAKEncryptRequired)},
		{"unknown command", osdppd.Config{Addr: 1, Install: true},
			rawFrame(1, 0, nil, 0x7F, nil, true), int(osdp.NAKUnknownCmd)},
		{"bad CRC", osdppd.Config{Addr: 1, Install: true}, badCRC, silent},
		{"bad checksum", osdppd.Config{Addr: 1, Install: true}, badSum, silent},
		{"another address", osdppd.Config{Addr: 2, Install: true}, poll, silent},
		{"reply bit set", osdppd.Config{Addr: 1, Install: true},
			rawFrame(1|0x80, 0, nil, osdp.CmdPOLL, nil, true), silent},
		{"a PD's reply at our address", osdppd.Config{Addr: 1, Install: true},
			rawFrame(1|0x80, 0, nil, osdp.ReplyACK, nil, true), silent},
		{"plain POLL", osdppd.Config{Addr: 1, Install: true}, poll, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPD(t, tc.cfg)
			// A plaintext ID to address 1 follows, so that silence is told
			// from a reader that stalled: it must be the last reply, if
			// the PD is at address 1.
			follow := encode(t, osdp.Frame{Addr: 1, Seq: 0, CRC: true, Code: osdp.CmdID, Data: []byte{0}})
			replies := serveBytes(t, append(bytes.Clone(tc.in), follow...), p)
			if tc.cfg.Addr == 1 {
				require.NotEmpty(t, replies)
				assert.Equal(t, byte(osdp.ReplyPDID), replies[len(replies)-1].Code, "the frame after it is answered")
				replies = replies[:len(replies)-1]
			}
			if tc.nak == silent {
				assert.Empty(t, replies, "a real PD stays silent")
				return
			}
			require.Len(t, replies, 1)
			r := replies[0]
			assert.True(t, r.Reply)
			assert.Equal(t, tc.cfg.Addr, r.Addr)
			assert.Equal(t, byte(0), r.Seq)
			assert.Nil(t, r.SCB, "the answer is plaintext")
			assert.Equal(t, tc.nak, nakCode(r))
		})
	}
}

// TestMissingMACEndsASession: under a session, a frame whose security block
// wants a MAC it does not carry is a bad MAC: the session ends with NAK 6.
func TestMissingMACEndsASession(t *testing.T) {
	scbk := key16(t, testKey)
	p := newPD(t, osdppd.Config{SCBK: scbk[:]})
	c := newCP(t, p)
	c.handshake(scbk, osdp.KeySelSCBK)
	r := decode(t, p.Handle(osdp.Frame{Addr: 0, Seq: c.next(), CRC: true, SCB: []byte{osdp.SCS15}, Code: osdp.CmdPOLL}))
	assert.Nil(t, r.SCB)
	assert.Equal(t, osdp.NAKEncryptRequired, nakCode(r))
	assert.False(t, p.SCActive())
}

// FuzzDecodeCommand: the PD's receiver never panics, never claims more bytes
// than it was given, and whatever osdp.Decode accepts it returns unchanged.
func FuzzDecodeCommand(f *testing.F) {
	f.Add(rawFrame(1, 0, []byte{osdp.SCS15}, osdp.CmdPOLL, nil, true))
	f.Add(rawFrame(1, 1, []byte{osdp.SCS17}, osdp.CmdID, []byte{0}, false))
	f.Add(rawFrame(1, 0, []byte{osdp.SCS11, 0}, osdp.CmdCHLNG, make([]byte, 8), true))
	f.Add([]byte{osdp.Mark, osdp.SOM, 1, 9, 0, 0x0C, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, n, err := osdppd.DecodeCommand(b)
		want, wn, werr := osdp.Decode(b)
		if werr == nil {
			require.NoError(t, err)
			assert.Equal(t, want, got)
			assert.Equal(t, wn, n)
			return
		}
		if err != nil {
			return
		}
		require.LessOrEqual(t, n, len(b))
		require.NotEmpty(t, got.SCB)
		assert.Nil(t, got.MAC)
		assert.True(t, got.SCB[0] >= osdp.SCS15 && got.SCB[0] <= osdp.SCS18, "only a MAC-carrying security block is added")
	})
}
