package controller

import (
	"context"
	"errors"
	"image"
	"strings"
	"time"

	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/osdp"
	"menwei/devices/wiegand"
)

// Decision is the outcome of a credential at a door.
type Decision struct {
	policy.Decision
	Identity store.Identity
	Card     store.Card
	Factors  string // what was presented, e.g. "card+pin"
	// Lock is what the lock did with a grant's release: known at once (held
	// open, offline) or, after PhoneOpen, the lock's answer; "" when denied
	// or, for a card or face, while the answer is pending.
	Lock LockResult

	photo   []byte          // the capture, for a crop when denied
	box     image.Rectangle // the face in photo
	detail  string
	faceRef string // an unknown face: the same stranger gets the same ref
}

// readerAt finds the door and side a reader belongs to.
func (c *Controller) readerAt(src source, reader int) (*doorRT, readerRef) {
	for _, d := range c.doors {
		for _, r := range d.readers {
			if r.src == src && r.reader == reader {
				return d, r
			}
		}
	}
	return nil, readerRef{}
}

// Card handles a card read at a reader: decode, look up, decide, record,
// then act. Exported for benchmarks and tests that bypass the bus.
func (c *Controller) cardRead(ctx context.Context, src source, raw osdp.Raw) {
	if c.captured(ctx, src, raw) {
		return
	}
	d, r := c.readerAt(src, int(raw.Reader))
	if d == nil {
		c.log.Info("card read at a reader without a door", "source", c.sourceName(src), "reader", raw.Reader)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	dec := c.decideCard(d, r, int(raw.Bits), raw.Data)
	c.conclude(ctx, d, r, dec)
}

// decideCard resolves the card and judges it. Called with d.mu held.
func (c *Controller) decideCard(d *doorRT, r readerRef, bits int, data []byte) Decision {
	now := c.now()
	card, err := store.CardFromBits(bits, data)
	if err != nil {
		if !errors.Is(err, wiegand.ErrParity) {
			c.log.Info("unreadable card data", "door", d.name(), "err", err)
		}
		return Decision{Decision: policy.Decision{Reason: ReasonBadRead}, Factors: "card"}
	}
	cred, id, err := c.store.Lookup(policy.Card, card.String())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Decision{Decision: policy.Decision{Reason: ReasonUnknownCard}, Card: card, Factors: "card"}
	case err != nil:
		c.log.Error("card lookup failed; denying", "door", d.name(), "err", err)
		return Decision{Decision: policy.Decision{Reason: ReasonInternal}, Card: card, Factors: "card"}
	}
	p := policy.Presented{Factor: policy.Card, Identity: id.ID, At: now}
	return c.decide(d, r, id, p, cred.Blacklisted, card)
}

// decide adds a presented factor to the door's attempt and judges it.
func (c *Controller) decide(d *doorRT, r readerRef, id store.Identity, p policy.Presented, blacklisted bool, card store.Card) Decision {
	now := p.At
	if len(d.pending) > 0 && (d.pendingWho.ID != id.ID || now.Sub(d.pending[0].At) > d.rule.FactorWindow) {
		d.pending = nil // a new person, or too late: start again
	}
	presented := append(d.pending, p)
	rule := d.rule
	if sid := d.cfg.Policy.Schedule; sid != "" {
		rule.Schedule = c.schedule(sid)
		if rule.Schedule == nil {
			c.log.Error("door policy names a schedule that does not exist; denying", "door", d.name(), "schedule", sid)
			return Decision{Decision: policy.Decision{Reason: ReasonNoSchedule}, Identity: id, Card: card, Factors: factorList(presented)}
		}
	}
	var inside *bool
	if rule.AntiPassback != policy.APBOff {
		var err error
		if inside, err = c.store.Inside(id.ID); err != nil {
			c.log.Error("anti-passback state unreadable; denying", "door", d.name(), "err", err)
			return Decision{Decision: policy.Decision{Reason: ReasonInternal}, Identity: id, Card: card, Factors: factorList(presented)}
		}
	}
	pid := policy.Identity{ID: id.ID, Kind: id.Kind, Groups: id.Groups, Disabled: id.Disabled}
	if id.Schedule != "" {
		if pid.Schedule = c.schedule(id.Schedule); pid.Schedule == nil {
			c.log.Error("a person's schedule does not exist; denying", "door", d.name(), "identity", id.ID, "schedule", id.Schedule)
			return Decision{Decision: policy.Decision{Reason: ReasonNoSchedule}, Identity: id, Card: card, Factors: factorList(presented)}
		}
	}
	if id.Pass != nil {
		pid.Pass = &policy.Pass{From: id.Pass.From, Until: id.Pass.Until, Doors: id.Pass.Doors, MaxUses: id.Pass.MaxUses, Uses: id.Pass.Uses, Host: id.Host, Revoked: id.Pass.Revoked != nil}
	}
	dec := policy.Decide(rule, pid, policy.Attempt{Time: now, Side: r.side, Mode: d.mode(), Presented: presented,
		Blacklisted: blacklisted, Inside: inside})
	if dec.Reason == policy.NeedMoreFactors {
		d.pending, d.pendingWho = presented, id
	} else {
		d.pending = nil
	}
	return Decision{Decision: dec, Identity: id, Card: card, Factors: factorList(presented)}
}

