package controller

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"menwei/controller/door"
	"menwei/controller/policy"
	"menwei/devices/osdp"
)

type inputRef struct {
	pd    pdKey
	input int
}

type readerRef struct {
	pd     pdKey
	reader int
	side   policy.Side
}

// doorRT is a door at run time: its supervision state machine, its access
// rule and the factors presented so far. mu serialises everything done to
// one door, including carrying out the state machine's actions in order.
type doorRT struct {
	mu      sync.Mutex
	cfg     DoorConfig
	readers []readerRef
	lock    pdKey
	contact *inputRef
	rex     *inputRef
	sm      *door.Door
	rule    policy.Rule
	// Multi-factor: what has been presented for the current attempt.
	pending    []policy.Presented
	pendingWho Identity
	keys       map[int][]byte // keypad digits per reader, until '#'
	inputs     map[inputRef]bool
}

func (d *doorRT) name() string { return d.cfg.Name }

func (d *doorRT) mode() policy.Mode {
	switch d.sm.State().Mode {
	case door.EmergencyUnlock:
		return policy.EmergencyUnlock
	case door.Lockdown:
		return policy.Lockdown
	}
	return policy.Normal
}

func (c *Controller) newDoor(dc DoorConfig, now time.Time) (*doorRT, []door.Action, error) {
	factors, err := dc.Policy.factors()
	if err != nil {
		return nil, nil, err
	}
	d := &doorRT{cfg: dc, lock: c.pdAt[dc.Lock.PD], keys: map[int][]byte{}, inputs: map[inputRef]bool{},
		rule: policy.Rule{Door: dc.Name, Groups: dc.Policy.Groups, Factors: factors, FactorWindow: dc.Policy.FactorWindow,
			AntiPassback: policy.APBMode(dc.Policy.AntiPassback)}}
	if d.rule.AntiPassback == "off" {
		d.rule.AntiPassback = policy.APBOff
	}
	for _, r := range dc.Readers {
		k := c.pdAt[r.PD]
		switch {
		case r.Converter != "":
			k = converterKey(r.Converter)
		case r.Fingerprint != "":
			k = fingerprintKey(r.Fingerprint)
		}
		d.readers = append(d.readers, readerRef{k, r.Reader, policy.Side(r.Side)})
	}
	if dc.Contact != nil {
		d.contact = &inputRef{c.pdAt[dc.Contact.PD], dc.Contact.Input}
	}
	if dc.REX != nil {
		d.rex = &inputRef{c.pdAt[dc.REX.PD], dc.REX.Input}
	}
	sm, acts, err := door.New(door.Config{Name: dc.Name, Pulse: dc.Pulse, HeldOpen: dc.HeldOpen, REXUnlocks: dc.REXUnlocks,
		Contact: dc.Contact != nil, FailSafe: dc.FailSafe}, now)
	if err != nil {
		return nil, nil, err
	}
	d.sm = sm
	// The lock's terminal is not online yet: the state machine must know,
	// so it re-asserts the lock state when the terminal comes up.
	acts = append(acts, sm.LockOnline(now, false)...)
	return d, acts, nil
}

// act carries out a door's actions in order. Called with d.mu held.
func (c *Controller) act(ctx context.Context, d *doorRT, acts []door.Action) {
	for _, a := range acts {
		var rec door.Action
		switch a.Kind {
		case door.Unlock:
			c.driveLock(ctx, d, osdp.OutRecord{Control: osdp.OutTempOnThenOff, Timer: uint16(min(a.Duration/(100*time.Millisecond), 65535))})
		case door.UnlockHold:
			c.driveLock(ctx, d, osdp.OutRecord{Control: osdp.OutPermOnAbort})
		case door.Lock:
			c.driveLock(ctx, d, osdp.OutRecord{Control: osdp.OutPermOffAbort})
		case door.Emit:
			rec = a
		}
		if rec.Kind == 0 {
			continue
		}
		alarm := rec.Event == door.EventForcedOpen || rec.Event == door.EventHeldOpen || rec.Event == door.EventUnsecured
		c.record(ctx, Event{Kind: rec.Event, Door: d.name(), Detail: rec.Detail, Alarm: alarm})
	}
}

func (c *Controller) driveLock(ctx context.Context, d *doorRT, r osdp.OutRecord) {
	r.Output = byte(d.cfg.Lock.Output)
	loop := c.loop(d.lock.bus)
	if loop == nil {
		return
	}
	id, err := loop.Submit(ctx, d.lock.addr, osdp.Out{Records: []osdp.OutRecord{r}})
	if err != nil {
		c.record(ctx, Event{Kind: KindLockFailed, Door: d.name(), PD: c.pdName[d.lock], Reason: ReasonLockOffline, Detail: err.Error(), Alarm: true})
		return
	}
	c.mu.Lock()
	c.lockReq[id] = d.name()
	c.mu.Unlock()
}

