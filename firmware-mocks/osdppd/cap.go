package osdppd

import "menwei/devices/osdp"

// capabilities answers CAP (osdp_CAP, capability codes of spec Annex B) with PDCAP, function codes in
// ascending order as libosdp lists them:
//
//	 1 contact status monitoring   compliance 1, number of inputs
//	 2 output control              compliance 1, number of outputs
//	 3 card data format            compliance 1 (raw bits)
//	 4 reader LED control          compliance 1, 2 LEDs
//	 5 reader audible output       compliance 1, 1 buzzer
//	 6 reader text output          compliance 1, 1 display
//	 8 check character support     compliance 1 (CRC-16)
//	 9 communication security      compliance 1 when it can open a secure channel, else 0
//	10 receive buffer size         bytes, little endian in compliance/number
//	14 biometrics                  compliance 1 (fingerprint, template 1); absent with NoBiometrics
//	16 OSDP version                compliance 2 (v2.2)
func (p *PD) capabilities() reply {
	sc := byte(0)
	if p.canSC() {
		sc = 1
	}
	rx := p.rxSize()
	caps := []osdp.Capability{
		{Function: osdp.CapContactStatus, Compliance: 1, Number: byte(len(p.inputs))},
		{Function: osdp.CapOutputControl, Compliance: 1, Number: byte(len(p.outputs))},
		{Function: osdp.CapCardFormat, Compliance: 1},
		{Function: osdp.CapReaderLED, Compliance: 1, Number: numLEDs},
		{Function: osdp.CapReaderAudible, Compliance: 1, Number: 1},
		{Function: osdp.CapReaderText, Compliance: 1, Number: 1},
		{Function: osdp.CapCheckCharacter, Compliance: 1},
		{Function: osdp.CapSecurity, Compliance: sc},
		{Function: osdp.CapReceiveBuffer, Compliance: byte(rx), Number: byte(rx >> 8)},
	}
	if !p.cfg.NoBiometrics {
		caps = append(caps, osdp.Capability{Function: osdp.CapBiometrics, Compliance: 1})
	}
	caps = append(caps, osdp.Capability{Function: osdp.CapOSDPVersion, Compliance: 2})
	return answer(osdp.PDCap{Caps: caps})
}
