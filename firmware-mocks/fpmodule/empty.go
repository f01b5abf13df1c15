package fpmodule

import "menwei/devices/fpm"

// empty answers Empty (0x0D): every library page is emptied. The char
// buffers keep what they hold.
func (m *Module) empty() []fpm.Packet {
	clear(m.slots)
	return m.ack(fpm.CodeOK, nil)
}
