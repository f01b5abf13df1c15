package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestAddressing(t *testing.T) {
	m := newModule(t, fpmodule.Config{Addr: 0x11223344})
	assert.Nil(t, m.Handle(fpm.NewCommand(fpm.DefaultAddr, fpm.TemplateNum{})), "another module's command")
	h := newHost(t, m)
	h.addr = 0x11223344
	ps := h.packets(fpm.TemplateNum{})
	assert.Equal(t, uint32(0x11223344), ps[0].Addr, "answers from its own address")
}

func TestPacketsThatGetNoAnswer(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	assert.Nil(t, m.Handle(fpm.Packet{Addr: fpm.DefaultAddr, PID: fpm.PIDAck, Data: []byte{0}}))
	assert.Nil(t, m.Handle(fpm.Packet{Addr: fpm.DefaultAddr, PID: fpm.PIDData, Data: []byte{0}}))
}

func TestUnknownOrMalformedCommand(t *testing.T) {
	h := newHost(t, newModule(t, fpmodule.Config{}))
	for name, contents := range map[string][]byte{
		"unknown instruction": {0x40},
		"short parameters":    {0x06, 0x01},
		"extra parameters":    {0x01, 0x00},
	} {
		ps := h.send(fpm.Packet{Addr: fpm.DefaultAddr, PID: fpm.PIDCommand, Data: contents})
		assert.Equal(t, []fpm.Packet{{Addr: fpm.DefaultAddr, PID: fpm.PIDAck, Data: []byte{byte(fpm.CodePacket)}}}, ps, name)
	}
}

func TestConfigValidation(t *testing.T) {
	for name, cfg := range map[string]fpmodule.Config{
		"slots":          {Slots: 1025},
		"negative slots": {Slots: -1},
		"packet size":    {PacketSize: 100},
		"security level": {SecurityLevel: 6},
		"baud":           {Baud: 12345},
	} {
		_, err := fpmodule.New(cfg)
		assert.Error(t, err, name)
	}
}
