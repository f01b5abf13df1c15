package fpmodule

import "menwei/devices/fpm"

// regModel answers RegModel (0x05): the char files in buffers 1 and 2 are
// merged into a template, written back to both. Char files of different
// fingers (or an empty buffer) are 0x0A and leave the buffers as they were.
func (m *Module) regModel() []fpm.Packet {
	t, ok := merge(m.bufs[fpm.CharBuffer1], m.bufs[fpm.CharBuffer2])
	if !ok {
		return m.ack(fpm.CodeMergeFailed, nil)
	}
	m.bufs[fpm.CharBuffer1] = t
	m.bufs[fpm.CharBuffer2] = append([]byte(nil), t...)
	return m.ack(fpm.CodeOK, nil)
}
