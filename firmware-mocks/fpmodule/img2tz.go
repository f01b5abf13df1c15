package fpmodule

import "menwei/devices/fpm"

// img2Tz answers Img2Tz (0x02): the image buffer becomes a char file in
// char buffer 1 or 2. No image is 0x15; a spoilt one (BadImage) is 0x06.
func (m *Module) img2Tz(c fpm.Img2Tz) []fpm.Packet {
	buf := m.buffer(c.Buffer)
	switch {
	case buf == nil:
		return m.ack(fpm.CodePacket, nil)
	case m.badImage:
		m.badImage = false
		return m.ack(fpm.CodeDisorderly, nil)
	case m.image == nil:
		return m.ack(fpm.CodeNoImage, nil)
	}
	*buf = charFile(m.image.finger, m.image.capture)
	return m.ack(fpm.CodeOK, nil)
}
