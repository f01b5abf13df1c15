package fpmodule

import "menwei/devices/fpm"

// download is a DownChar transfer in progress.
type download struct {
	buf     fpm.Buffer
	packets []fpm.Packet
	size    int
}

// downChar answers DownChar (0x09): the module acknowledges, then takes the
// data packets that follow into the char buffer (receive). A buffer the
// module does not have is 0x0E.
func (m *Module) downChar(c fpm.DownChar) []fpm.Packet {
	if m.buffer(c.Buffer) == nil {
		return m.ack(fpm.CodeDownload, nil)
	}
	m.down = &download{buf: c.Buffer}
	return m.ack(fpm.CodeOK, nil)
}

// receive takes a data packet. The last packet of a DownChar transfer
// fills the buffer; the data packets are not acknowledged. A transfer that
// grows past fpm.MaxTransfer is abandoned, and data packets with no
// DownChar before them are ignored.
func (m *Module) receive(p fpm.Packet) {
	d := m.down
	if d == nil {
		m.log.Debug("data packet without DownChar ignored")
		return
	}
	d.packets = append(d.packets, p)
	if d.size += len(p.Data); d.size > fpm.MaxTransfer {
		m.log.Debug("download abandoned: too long")
		m.down = nil
		return
	}
	if p.PID != fpm.PIDDataLast {
		return
	}
	m.down = nil
	b, err := fpm.JoinData(d.packets)
	if err != nil {
		m.log.Debug("download abandoned", "err", err)
		return
	}
	*m.buffer(d.buf) = b
}
