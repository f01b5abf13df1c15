package osdppd

import "menwei/devices/osdp"

// acuRxSizeCmd runs ACURXSIZE (osdp_ACURXSIZE): the CP's largest accepted
// reply is recorded and ACKed. No reply of this PD comes near it.
func (p *PD) acuRxSizeCmd(m osdp.ACURxSize) reply {
	p.acuRxSize = m.Size
	return ack()
}

// keepActive runs KEEPACTIVE (osdp_KEEPACTIVE): there is no card session to keep
// open on this reader, so it is simply ACKed.
func (p *PD) keepActive(osdp.KeepActive) reply { return ack() }
