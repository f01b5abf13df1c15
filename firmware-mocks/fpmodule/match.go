package fpmodule

import "menwei/devices/fpm"

// match answers Match (0x03): char buffers 1 and 2 are compared. The same
// finger answers its score; anything else is 0x08 with score 0.
func (m *Module) match() []fpm.Packet {
	s, ok := score(m.bufs[fpm.CharBuffer1], m.bufs[fpm.CharBuffer2])
	if !ok {
		return m.ack(fpm.CodeNoMatch, fpm.MatchReply{})
	}
	return m.ack(fpm.CodeOK, fpm.MatchReply{Score: s})
}
