package osdppd

// identify answers ID (osdp_ID) with PDID: vendor OUI, model, version,
// serial number and firmware version from Config.Identity.
func (p *PD) identify() reply { return answer(p.cfg.Identity) }
