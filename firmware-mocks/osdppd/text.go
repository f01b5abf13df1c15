package osdppd

import "menwei/devices/osdp"

// showText runs TEXT (osdp_TEXT, spec §6.12): the display keeps the last text sent to
// reader 0 (another reader is NAK 3).
func (p *PD) showText(m osdp.Text) reply {
	if m.Reader != 0 {
		return nak(osdp.NAKUnknownCmd)
	}
	p.text = m
	return ack()
}
