package osdppd

import "menwei/devices/osdp"

// BIOREADR/BIOMATCHR status codes used by the sensor.
const (
	bioStatusTimeout = 1 // BIOREADR: no finger presented in time
)

// bioRead answers BIOREAD (osdp_BIOREAD, spec §6.17) at once with BIOREADR: the oldest
// sample queued by QueueBio, or status 1 (timeout) with no data.
// Without the sensor (Config.NoBiometrics) it is NAK 3.
func (p *PD) bioRead(m osdp.BioRead) reply {
	if h := p.cfg.Bio; h != nil {
		rep, reports := h.BioRead(m)
		for _, r := range reports {
			p.report(r)
		}
		return answer(rep)
	}
	if p.cfg.NoBiometrics || m.Reader != 0 {
		return nak(osdp.NAKUnknownCmd)
	}
	if len(p.bioSamples) == 0 {
		return answer(osdp.BioReadR{Reader: m.Reader, Status: bioStatusTimeout, Type: m.Type})
	}
	s := p.bioSamples[0]
	p.bioSamples = p.bioSamples[1:]
	return answer(s)
}

// bioMatchCmd answers BIOMATCH (osdp_BIOMATCH, spec §6.18) with BIOMATCHR: the result set
// by SetBioMatch, or "no match, score 0" when none was set. The template is
// neither kept beyond the command history nor logged.
func (p *PD) bioMatchCmd(m osdp.BioMatch) reply {
	if h := p.cfg.Bio; h != nil {
		return answer(h.BioMatch(m))
	}
	if p.cfg.NoBiometrics || m.Reader != 0 {
		return nak(osdp.NAKUnknownCmd)
	}
	if p.bioMatch == nil {
		return answer(osdp.BioMatchR{Reader: m.Reader, Type: m.Type})
	}
	return answer(*p.bioMatch)
}

// BioHandler lets a terminal built on this PD (a face terminal) answer
// BIOREAD and BIOMATCH itself instead of the scripted samples. Its methods
// run inside the PD's command handling: they must not call the PD's methods.
type BioHandler interface {
	// BioRead returns the direct reply (ACK, BIOREADR, NAK…) and reports
	// to deliver on the following POLLs (e.g. MFGREP captures).
	BioRead(osdp.BioRead) (reply osdp.Message, reports []osdp.Message)
	// BioMatch returns the reply to a 1:1 match request.
	BioMatch(osdp.BioMatch) osdp.Message
}
