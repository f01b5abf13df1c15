package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestReadSysParaFactory(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	cmd, _, err := fpm.Decode(unhex(t, "ef 01 ff ff ff ff 01 00 03 0f 00 13"))
	assert.NoError(t, err)
	assert.Equal(t, [][]byte{unhex(t,
		"ef 01 ff ff ff ff 07 00 13 00 00 00 00 09 01 2c 00 03 ff ff ff ff 00 02 00 06 04 57")}, m.Handle(cmd))
}

func TestReadSysParaConfigured(t *testing.T) {
	m := newModule(t, fpmodule.Config{Slots: 1000, Addr: 0x01020304, Password: 9, PacketSize: 256,
		SecurityLevel: 5, Baud: 115200})
	h := newHost(t, m)
	h.addr = 0x01020304
	h.ok(fpm.VfyPwd{Password: 9})
	m.PutFinger(1)
	h.ok(fpm.GenImg{})
	assert.Equal(t, fpm.SysParams{Status: 0x0C, SystemID: 9, Capacity: 1000, SecurityLevel: 5,
		Addr: 0x01020304, PacketSize: 256, Baud: 115200}, h.reply(fpm.ReadSysPara{}))
}
