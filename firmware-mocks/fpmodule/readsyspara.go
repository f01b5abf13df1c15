package fpmodule

import "menwei/devices/fpm"

// readSysPara answers ReadSysPara (0x0F) with the basic parameter list:
// status (bit 2 once the password is verified, bit 3 while the image
// buffer holds a valid image), system id 0x0009, the library capacity, the
// security level, the address, the packet size and the rate (as
// configured, or as SetSysPara last set them).
func (m *Module) readSysPara() []fpm.Packet {
	var status uint16
	if m.verified {
		status |= statusPassword
	}
	if m.image != nil {
		status |= statusImage
	}
	return m.ack(fpm.CodeOK, fpm.SysParams{
		Status:        status,
		SystemID:      systemID,
		Capacity:      uint16(len(m.slots)),
		SecurityLevel: uint16(m.params.securityLevel),
		Addr:          m.cfg.Addr,
		PacketSize:    m.params.packetSize,
		Baud:          m.params.baud,
	})
}
