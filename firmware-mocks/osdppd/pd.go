package osdppd

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"menwei/devices/osdp"
)

// Config describes one emulated PD. The zero value of every field is a
// documented default; only Addr usually needs setting.
type Config struct {
	// Addr is the PD address, 0..0x7E.
	Addr byte
	// SCBK is the secure channel base key, 16 bytes; nil means the PD has no
	// key. A PD with a key and not in install mode refuses plaintext commands
	// other than ID and CAP (NAK 6).
	SCBK []byte
	// Install puts the PD in install mode: it accepts the default key SCBK-D
	// (key selector 0x00) and plaintext commands until a KEYSET gives it a key.
	// A PD without a key and not in install mode cannot open a secure channel.
	Install bool
	// Identity is what ID answers. Zero means vendor b2 a1 00, model 153,
	// version 1, serial 0x01020304, firmware 10.11.12, as in the capture.
	Identity osdp.PDID
	// Inputs and Outputs are the numbers of contact inputs and outputs;
	// 0 means 4.
	Inputs, Outputs int
	// NoBiometrics removes the fingerprint sensor: CAP omits function 14 and
	// advertises a 256-byte receive buffer, BIOREAD and BIOMATCH are NAK 3.
	// This is the libosdp PD of the capture.
	NoBiometrics bool
	// Rand supplies RND.B for the secure channel; nil means crypto/rand.
	Rand io.Reader
	// Now is the clock for output and LED timers; nil means time.Now.
	Now func() time.Time
	// Bio answers BIOREAD and BIOMATCH for terminals built on this PD; nil
	// uses the samples scripted with QueueBio and SetBioMatch.
	Bio BioHandler
	// Log receives protocol events; nil discards them. Keys, card data,
	// keys typed and templates are never logged.
	Log *slog.Logger
}

// DefaultIdentity is the PDID of the captured libosdp PD.
var DefaultIdentity = osdp.PDID{
	Vendor:   [3]byte{0xb2, 0xa1, 0x00},
	Model:    153,
	Version:  1,
	Serial:   0x01020304,
	Firmware: [3]byte{10, 11, 12},
}

const (
	defaultPoints = 4
	maxPoints     = 64
	numLEDs       = 2
)

func (c *Config) validate() error {
	switch {
	case c.Addr >= osdp.Broadcast:
		return fmt.Errorf("osdppd: address %#x out of range 0..0x7e", c.Addr)
	case c.SCBK != nil && len(c.SCBK) != osdp.KeySize:
		return fmt.Errorf("osdppd: SCBK must be %d bytes, got %d", osdp.KeySize, len(c.SCBK))
	case c.Inputs < 0 || c.Inputs > maxPoints:
		return fmt.Errorf("osdppd: %d inputs out of range 0..%d", c.Inputs, maxPoints)
	case c.Outputs < 0 || c.Outputs > maxPoints:
		return fmt.Errorf("osdppd: %d outputs out of range 0..%d", c.Outputs, maxPoints)
	}
	return nil
}

// PD is one emulated peripheral device. All its methods are safe for
// concurrent use: the bus goroutine calls Handle while a test scripts it.
type PD struct {
	mu  sync.Mutex
	cfg Config
	log *slog.Logger

	addr    byte
	baud    uint32
	key     []byte // SCBK, nil when the PD has none
	install bool
	mode    Mode
	busy    int

	seq  sequence
	hs   *handshake    // between CCRYPT and SCRYPT
	sess *osdp.Session // established secure channel

	tamper, powerFail bool
	inputs            []bool
	outputs           []output
	leds              [numLEDs]ledState
	text              osdp.Text
	buzz              osdp.Buz
	acuRxSize         uint16
	reports           []osdp.Message // for POLL, oldest first
	bioSamples        []osdp.BioReadR
	bioMatch          *osdp.BioMatchR

	hist history
}

