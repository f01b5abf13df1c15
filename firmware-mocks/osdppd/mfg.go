package osdppd

import "menwei/devices/osdp"

// mfg runs MFG (osdp_MFG): the vendor command is recorded in the history
// and ACKed. A vendor answer, when a test wants one, is queued with
// QueueMfgReply and reaches the CP as MFGREP on a POLL.
func (p *PD) mfg(osdp.Mfg) reply { return ack() }
