package fpmodule

import "menwei/devices/fpm"

// deleteChar answers DeleteChar (0x0C): Count library pages from Page on
// are emptied; empty pages among them are no error. A start page beyond
// the library is 0x0B; zero pages, or pages past its end, are 0x10 and
// delete nothing.
func (m *Module) deleteChar(c fpm.DeleteChar) []fpm.Packet {
	start, end := int(c.Page), int(c.Page)+int(c.Count)
	switch {
	case start >= len(m.slots):
		return m.ack(fpm.CodeBadPage, nil)
	case c.Count == 0 || end > len(m.slots):
		return m.ack(fpm.CodeDelete, nil)
	}
	clear(m.slots[start:end])
	return m.ack(fpm.CodeOK, nil)
}
