package osdppd

import "menwei/devices/osdp"

// comSet runs COMSET (osdp_COMSET): the PD answers COM with the new address
// and baud rate from its old address, then listens on the new address only.
// The baud rate is recorded; a pseudo-terminal has no speed to change.
func (p *PD) comSet(m osdp.ComSet) reply {
	return reply{
		msg: osdp.Com(m),
		after: func() {
			p.log.Info("address changed by COMSET", "from", p.addr, "to", m.Addr, "baud", m.Baud)
			p.addr, p.baud = m.Addr, m.Baud
		},
	}
}
