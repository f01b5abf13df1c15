package osdppd

import (
	"bytes"

	"menwei/devices/osdp"
)

// keySet runs KEYSET (osdp_KEYSET, spec §6.16). It is accepted only through an
// established secure channel (else NAK 6): the PD answers a sealed ACK, then
// takes the new SCBK, leaves install mode and ends the session, so the CP
// opens the next one with the new key.
func (p *PD) keySet(m osdp.KeySet, secure bool) reply {
	if p.mode == Plaintext {
		return nak(osdp.NAKSCBUnsupported)
	}
	if !secure {
		return nak(osdp.NAKEncryptRequired)
	}
	key := bytes.Clone(m.Key)
	return reply{
		msg: osdp.Ack{},
		after: func() {
			p.key, p.install = key, false
			p.log.Info("new SCBK set by KEYSET")
			p.endSession("new key")
		},
	}
}