func factorList(ps []policy.Presented) string {
	var fs []string
	for _, p := range ps {
		fs = append(fs, string(p.Factor))
	}
	return strings.Join(fs, "+")
}

// conclude records a decision durably and only then opens the door and
// answers on the reader. Called with d.mu held.
//
// It returns the decision as carried out (a grant that could not be
// recorded is a denial) and, for a grant, the lock's release (nil when the
// lock could not be asked: its terminal is offline, or the door is held
// open in emergency unlock). The reader shows green only when the door is
// being released.
func (c *Controller) conclude(ctx context.Context, d *doorRT, r readerRef, dec Decision) (Decision, *lockWait) {
	if dec.Reason == policy.NeedMoreFactors {
		c.prompt(ctx, r)
		c.askForFace(ctx, r, dec.Missing)
		return dec, nil
	}
	ev := Event{Kind: KindDenied, Door: d.name(), PD: c.sourceName(r.src), Side: string(r.side), Reason: dec.Reason,
		Identity: dec.Identity.ID, Name: dec.Identity.Name, Factor: dec.Factors, Detail: dec.detail, FaceRef: dec.faceRef}
	if dec.Card != (store.Card{}) {
		ev.Card, ev.CardRef = dec.Card.Hint(), cardRef(dec.Card)
	}
	if dec.Granted {
		ev.Kind = KindGranted
		if dec.APBWarning {
			ev.Detail = "anti-passback warning"
		}
		// Visitor pass use and anti-passback location are stored with the
		// decision, so a crash cannot give a pass an extra use.
		if dec.UsePass {
			if err := c.store.UsePass(dec.Identity.ID); err != nil {
				c.log.Error("pass use not recorded; denying", "door", d.name(), "err", err)
				ev.Kind, ev.Reason, dec.Granted = KindDenied, ReasonInternal, false
			}
		}
		if dec.Granted && dec.SetInside != nil {
			if err := c.store.SetInside(dec.Identity.ID, *dec.SetInside); err != nil {
				c.log.Error("anti-passback location not stored", "door", d.name(), "err", err)
			}
		}
	}
	start := time.Now()
	ev, err := c.store.Append(ctx, c.stamp(ev))
	c.metrics.timeAppend(start)
	result := dec.Reason
	if dec.Granted && err == nil {
		result = "granted"
	}
	c.metrics.decisions.WithLabelValues(d.name(), result).Inc()
	if err != nil {
		// Not on disk, so not acted on: the door stays shut.
		c.log.Error("decision not recorded; door stays locked", "door", d.name(), "err", err)
		dec.Granted = false
	} else {
		if c.decided != nil {
			c.decided(ev)
		}
		c.observe(ctx, ev)
		if !dec.Granted && dec.photo != nil {
			c.keepCrop(ev.Seq, dec.photo, dec.box)
		}
	}
	c.log.Info("access", "door", d.name(), "granted", dec.Granted, "reason", dec.Reason, "identity", dec.Identity.ID, "seq", ev.Seq)
	if dec.Duress {
		// Silent: the person at the door sees an ordinary grant.
		c.record(ctx, Event{Kind: KindDuress, Door: d.name(), Identity: dec.Identity.ID, Name: dec.Identity.Name, Alarm: true})
	}
	var w *lockWait
	released := false
	if dec.Granted {
		w, dec.Lock = c.release(ctx, d)
		released = (w != nil && !w.failed) || dec.Lock == LockHeldOpen
	}
	c.feedback(ctx, r, released)
	return dec, w
}

