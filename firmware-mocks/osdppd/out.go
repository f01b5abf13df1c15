package osdppd

import (
	"time"

	"menwei/devices/osdp"
)

// output is one relay or open-collector output: a permanent state and,
// while a timed operation runs, a temporary one.
type output struct {
	perm  bool
	temp  bool
	until time.Time // end of the timed operation; zero when none runs
}

// at is the state of the output at time now.
func (o output) at(now time.Time) bool {
	if o.timed(now) {
		return o.temp
	}
	return o.perm
}

func (o output) timed(now time.Time) bool { return !o.until.IsZero() && now.Before(o.until) }

// apply runs one OUT record (osdp_OUT, spec §6.8):
//
//	0 no change
//	1 permanent off, abort a timed operation
//	2 permanent on, abort a timed operation
//	3 permanent off, let a timed operation finish
//	4 permanent on, let a timed operation finish
//	5 on for Timer × 100 ms, then back to the permanent state
//	6 off for Timer × 100 ms, then back to the permanent state
func (o *output) apply(r osdp.OutRecord, now time.Time) {
	switch r.Control {
	case osdp.OutPermOffAbort, osdp.OutPermOnAbort:
		o.perm = r.Control == osdp.OutPermOnAbort
		o.until = time.Time{}
	case osdp.OutPermOffAllow, osdp.OutPermOnAllow:
		o.perm = r.Control == osdp.OutPermOnAllow
	case osdp.OutTempOnThenOff, osdp.OutTempOffThenOn:
		o.temp = r.Control == osdp.OutTempOnThenOff
		o.until = now.Add(time.Duration(r.Timer) * 100 * time.Millisecond)
	}
}

// out runs OUT. Every record is checked before any is applied: a missing
// output is NAK 3 and changes nothing.
func (p *PD) out(m osdp.Out) reply {
	for _, r := range m.Records {
		if int(r.Output) >= len(p.outputs) {
			return nak(osdp.NAKUnknownCmd)
		}
	}
	now := p.cfg.Now()
	for _, r := range m.Records {
		p.outputs[r.Output].apply(r, now)
	}
	return ack()
}
