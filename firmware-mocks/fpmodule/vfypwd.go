package fpmodule

import "menwei/devices/fpm"

// vfyPwd answers VfyPwd (0x13): the right password unlocks the module; a
// wrong one is 0x13 and locks it again.
func (m *Module) vfyPwd(c fpm.VfyPwd) []fpm.Packet {
	m.verified = c.Password == m.cfg.Password
	if !m.verified {
		return m.ack(fpm.CodeBadPassword, nil)
	}
	return m.ack(fpm.CodeOK, nil)
}