// keypad collects keys at a reader; '#' ends a PIN, '*' clears it.
func (c *Controller) keypad(ctx context.Context, k pdKey, m osdp.Keypad) {
	d, r := c.readerAt(pdSource(k), int(m.Reader))
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, key := range m.Keys {
		switch {
		case key == 0x7F || key == '*':
			d.keys[r.reader] = nil
		case key == 0x0D || key == '#':
			pin := string(d.keys[r.reader])
			d.keys[r.reader] = nil
			c.conclude(ctx, d, r, c.decidePIN(d, r, pin))
		case key >= '0' && key <= '9' && len(d.keys[r.reader]) < 16:
			d.keys[r.reader] = append(d.keys[r.reader], key)
		}
	}
}

// decidePIN checks a PIN against the person whose card (or face) started
// the attempt. A PIN alone identifies no one.
func (c *Controller) decidePIN(d *doorRT, r readerRef, pin string) Decision {
	now := c.now()
	if len(d.pending) == 0 || now.Sub(d.pending[0].At) > d.rule.FactorWindow {
		d.pending = nil
		// Not a second factor: maybe a visitor's pass code.
		if len(pin) != 8 {
			return Decision{Decision: policy.Decision{Reason: ReasonPINNoCard}, Factors: "pin"}
		}
		cred, id, err := c.store.LookupPassCode(pin)
		if err != nil {
			return Decision{Decision: policy.Decision{Reason: ReasonPINNoCard}, Factors: "pin"}
		}
		return c.decide(d, r, id, policy.Presented{Factor: policy.Code, Identity: id.ID, At: now}, cred.Blacklisted, store.Card{})
	}
	id := d.pendingWho
	ok, duress := store.CheckPIN(id, pin)
	if !ok {
		factors := factorList(append(d.pending, policy.Presented{Factor: policy.PIN}))
		d.pending = nil
		return Decision{Decision: policy.Decision{Reason: ReasonWrongPIN}, Identity: id, Factors: factors}
	}
	return c.decide(d, r, id, policy.Presented{Factor: policy.PIN, Identity: id.ID, At: now, Duress: duress}, false, store.Card{})
}

// feedback shows green and one beep, or red and three short beeps.
func (c *Controller) feedback(ctx context.Context, r readerRef, granted bool) {
	color, beeps, secs := byte(osdp.ColorRed), byte(3), 1500*time.Millisecond
	if granted {
		color, beeps, secs = osdp.ColorGreen, 1, 3*time.Second
	}
	c.readerSignal(ctx, r, osdp.LEDTemp{Control: 2, OnTime: 10, OffTime: 0, OnColor: color, OffColor: osdp.ColorBlack,
		Timer: uint16(secs / (100 * time.Millisecond))}, osdp.Buz{Tone: 2, OnTime: 1, OffTime: 1, Count: beeps})
}

// prompt asks for the next factor: amber blinking.
func (c *Controller) prompt(ctx context.Context, r readerRef) {
	c.readerSignal(ctx, r, osdp.LEDTemp{Control: 2, OnTime: 3, OffTime: 3, OnColor: osdp.ColorAmber, OffColor: osdp.ColorBlack, Timer: 200},
		osdp.Buz{Tone: 2, OnTime: 1, OffTime: 0, Count: 1})
}

func (c *Controller) readerSignal(ctx context.Context, r readerRef, led osdp.LEDTemp, buz osdp.Buz) {
	if r.src.kind != fromPD {
		return // converters, modules and phones show nothing we drive
	}
	loop := c.loop(r.src.pd.bus)
	if loop == nil {
		return
	}
	buz.Reader = byte(r.reader)
	for _, m := range []osdp.Message{osdp.LED{Records: []osdp.LEDRecord{{Reader: byte(r.reader), Temp: led}}}, buz} {
		if _, err := loop.Submit(ctx, r.src.pd.addr, m); err != nil {
			c.log.Debug("reader feedback not sent", "pd", c.pdName[r.src.pd], "err", err)
		}
	}
}