// New returns a PD in its power-on state.
func New(cfg Config) (*PD, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Identity == (osdp.PDID{}) {
		cfg.Identity = DefaultIdentity
	}
	if cfg.Inputs == 0 {
		cfg.Inputs = defaultPoints
	}
	if cfg.Outputs == 0 {
		cfg.Outputs = defaultPoints
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	p := &PD{
		cfg:     cfg,
		log:     cfg.Log.With("pd", cfg.Addr),
		addr:    cfg.Addr,
		key:     bytes.Clone(cfg.SCBK),
		install: cfg.Install,
		seq:     newSequence(),
		inputs:  make([]bool, cfg.Inputs),
		outputs: make([]output, cfg.Outputs),
		hist:    newHistory(),
	}
	return p, nil
}

// reply is a command handler's answer.
type reply struct {
	msg   osdp.Message
	scb   []byte // handshake replies carry their own security block and are never sealed
	after func() // runs once the reply is encoded: COMSET's new address, KEYSET's new key

	seq    byte
	commit bool // remember it for a repeated sequence number
}

func answer(m osdp.Message) reply { return reply{msg: m} }
func ack() reply                  { return answer(osdp.Ack{}) }
func nak(code byte) reply         { return answer(osdp.Nak{Error: code}) }

// Handle takes one command frame from the bus and returns the reply bytes,
// mark byte first, or nil when the PD stays silent: the frame is a reply,
// for another address, or the PD is scripted to be silent.
func (p *PD) Handle(in osdp.Frame) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if in.Reply || (in.Addr != p.addr && in.Addr != osdp.Broadcast) {
		return nil
	}
	switch p.mode {
	case Silent:
		return nil
	case Garbage:
		return garbage()
	}

	verdict := p.seq.check(in.Seq)
	if verdict == seqRepeat {
		p.log.Debug("repeated sequence, reply sent again", "seq", in.Seq)
		return bytes.Clone(p.seq.reply)
	}
	if in.Seq == 0 {
		p.endSession("sequence restart")
	}

	if p.busy > 0 && verdict != seqSkip {
		p.busy--
		return p.busyReply(in)
	}

	var r reply
	cmd, secure, refused := p.unwrap(in)
	switch {
	case refused != nil:
		r = *refused
	case in.Len() > p.rxSize():
		r = nak(osdp.NAKCmdLength)
	case verdict == seqSkip:
		r = nak(osdp.NAKUnexpectedSeq)
	default:
		r = p.dispatch(cmd, secure)
	}

	r.seq, r.commit = in.Seq, true
	if verdict == seqSkip {
		r.seq, r.commit = p.seq.expect(), false
	}
	return p.send(in, cmd.Code, r)
}

// dispatch runs a plaintext (or opened) command.
func (p *PD) dispatch(cmd osdp.Frame, secure bool) reply {
	if p.mode == NAKAll {
		return nak(osdp.NAKUnableToProcess)
	}
	switch cmd.Code {
	case osdp.CmdCHLNG:
		return p.challenge(cmd)
	case osdp.CmdSCRYPT:
		return p.serverCryptogram(cmd)
	}
	known, ok := lengthOK(cmd.Code, cmd.Data)
	switch {
	case !known:
		return nak(osdp.NAKUnknownCmd)
	case !ok:
		return nak(osdp.NAKCmdLength)
	}
	msg, err := osdp.ParseCommand(cmd.Code, bytes.Clone(cmd.Data))
	if err != nil {
		p.log.Debug("command refused", "cmd", osdp.CodeName(cmd.Code, false), "err", err)
		return nak(osdp.NAKUnableToProcess)
	}
	p.hist.add(msg)

	switch m := msg.(type) {
	case osdp.Poll:
		return p.poll()
	case osdp.IDReq:
		return p.identify()
	case osdp.CapReq:
		return p.capabilities()
	case osdp.LStat:
		return p.localStatus()
	case osdp.IStat:
		return p.inputStatus()
	case osdp.OStat:
		return p.outputStatus()
	case osdp.RStat:
		return p.readerStatus()
	case osdp.Out:
		return p.out(m)
	case osdp.LED:
		return p.led(m)
	case osdp.Buz:
		return p.buzzer(m)
	case osdp.Text:
		return p.showText(m)
	case osdp.ComSet:
		return p.comSet(m)
	case osdp.BioRead:
		return p.bioRead(m)
	case osdp.BioMatch:
		return p.bioMatchCmd(m)
	case osdp.KeySet:
		return p.keySet(m, secure)
	case osdp.Mfg:
		return p.mfg(m)
	case osdp.ACURxSize:
		return p.acuRxSizeCmd(m)
	case osdp.KeepActive:
		return p.keepActive(m)
	}
	return nak(osdp.NAKUnknownCmd)
}

