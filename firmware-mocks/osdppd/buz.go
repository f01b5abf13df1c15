package osdppd

import "menwei/devices/osdp"

// buzzer runs BUZ (osdp_BUZ, spec §6.11): the reader's one buzzer takes the tone,
// on/off times and count as given. Only reader 0 exists (else NAK 3).
func (p *PD) buzzer(m osdp.Buz) reply {
	if m.Reader != 0 {
		return nak(osdp.NAKUnknownCmd)
	}
	p.buzz = m
	return ack()
}
