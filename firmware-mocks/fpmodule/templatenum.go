package fpmodule

import "menwei/devices/fpm"

// templateNum answers TemplateNum (0x1D): how many library pages are used.
func (m *Module) templateNum() []fpm.Packet {
	n := 0
	for _, s := range m.slots {
		if s != nil {
			n++
		}
	}
	return m.ack(fpm.CodeOK, fpm.TemplateCount{Count: uint16(n)})
}
