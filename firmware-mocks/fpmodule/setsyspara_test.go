package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestSetSysPara(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	params := func() fpm.SysParams { return h.reply(fpm.ReadSysPara{}).(fpm.SysParams) }

	h.ok(fpm.SetSysPara{Param: fpm.ParamBaud, Value: 12})
	h.ok(fpm.SetSysPara{Param: fpm.ParamSecurityLevel, Value: 5})
	h.ok(fpm.SetSysPara{Param: fpm.ParamPacketSize, Value: 0})
	p := params()
	assert.Equal(t, 115200, p.Baud)
	assert.Equal(t, uint16(5), p.SecurityLevel)
	assert.Equal(t, 32, p.PacketSize)

	// UpChar follows the new packet size.
	h.enrol(7, 0)
	ps := h.packets(fpm.UpChar{Buffer: fpm.CharBuffer1})
	require.Len(t, ps, 1+fpmodule.TemplateSize/32)
	assert.Len(t, ps[1].Data, 32)

	for _, v := range []byte{1, 2, 3} {
		h.ok(fpm.SetSysPara{Param: fpm.ParamPacketSize, Value: v})
		assert.Equal(t, 32<<v, params().PacketSize)
	}
	h.ok(fpm.SetSysPara{Param: fpm.ParamBaud, Value: 1})
	assert.Equal(t, 9600, params().Baud)
}

func TestSetSysParaRefuses(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	before := h.reply(fpm.ReadSysPara{})
	for name, c := range map[string]fpm.SetSysPara{
		"parameter 3":          {Param: 3, Value: 1},
		"parameter 7":          {Param: 7, Value: 1},
		"baud 0":               {Param: fpm.ParamBaud, Value: 0},
		"baud 13 × 9600":       {Param: fpm.ParamBaud, Value: 13},
		"security level 0":     {Param: fpm.ParamSecurityLevel, Value: 0},
		"security level 6":     {Param: fpm.ParamSecurityLevel, Value: 6},
		"packet size code 4":   {Param: fpm.ParamPacketSize, Value: 4},
		"packet size code 255": {Param: fpm.ParamPacketSize, Value: 255},
	} {
		assert.Equal(t, fpm.CodeBadRegister, h.code(c), name)
	}
	assert.Equal(t, before, h.reply(fpm.ReadSysPara{}), "nothing changed")
}

func TestSetSysParaGolden(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	cmd, _, err := fpm.Decode(unhex(t, "ef 01 ff ff ff ff 01 00 05 0e 06 02 00 1c"))
	require.NoError(t, err)
	assert.Equal(t, [][]byte{unhex(t, "ef 01 ff ff ff ff 07 00 03 00 00 0a")}, m.Handle(cmd))
	bad, _, err := fpm.Decode(unhex(t, "ef 01 ff ff ff ff 01 00 05 0e 09 01 00 1e"))
	require.NoError(t, err)
	assert.Equal(t, [][]byte{unhex(t, "ef 01 ff ff ff ff 07 00 03 1a 00 24")}, m.Handle(bad), "invalid register")
}

func TestWipeRestoresTheConfiguredParameters(t *testing.T) {
	m := newModule(t, fpmodule.Config{PacketSize: 64})
	h := newHost(t, m)
	h.ok(fpm.SetSysPara{Param: fpm.ParamPacketSize, Value: 3})
	m.Wipe()
	assert.Equal(t, 64, h.reply(fpm.ReadSysPara{}).(fpm.SysParams).PacketSize)
}
