package controller

import (
	"fmt"
	"time"
)

// Health is what /readyz reports: every part the gate needs, and whether it
// is working now.
//
// Ready means every one of these holds: the controller is running its
// loops; the store is open (events can be made durable); every bus's and
// converter's serial port is open; every OSDP terminal is online, on its
// secure channel when it has a key; every fingerprint module answers. A gate
// that is not ready may still decide at the doors whose parts work: NotReady
// names the parts that do not.
type Health struct {
	Ready     bool             `json:"ready"`
	Running   bool             `json:"running"`
	Store     bool             `json:"store"`
	Ports     []PortHealth     `json:"ports"`
	Terminals []TerminalHealth `json:"terminals"`
	// NotReady lists what is wrong, one item each ("pd gate-reader offline").
	NotReady []string `json:"not_ready,omitempty"`
	// Directory is a joined gate's copy of the office's directory (nil:
	// not a gate of an estate). It never makes the gate not ready: a gate
	// decides from its own copy, reachable office or not.
	Directory *DirectoryHealth `json:"directory,omitempty"`
}

// DirectoryHealth is how far a gate's directory is (docs/estate.md).
type DirectoryHealth struct {
	Revision  uint64     `json:"revision"`             // the office's directory revision applied up to
	Pending   uint64     `json:"pending"`              // messages known to be waiting (the lag)
	LastApply *time.Time `json:"last_apply,omitempty"` // nil: none since menweid started
}

// PortHealth is one serial port: a bus, a converter or a fingerprint module.
type PortHealth struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"` // bus, converter
	Device string `json:"device"`
	Open   bool   `json:"open"`
	Error  string `json:"error,omitempty"`
}

// TerminalHealth is one terminal: an OSDP PD or a fingerprint module.
type TerminalHealth struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"` // osdp, fingerprint
	Online bool   `json:"online"`
	// Secure is set for a PD with a key: it must be on its secure channel.
	Secure *bool `json:"secure,omitempty"`
}

// portState is the last known state of a serial port (see portRT).
type portState struct {
	open bool
	err  string
}

// setPort records a port's state; called by the port's reopener.
func (c *Controller) setPort(name string, open bool, err error) {
	st := &portState{open: open}
	if err != nil {
		st.err = err.Error()
	}
	if p := c.ports[name]; p != nil {
		p.state.Store(st)
	}
}

// Health reports the state of every part (see Health).
func (c *Controller) Health() Health {
	var h Health
	c.ctxMu.Lock()
	h.Running = c.ctx != nil && c.ctx.Err() == nil
	c.ctxMu.Unlock()
	h.Store = !c.store.Closed()
	if !h.Running {
		h.NotReady = append(h.NotReady, "controller not running")
	}
	if !h.Store {
		h.NotReady = append(h.NotReady, "store closed")
	}
	port := func(name, kind, device string) {
		st := portState{}
		if p := c.ports[kind+"/"+name].state.Load(); p != nil {
			st = *p
		}
		p := PortHealth{Name: name, Kind: kind, Device: device, Open: st.open, Error: st.err}
		if !p.Open {
			why := "not open yet"
			if p.Error != "" {
				why = p.Error
			}
			h.NotReady = append(h.NotReady, fmt.Sprintf("%s %s: serial port %s unavailable (%s)", kind, name, device, why))
		}
		h.Ports = append(h.Ports, p)
	}
	for _, b := range c.cfg.Buses {
		port(b.Name, "bus", b.Device)
	}
	for _, cv := range c.cfg.Converters {
		port(cv.Name, "converter", cv.Device)
	}
	for _, b := range c.cfg.Buses {
		for _, p := range b.PDs {
			rt := c.pd(pdKey{b.Name, byte(*p.Address)})
			t := TerminalHealth{Name: p.Name, Kind: "osdp", Online: rt.online.Load()}
			ok := t.Online
			if p.Key() != nil {
				sec := rt.secure.Load()
				t.Secure = &sec
				ok = ok && sec
			}
			switch {
			case !t.Online:
				h.NotReady = append(h.NotReady, "pd "+p.Name+" offline")
			case !ok:
				h.NotReady = append(h.NotReady, "pd "+p.Name+" not on its secure channel")
			}
			h.Terminals = append(h.Terminals, t)
		}
	}
	if c.fingers != nil {
		for _, m := range c.fingers.Status() {
			h.Terminals = append(h.Terminals, TerminalHealth{Name: m.Name, Kind: "fingerprint", Online: m.Online})
			if !m.Online {
				h.NotReady = append(h.NotReady, "fingerprint module "+m.Name+" offline")
			}
		}
	}
	h.Ready = len(h.NotReady) == 0
	return h
}
