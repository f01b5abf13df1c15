package osdppd

import "menwei/devices/osdp"

// localStatus answers LSTAT (osdp_LSTAT) with LSTATR: tamper and power.
func (p *PD) localStatus() reply { return answer(p.localStatusReport()) }

// inputStatus answers ISTAT (osdp_ISTAT) with ISTATR: one byte per input.
func (p *PD) inputStatus() reply { return answer(p.inputReport()) }

// outputStatus answers OSTAT (osdp_OSTAT) with OSTATR: one byte per output,
// timed operations applied at the current time.
func (p *PD) outputStatus() reply { return answer(p.outputReport()) }

// readerStatus answers RSTAT (osdp_RSTAT) with RSTATR: the one built-in reader
// is never tampered.
func (p *PD) readerStatus() reply { return answer(osdp.RStatR{Readers: []byte{0}}) }

func (p *PD) localStatusReport() osdp.LStatR {
	return osdp.LStatR{Tamper: b2u(p.tamper), Power: b2u(p.powerFail)}
}

func (p *PD) inputReport() osdp.IStatR {
	r := osdp.IStatR{Inputs: make([]byte, len(p.inputs))}
	for i, on := range p.inputs {
		r.Inputs[i] = b2u(on)
	}
	return r
}

func (p *PD) outputReport() osdp.OStatR {
	now := p.cfg.Now()
	r := osdp.OStatR{Outputs: make([]byte, len(p.outputs))}
	for i, o := range p.outputs {
		r.Outputs[i] = b2u(o.at(now))
	}
	return r
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}
