package osdppd

import "menwei/devices/osdp"

// maxReports bounds the reports waiting for a POLL; beyond it the oldest is
// dropped, as a reader's event buffer would overflow.
const maxReports = 256

// poll answers POLL (osdp_POLL) with the oldest pending report — a card
// (RAW), keys (KEYPAD), a tamper or power change (LSTATR), an input change
// (ISTATR), outputs (OSTATR), a vendor reply (MFGREP) — or ACK when there is
// none. A lost reply is not lost: the CP's retry with the same sequence
// number gets the same bytes again.
func (p *PD) poll() reply {
	if len(p.reports) == 0 {
		return ack()
	}
	m := p.reports[0]
	p.reports = p.reports[1:]
	return answer(m)
}

// report queues m for a coming POLL.
func (p *PD) report(m osdp.Message) {
	if len(p.reports) >= maxReports {
		p.log.Warn("report dropped: queue full", "reply", osdp.CodeName(p.reports[0].Code(), true))
		p.reports = p.reports[1:]
	}
	p.reports = append(p.reports, m)
}
