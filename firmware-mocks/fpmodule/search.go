package fpmodule

import "menwei/devices/fpm"

// search answers Search (0x04): the library pages Start..Start+Count-1 (cut
// at the library's end) are searched for the finger in the char buffer; the
// first match answers its page and score. None is 0x09 with page and score
// 0; a start page beyond the library is 0x0B.
func (m *Module) search(c fpm.Search) []fpm.Packet {
	buf := m.buffer(c.Buffer)
	switch {
	case buf == nil:
		return m.ack(fpm.CodePacket, nil)
	case int(c.Start) >= len(m.slots):
		return m.ack(fpm.CodeBadPage, fpm.SearchReply{})
	}
	end := min(int(c.Start)+int(c.Count), len(m.slots))
	for page := int(c.Start); page < end; page++ {
		if s, ok := score(*buf, m.slots[page]); ok {
			return m.ack(fpm.CodeOK, fpm.SearchReply{Page: uint16(page), Score: s})
		}
	}
	return m.ack(fpm.CodeNotFound, fpm.SearchReply{})
}
