package fpm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGoldenReplies(t *testing.T) {
	for _, g := range golden {
		if g.pkt.PID != PIDAck {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			r, err := ParseReply(g.ins, g.pkt.Data)
			if g.code != CodeOK {
				var ce *ConfirmError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, &ConfirmError{Cmd: g.ins, Code: g.code}, ce)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, g.reply, r)
			assert.Equal(t, g.pkt.Data, AppendReply(nil, CodeOK, g.reply))
		})
	}
}

func TestReplyRoundTrip(t *testing.T) {
	tests := []struct {
		ins Instruction
		r   Reply
	}{
		{InsGenImg, Ack{}},
		{InsMatch, MatchReply{Score: 0x1234}},
		{InsSearch, SearchReply{Page: 299, Score: 200}},
		{InsTemplateNum, TemplateCount{Count: 1000}},
		{InsReadIndexTable, IndexTable{Bits: [32]byte{1, 2, 3, 31: 0x80}}},
		{InsReadSysPara, SysParams{Status: 0x000C, SystemID: 9, Capacity: 1000, SecurityLevel: 5,
			Addr: 0x01020304, PacketSize: 32, Baud: 115200}},
		{InsReadSysPara, SysParams{PacketSize: 256, Baud: 9600}},
	}
	for _, tt := range tests {
		t.Run(tt.ins.String(), func(t *testing.T) {
			b := AppendReply(nil, CodeOK, tt.r)
			got, err := ParseReply(tt.ins, b)
			require.NoError(t, err)
			assert.Equal(t, tt.r, got)
		})
	}
}

func TestParseReplyErrors(t *testing.T) {
	_, err := ParseReply(InsGenImg, nil)
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = ParseReply(InsSearch, []byte{0, 0, 5})
	assert.ErrorIs(t, err, ErrMalformed, "a successful Search without its score")
	_, err = ParseReply(InsGenImg, []byte{0, 1})
	assert.ErrorIs(t, err, ErrMalformed, "parameters where none belong")
	sp := AppendReply(nil, CodeOK, SysParams{PacketSize: 128})
	sp[1+12], sp[1+13] = 0, 4
	_, err = ParseReply(InsReadSysPara, sp)
	assert.ErrorIs(t, err, ErrMalformed, "packet size code 4")

	// A failure is a ConfirmError with or without parameters after it.
	_, err = ParseReply(InsSearch, []byte{0x09})
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = ParseReply(InsMatch, []byte{0x08, 0, 0})
	assert.ErrorIs(t, err, ErrNoMatch)
}

func TestIndexTableUsed(t *testing.T) {
	var it IndexTable
	for _, p := range []int{0, 7, 8, 255, 256 + 9} {
		it.Set(p)
	}
	assert.Equal(t, []int{0, 7, 8, 9, 255}, it.Used(0))
	assert.Equal(t, []int{512, 519, 520, 521, 767}, it.Used(2))
	assert.Equal(t, byte(0x81), it.Bits[0], "least significant bit first")
}

func TestPacketSizeCode(t *testing.T) {
	for code, size := range []int{32, 64, 128, 256} {
		c, ok := PacketSizeCode(size)
		assert.True(t, ok)
		assert.Equal(t, uint16(code), c)
	}
	_, ok := PacketSizeCode(100)
	assert.False(t, ok)
}
