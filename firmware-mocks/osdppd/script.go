package osdppd

import (
	"bytes"
	"fmt"
	"math/bits"
	"math/rand/v2"

	"menwei/devices/osdp"
)

// Mode is how the PD's firmware behaves on the bus.
type Mode int

const (
	// Normal answers as the manual says.
	Normal Mode = iota
	// Silent never answers, as a PD that is unplugged.
	Silent
	// Garbage answers every command with random bytes that are not a frame.
	Garbage
	// NAKAll answers everything (after the sequence and security checks)
	// with NAK 9, "unable to process".
	NAKAll
	// Plaintext is a PD without secure channel firmware: it ignores security
	// blocks and MACs, answers everything in plaintext and refuses CHLNG,
	// SCRYPT and KEYSET with NAK 5. A CP holding a key for the PD must never
	// accept its replies.
	Plaintext
)

var modeNames = [...]string{Normal: "normal", Silent: "silent", Garbage: "garbage", NAKAll: "nak", Plaintext: "plaintext"}

func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode reads a mode name: normal, silent, garbage, nak or plaintext.
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if s == name {
			return Mode(m), nil
		}
	}
	return Normal, fmt.Errorf("osdppd: unknown mode %q", s)
}

// garbage is a few random bytes without a start-of-message byte, so a CP's
// frame reader can only skip them.
func garbage() []byte {
	b := make([]byte, 4+rand.N(28))
	for i := range b {
		for b[i] = byte(rand.Uint32()); b[i] == osdp.SOM; b[i] = byte(rand.Uint32()) {
		}
	}
	return b
}

// ---- Scripting: what happens in front of the reader ----

// PresentCard presents a card whose bits (left aligned in data, as many
// bytes as the bits need) reach the CP as a RAW report, format 1 (Wiegand),
// on a coming POLL.
func (p *PD) PresentCard(bits int, data []byte) error {
	return p.PresentCardFormat(osdp.RawFormatWiegand, bits, data)
}

