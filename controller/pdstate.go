package controller

import (
	"context"
	"errors"
	"time"

	"menwei/devices/osdp"
)

// What the controller remembers of each PD's own state between its reports:
// the tamper switch and the power supply (LSTATR), and whether its inputs
// are known yet (ISTATR). Each PD's pdState (pdRT.st) is owned by its bus's
// event goroutine: everything in this file runs there, so none of it locks.
type pdState struct {
	tamperKnown, tamper bool
	powerKnown, power   bool // power: the PD reports a power failure

	// The input status request sent when the PD came online. A PD that
	// NAKs it (one not ready yet, or without a status handler) is asked
	// again after istatWait, doubling up to istatMaxWait, until it answers
	// or its inputs arrive on a POLL: a door contact must not stay unknown.
	istatReq     uint64
	inputsKnown  bool
	istatDue     time.Time // zero: no retry planned
	istatWait    time.Duration
	istatRetries int
}

const (
	istatFirstWait = time.Second
	istatMaxWait   = time.Minute
)

// Event kinds for the changes of LSTATR, besides KindPDTamper and KindPDPower.
const (
	KindPDTamperCleared = "pd.tamper_cleared"
	KindPDPowerRestored = "pd.power_restored"
)

// localStatus records the tamper and power states of a PD when they change,
// in both directions. A PD that reports the same state on every poll (or on
// every LSTAT) records it once; a first report of "all well" records
// nothing, a first report of tamper or power failure records it.
func (c *Controller) localStatus(ctx context.Context, k pdKey, m osdp.LStatR) {
	pd := c.pd(k)
	if pd == nil {
		return
	}
	name, s := pd.name, &pd.st
	tamper, power := m.Tamper != 0, m.Power != 0
	tamperChanged := s.tamperKnown && s.tamper != tamper || !s.tamperKnown && tamper
	powerChanged := s.powerKnown && s.power != power || !s.powerKnown && power
	s.tamperKnown, s.tamper = true, tamper
	s.powerKnown, s.power = true, power
	switch {
	case tamperChanged && tamper:
		c.record(ctx, Event{Kind: KindPDTamper, PD: name, Detail: "tamper", Alarm: true})
	case tamperChanged:
		c.record(ctx, Event{Kind: KindPDTamperCleared, PD: name, Detail: "tamper cleared"})
	}
	switch {
	case powerChanged && power:
		c.record(ctx, Event{Kind: KindPDPower, PD: name, Detail: "power failure", Alarm: true})
	case powerChanged:
		c.record(ctx, Event{Kind: KindPDPowerRestored, PD: name, Detail: "power restored"})
	}
}

// askInputs sends the PD an input status request (at online, and on retry).
//
// It runs on the bus's event goroutine, the same one that handles the
// answer (statusResult): the request is noted before its answer can be
// looked at, so a quick NAK is always recognised and a retry planned. The
// loop serves Submit even while it waits to hand out events.
func (c *Controller) askInputs(ctx context.Context, k pdKey, loop pdSubmitter) {
	pd := c.pd(k)
	if pd == nil {
		return
	}
	id, err := loop.Submit(ctx, k.addr, osdp.IStat{})
	s := &pd.st
	if err != nil {
		c.log.Debug("input status request failed", "pd", c.pdName[k], "err", err)
		s.istatReq = 0
		return
	}
	s.istatReq, s.istatDue = id, time.Time{}
}

// inputsOnline starts learning a PD's inputs afresh when it comes online.
func (c *Controller) inputsOnline(k pdKey) {
	pd := c.pd(k)
	if pd == nil {
		return
	}
	s := &pd.st
	s.inputsKnown, s.istatDue, s.istatWait, s.istatRetries = false, time.Time{}, 0, 0
}

// inputsArrived notes that a PD's inputs are known (ISTATR, solicited or not).
func (c *Controller) inputsArrived(k pdKey) {
	pd := c.pd(k)
	if pd == nil {
		return
	}
	s := &pd.st
	s.inputsKnown, s.istatDue = true, time.Time{}
}

// statusResult handles the outcome of an input status request and reports
// whether the result was one. A refusal plans a retry; an offline PD is
// asked again when it comes back.
func (c *Controller) statusResult(k pdKey, e osdp.Event) bool {
	pd := c.pd(k)
	if pd == nil || pd.st.istatReq == 0 || pd.st.istatReq != e.Req {
		return false
	}
	s := &pd.st
	s.istatReq = 0
	if e.Err == nil || errors.Is(e.Err, osdp.ErrOffline) || s.inputsKnown {
		return true
	}
	s.istatWait = min(max(2*s.istatWait, istatFirstWait), istatMaxWait)
	s.istatDue = c.now().Add(s.istatWait)
	s.istatRetries++
	if s.istatRetries == 1 || s.istatRetries%10 == 0 {
		c.log.Warn("pd refused the input status request; asking again", "pd", c.pdName[k], "err", e.Err,
			"retries", s.istatRetries, "next_in", s.istatWait)
	}
	return true
}

// retryInputs sends the bus's input status requests that are due (from
// the bus's event goroutine).
func (c *Controller) retryInputs(ctx context.Context, b *busRT, loop pdSubmitter, now time.Time) {
	for _, pd := range b.pds {
		s := &pd.st
		if !s.istatDue.IsZero() && !now.Before(s.istatDue) && pd.online.Load() && !s.inputsKnown {
			s.istatDue = time.Time{}
			c.askInputs(ctx, pd.key, loop)
		}
	}
}

// pdSubmitter is what the controller needs of a bus loop to send a command.
type pdSubmitter interface {
	Submit(ctx context.Context, addr byte, msg osdp.Message) (uint64, error)
}
