package fpmodule

import "menwei/devices/fpm"

// store answers Store (0x06): the char buffer is written to a library page,
// replacing what was there. A page beyond the library is 0x0B; a buffer
// nothing was made in is 0x0C.
func (m *Module) store(c fpm.Store) []fpm.Packet {
	buf := m.buffer(c.Buffer)
	switch {
	case buf == nil:
		return m.ack(fpm.CodePacket, nil)
	case int(c.Page) >= len(m.slots):
		return m.ack(fpm.CodeBadPage, nil)
	case *buf == nil:
		return m.ack(fpm.CodeReadTemplate, nil)
	}
	m.slots[c.Page] = append([]byte(nil), *buf...)
	return m.ack(fpm.CodeOK, nil)
}