// send encodes the reply, sealing it when a session is active, and
// remembers it for a repeated sequence number.
func (p *PD) send(in osdp.Frame, cmdCode byte, r reply) []byte {
	f := osdp.Frame{
		Addr:  in.Addr,
		Reply: true,
		Seq:   r.seq,
		CRC:   in.CRC,
		SCB:   r.scb,
		Code:  r.msg.Code(),
		Data:  r.msg.AppendData(nil),
	}
	if r.scb == nil && p.sess != nil {
		p.sess.SealReply(&f)
	}
	b, err := osdp.AppendEncode(nil, f)
	if err != nil {
		p.log.Error("reply not encodable", "reply", osdp.CodeName(f.Code, true), "err", err)
		return nil
	}
	if r.commit {
		p.seq.commit(r.seq, b)
	}
	if r.after != nil {
		r.after()
	}
	if cmdCode != osdp.CmdPOLL || f.Code != osdp.ReplyACK {
		p.log.Debug("command", "cmd", osdp.CodeName(cmdCode, false), "reply", osdp.CodeName(f.Code, true), "seq", f.Seq)
	}
	return b
}

// rxSize is the receive buffer advertised in CAP and enforced: room for a
// fingerprint template, or 256 bytes as on the libosdp PD.
func (p *PD) rxSize() int {
	if p.cfg.NoBiometrics {
		return 256
	}
	return 1440
}

// lengthOK checks a command's data length against the manual (spec §6), so a
// short or long record is NAK 2 rather than misread. known is false for a
// command this PD does not implement.
func lengthOK(code byte, d []byte) (known, ok bool) {
	n := len(d)
	switch code {
	case osdp.CmdPOLL, osdp.CmdLSTAT, osdp.CmdISTAT, osdp.CmdOSTAT, osdp.CmdRSTAT:
		return true, n == 0
	case osdp.CmdID, osdp.CmdCAP:
		return true, n == 1
	case osdp.CmdOUT:
		return true, n > 0 && n%4 == 0
	case osdp.CmdLED:
		return true, n > 0 && n%14 == 0
	case osdp.CmdBUZ:
		return true, n == 5
	case osdp.CmdTEXT:
		return true, n >= 6 && n == 6+int(d[5])
	case osdp.CmdCOMSET:
		return true, n == 5
	case osdp.CmdBIOREAD:
		return true, n == 4
	case osdp.CmdBIOMATCH:
		return true, n >= 6 && n == 6+int(binary.LittleEndian.Uint16(d[4:]))
	case osdp.CmdKEYSET:
		return true, n >= 2 && n == 2+int(d[1])
	case osdp.CmdMFG:
		return true, n >= 3
	case osdp.CmdACURXSIZE, osdp.CmdKEEPACTIVE:
		return true, n == 2
	}
	return false, false
}

// busyReply answers BUSY: the command was not run. As the spec has it, BUSY
// goes in plaintext with sequence number 0, and nothing moves: neither the
// sequence nor the secure channel's MAC chain. The CP sends the same frame
// again and it is then processed.
func (p *PD) busyReply(in osdp.Frame) []byte {
	addr := p.addr
	if in.Addr == osdp.Broadcast {
		addr = osdp.Broadcast
	}
	b, _ := osdp.AppendEncode(nil, osdp.Frame{Addr: addr, Reply: true, Seq: 0, CRC: in.CRC, Code: osdp.ReplyBUSY})
	return b
}
