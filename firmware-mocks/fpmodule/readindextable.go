package fpmodule

import "menwei/devices/fpm"

// indexPages is how many index pages ReadIndexTable answers, 256 library
// pages each.
const indexPages = 4

// readIndexTable answers ReadIndexTable (0x1F): the bitmap of used library
// pages 256n..256n+255 for index page n, least significant bit first. Index
// pages above 3 are 0x0B.
func (m *Module) readIndexTable(c fpm.ReadIndexTable) []fpm.Packet {
	if c.Page >= indexPages {
		return m.ack(fpm.CodeBadPage, nil)
	}
	var t fpm.IndexTable
	first := int(c.Page) * fpm.PagesPerIndex
	for page := first; page < min(first+fpm.PagesPerIndex, len(m.slots)); page++ {
		if m.slots[page] != nil {
			t.Set(page)
		}
	}
	return m.ack(fpm.CodeOK, t)
}
