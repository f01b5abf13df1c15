package fpmodule

import "menwei/devices/fpm"

// genImg answers GenImg (0x01): the finger on the sensor is captured into
// the image buffer. No finger is 0x02; a spoilt image (BadImage) is 0x06,
// and only a finger's image can be spoilt: an empty sensor answers 0x02 and
// leaves BadImage for the next finger. Either leaves the image buffer
// without a valid image.
func (m *Module) genImg() []fpm.Packet {
	switch {
	case m.badImage && m.present:
		m.badImage = false
		m.image = nil
		return m.ack(fpm.CodeDisorderly, nil)
	case !m.present:
		m.image = nil
		for _, seen := range m.lifts {
			close(seen)
		}
		m.lifts = nil
		return m.ack(fpm.CodeNoFinger, nil)
	}
	m.captures++
	m.image = &image{finger: m.finger, capture: m.captures}
	return m.ack(fpm.CodeOK, nil)
}
