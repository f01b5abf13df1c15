package fpmodule

import "menwei/devices/fpm"

// upChar answers UpChar (0x08): the acknowledgement, then the char buffer
// in data packets of the packet size (configured, or set by SetSysPara). A buffer nothing was made
// in is 0x0D, with no data packets.
func (m *Module) upChar(c fpm.UpChar) []fpm.Packet {
	buf := m.buffer(c.Buffer)
	switch {
	case buf == nil:
		return m.ack(fpm.CodePacket, nil)
	case *buf == nil:
		return m.ack(fpm.CodeUpload, nil)
	}
	data, err := fpm.SplitData(m.cfg.Addr, append([]byte(nil), *buf...), m.params.packetSize)
	if err != nil { // the packet size was validated by New and SetSysPara
		return m.ack(fpm.CodeUpload, nil)
	}
	return append(m.ack(fpm.CodeOK, nil), data...)
}
