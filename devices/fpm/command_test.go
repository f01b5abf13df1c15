package fpm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGoldenCommands(t *testing.T) {
	for _, g := range golden {
		if g.cmd == nil {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			c, err := ParseCommand(g.pkt.Data)
			require.NoError(t, err)
			assert.Equal(t, g.cmd, c)
			assert.Equal(t, g.pkt, NewCommand(g.pkt.Addr, g.cmd))
		})
	}
}

// Every command round-trips through its contents.
func TestCommandRoundTrip(t *testing.T) {
	cmds := []Command{
		GenImg{}, Img2Tz{CharBuffer2}, Match{}, Search{CharBuffer2, 0x0102, 0x0304},
		RegModel{}, Store{CharBuffer1, 0xBEEF}, LoadChar{CharBuffer2, 299},
		UpChar{CharBuffer1}, DownChar{CharBuffer2}, DeleteChar{0x1234, 0x5678}, Empty{},
		ReadSysPara{}, VfyPwd{0xDEADBEEF}, TemplateNum{}, ReadIndexTable{3},
		UpImage{}, SetSysPara{ParamPacketSize, 3}, HighSpeedSearch{CharBuffer1, 0x0506, 0x0708},
	}
	seen := map[Instruction]bool{}
	for _, c := range cmds {
		b := AppendCommand(nil, c)
		assert.Equal(t, byte(c.Instruction()), b[0])
		assert.Len(t, b, 1+paramLen[c.Instruction()], "%v", c.Instruction())
		got, err := ParseCommand(b)
		require.NoError(t, err)
		assert.Equal(t, c, got)
		seen[c.Instruction()] = true
	}
	assert.Len(t, seen, len(paramLen), "every instruction tested")
}

func TestParseCommandErrors(t *testing.T) {
	tests := []struct {
		name     string
		contents []byte
		want     error
	}{
		{"empty", nil, ErrMalformed},
		{"unknown instruction", []byte{0x40}, ErrUnknownInstruction},
		{"Img2Tz without buffer", []byte{0x02}, ErrMalformed},
		{"GenImg with a parameter", []byte{0x01, 0x00}, ErrMalformed},
		{"Search short", []byte{0x04, 0x01, 0x00, 0x00, 0x01}, ErrMalformed},
		{"VfyPwd short", []byte{0x13, 0, 0, 0}, ErrMalformed},
		{"SetSysPara without value", []byte{0x0e, 0x06}, ErrMalformed},
		{"UpImage with a parameter", []byte{0x0a, 0x01}, ErrMalformed},
		{"HighSpeedSearch short", []byte{0x1b, 0x01, 0x00, 0x00, 0x01}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCommand(tt.contents)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

func TestInstructionString(t *testing.T) {
	assert.Equal(t, "ReadIndexTable", InsReadIndexTable.String())
	assert.Equal(t, "instruction 0x40", Instruction(0x40).String())
}
