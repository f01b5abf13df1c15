package fpmodule

import "menwei/devices/fpm"

// loadChar answers LoadChar (0x07): a library page is read into the char
// buffer. A page beyond the library is 0x0B; an empty page is 0x0C.
func (m *Module) loadChar(c fpm.LoadChar) []fpm.Packet {
	buf := m.buffer(c.Buffer)
	switch {
	case buf == nil:
		return m.ack(fpm.CodePacket, nil)
	case int(c.Page) >= len(m.slots):
		return m.ack(fpm.CodeBadPage, nil)
	case m.slots[c.Page] == nil:
		return m.ack(fpm.CodeReadTemplate, nil)
	}
	*buf = append([]byte(nil), m.slots[c.Page]...)
	return m.ack(fpm.CodeOK, nil)
}