// PresentCardFormat is PresentCard with another RAW format code
// (osdp.RawFormatUnspecified for raw bits).
func (p *PD) PresentCardFormat(format byte, bits int, data []byte) error {
	if bits <= 0 || bits > 0xFFFF || len(data) != (bits+7)/8 {
		return fmt.Errorf("osdppd: card of %d bits needs %d data bytes, got %d", bits, (bits+7)/8, len(data))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.report(osdp.Raw{Format: format, Bits: uint16(bits), Data: bytes.Clone(data)})
	p.log.Info("card presented", "bits", bits, "format", format)
	return nil
}

// PresentWiegand26 presents an H10301 26-bit card: an even parity bit over
// the first 12 data bits, 8 bits of facility code, 16 bits of card number,
// an odd parity bit over the last 12 data bits.
func (p *PD) PresentWiegand26(facility uint8, card uint16) {
	_ = p.PresentCard(26, wiegand26(facility, card))
}

func wiegand26(facility uint8, card uint16) []byte {
	payload := uint32(facility)<<16 | uint32(card)
	even := uint32(bits.OnesCount32(payload>>12) & 1)
	odd := uint32(bits.OnesCount32(payload&0xFFF)&1) ^ 1
	v := (even<<25 | payload<<1 | odd) << 6 // 26 bits, left aligned in 32
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// TypeKeys types s on the keypad; the keys reach the CP as one KEYPAD report
// (a report per 255 keys). '*' is sent as 0x7F and '#' as 0x0D (as menwei/devices/osdp.Keypad);
// other characters as they are.
func (p *PD) TypeKeys(s string) {
	keys := []byte(s)
	for i, k := range keys {
		switch k {
		case '*':
			keys[i] = 0x7F
		case '#':
			keys[i] = 0x0D
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(keys) > 0 {
		n := min(len(keys), 255)
		p.report(osdp.Keypad{Keys: keys[:n:n]})
		keys = keys[n:]
	}
	p.log.Info("keys typed", "count", len(s))
}

// SetInput opens (active) or closes contact input n, counted from 0. A
// change is reported as ISTATR on a coming POLL.
func (p *PD) SetInput(n int, active bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n < 0 || n >= len(p.inputs) {
		return fmt.Errorf("osdppd: input %d out of range 0..%d", n, len(p.inputs)-1)
	}
	if p.inputs[n] != active {
		p.inputs[n] = active
		p.report(p.inputReport())
	}
	return nil
}

// SetTamper opens or closes the PD's tamper switch; a change is reported as
// LSTATR on a coming POLL.
func (p *PD) SetTamper(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tamper != on {
		p.tamper = on
		p.report(p.localStatusReport())
	}
}

// SetPower reports a power failure (or its end) as LSTATR on a coming POLL.
func (p *PD) SetPower(fail bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.powerFail != fail {
		p.powerFail = fail
		p.report(p.localStatusReport())
	}
}

// ReportOutputs queues an OSTATR with the outputs as they are now, as a PD
// that reports its outputs on its own would.
func (p *PD) ReportOutputs() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.report(p.outputReport())
}

// QueueBio queues a sample: the next BIOREAD is answered with it.
func (p *PD) QueueBio(r osdp.BioReadR) {
	r.Data = bytes.Clone(r.Data)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bioSamples = append(p.bioSamples, r)
}

// SetBioMatch sets the answer to every following BIOMATCH.
func (p *PD) SetBioMatch(r osdp.BioMatchR) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bioMatch = &r
}

// QueueMfgReply queues a vendor reply for a coming POLL (MFGREP).
func (p *PD) QueueMfgReply(r osdp.MfgRep) {
	r.Data = bytes.Clone(r.Data)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.report(r)
}

// SetMode changes how the firmware behaves. Plaintext ends any secure
// channel session.
func (p *PD) SetMode(m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m == Plaintext {
		p.endSession("plaintext firmware")
	}
	if m != p.mode {
		p.log.Info("mode changed", "from", p.mode, "to", m)
	}
	p.mode = m
}

// BusyNext answers BUSY to the next n commands without running them.
func (p *PD) BusyNext(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy = max(n, 0)
}

// SetKey replaces the PD's SCBK (16 bytes; nil removes it) and ends any
// secure channel session. Install mode is left as it is.
func (p *PD) SetKey(scbk []byte) error {
	if scbk != nil && len(scbk) != osdp.KeySize {
		return fmt.Errorf("osdppd: SCBK must be %d bytes, got %d", osdp.KeySize, len(scbk))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.key = bytes.Clone(scbk)
	p.endSession("key replaced")
	p.log.Info("SCBK replaced", "has_key", scbk != nil)
	return nil
}

// ---- Observation ----

// Addr is the PD's current address (COMSET changes it).
func (p *PD) Addr() byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// Mode is the current firmware behaviour.
func (p *PD) Mode() Mode {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode
}

// Outputs is the state of each output now, timed operations applied.
func (p *PD) Outputs() []bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outputsAt()
}

func (p *PD) outputsAt() []bool {
	now := p.cfg.Now()
	out := make([]bool, len(p.outputs))
	for i, o := range p.outputs {
		out[i] = o.at(now)
	}
	return out
}

// LEDs is what each of the reader's LEDs shows now.
func (p *PD) LEDs() []LEDState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ledsAt()
}

func (p *PD) ledsAt() []LEDState {
	now := p.cfg.Now()
	out := make([]LEDState, numLEDs)
	for i, l := range p.leds {
		out[i] = l.at(now)
	}
	return out
}

// LastText is the text last sent to the display.
func (p *PD) LastText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.text.Text
}

// LastBuzz is the last BUZ the buzzer obeyed.
func (p *PD) LastBuzz() osdp.Buz {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buzz
}

// Key is a copy of the PD's SCBK, nil when it has none.
func (p *PD) Key() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.key)
}

// SCActive reports whether a secure channel session is established.
func (p *PD) SCActive() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sess != nil
}

// State is a snapshot of the PD, without key material.
type State struct {
	Addr      byte
	Mode      Mode
	HasKey    bool
	Install   bool
	SCActive  bool
	Tamper    bool
	PowerFail bool
	Inputs    []bool
	Outputs   []bool
	LEDs      []LEDState
	Text      string
	Pending   int // reports waiting for a POLL
}

// State returns a consistent snapshot of the PD.
func (p *PD) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return State{
		Addr:      p.addr,
		Mode:      p.mode,
		HasKey:    p.key != nil,
		Install:   p.install,
		SCActive:  p.sess != nil,
		Tamper:    p.tamper,
		PowerFail: p.powerFail,
		Inputs:    append([]bool(nil), p.inputs...),
		Outputs:   p.outputsAt(),
		LEDs:      p.ledsAt(),
		Text:      p.text.Text,
		Pending:   len(p.reports),
	}
}