// SetDoorMode puts a door into normal, emergency_unlock or lockdown mode.
// The mode is stored first, so it survives a restart; only another call
// changes it.
func (c *Controller) SetDoorMode(ctx context.Context, doorName string, m door.Mode, why string) error {
	d := c.doorByName(doorName)
	if d == nil {
		return fmt.Errorf("%w: door %q", ErrNotFound, doorName)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := d.sm.State().Mode
	if cur == m {
		return nil
	}
	if m == door.Lockdown && cur == door.EmergencyUnlock {
		return fmt.Errorf("controller: door %s: %w", doorName, door.ErrEmergency)
	}
	if err := c.store.SetDoorMode(doorName, m.String()); err != nil {
		return err
	}
	if why != "" {
		c.record(ctx, Event{Kind: "door.mode_requested", Door: doorName, Detail: m.String() + ": " + why})
	}
	acts, err := d.sm.SetMode(c.now(), m)
	if err != nil {
		return err
	}
	c.act(ctx, d, acts)
	d.pending, d.keys = nil, map[int][]byte{}
	return nil
}

// DoorStatus is a door's live state for the API.
type DoorStatus struct {
	Name       string   `json:"name"`
	Mode       string   `json:"mode"`
	Locked     bool     `json:"locked"`
	Open       bool     `json:"open"`
	LockOnline bool     `json:"lock_online"`
	Assumed    string   `json:"assumed,omitempty"` // lock state assumed while its terminal is offline
	Alarms     []string `json:"alarms,omitempty"`
}

// Doors reports every door.
func (c *Controller) Doors() []DoorStatus {
	var out []DoorStatus
	for _, d := range c.doors {
		d.mu.Lock()
		st := d.sm.State()
		d.mu.Unlock()
		ds := DoorStatus{Name: d.name(), Mode: st.Mode.String(), Locked: st.Locked, Open: st.Open, LockOnline: st.LockOnline, Assumed: st.Assumed}
		for name, on := range map[string]bool{"held_open": st.Alarms.HeldOpen, "forced_open": st.Alarms.Forced, "unsecured": st.Alarms.Unsecured} {
			if on {
				ds.Alarms = append(ds.Alarms, name)
			}
		}
		slices.Sort(ds.Alarms)
		out = append(out, ds)
	}
	return out
}

func (c *Controller) doorByName(name string) *doorRT {
	for _, d := range c.doors {
		if d.name() == name {
			return d
		}
	}
	return nil
}

// inputs handles an ISTATR: door contacts, REX buttons and fire alarms.
func (c *Controller) inputs(ctx context.Context, k pdKey, st []byte) {
	for _, d := range c.doors {
		d.mu.Lock()
		for _, ref := range []*inputRef{d.contact, d.rex} {
			if ref == nil || ref.pd != k || ref.input >= len(st) {
				continue
			}
			active := st[ref.input] != 0
			if was, ok := d.inputs[*ref]; ok && was == active {
				continue
			}
			d.inputs[*ref] = active
			now := c.now()
			if ref == d.contact {
				c.act(ctx, d, d.sm.Contact(now, active))
			} else if active {
				c.act(ctx, d, d.sm.REX(now))
			}
		}
		d.mu.Unlock()
	}
	for _, f := range c.cfg.Emergency.FireInputs {
		if c.pdAt[f.PD] != k || f.Input >= len(st) {
			continue
		}
		ref := inputRef{k, f.Input}
		active := st[f.Input] != 0
		c.mu.Lock()
		was := c.fire[ref]
		c.fire[ref] = active
		c.mu.Unlock()
		if active && !was {
			c.fireAlarm(ctx, fmt.Sprintf("fire alarm input %d on %s", f.Input, f.PD))
		}
	}
}

// fireAlarm unlocks the escape doors. They stay unlocked until an operator
// sets them back to normal, even if the alarm input clears.
func (c *Controller) fireAlarm(ctx context.Context, detail string) {
	c.record(ctx, Event{Kind: KindFire, Detail: detail, Alarm: true})
	doors := c.cfg.Emergency.Doors
	if len(doors) == 0 {
		for _, d := range c.doors {
			doors = append(doors, d.name())
		}
	}
	for _, name := range doors {
		if err := c.SetDoorMode(ctx, name, door.EmergencyUnlock, ""); err != nil {
			c.log.Error("emergency unlock failed", "door", name, "err", err)
		}
	}
}

// lockOnline tells the doors whose lock is on this PD.
func (c *Controller) lockOnline(ctx context.Context, k pdKey, online bool) {
	for _, d := range c.doors {
		if d.lock != k {
			continue
		}
		d.mu.Lock()
		c.act(ctx, d, d.sm.LockOnline(c.now(), online))
		d.mu.Unlock()
	}
}

// tick runs the doors' timers and ends stale multi-factor attempts.
func (c *Controller) tick(ctx context.Context) {
	now := c.now()
	c.retryInputs(ctx, now)
	for _, d := range c.doors {
		d.mu.Lock()
		if dl := d.sm.Deadline(); !dl.IsZero() && !now.Before(dl) {
			c.act(ctx, d, d.sm.Tick(now))
		}
		if len(d.pending) > 0 && now.Sub(d.pending[0].At) > d.rule.FactorWindow {
			who := d.pendingWho
			factors := factorList(d.pending)
			d.pending = nil
			c.record(ctx, Event{Kind: KindDenied, Door: d.name(), Identity: who.ID, Name: who.Name, Factor: factors,
				Reason: ReasonFactorTimout, Detail: "the second factor did not come in time"})
		}
		d.mu.Unlock()
	}
}
