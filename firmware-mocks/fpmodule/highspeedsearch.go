package fpmodule

import "menwei/devices/fpm"

// highSpeedSearch answers HighSpeedSearch (0x1B). A real module may search
// its library in another order, or faster; this one does exactly what
// Search does, with the same answers and the same timing.
func (m *Module) highSpeedSearch(c fpm.HighSpeedSearch) []fpm.Packet {
	return m.search(fpm.Search(c))
}
