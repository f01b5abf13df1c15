package osdp

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// PDConfig describes one peripheral device on a bus.
type PDConfig struct {
	Addr byte   // 0..0x7E
	Name string // for logs; defaults to "pd<addr>"
	// SCBK is the PD's secure channel base key (16 bytes). When set, the PD
	// is only ever driven under the secure channel; nil means plaintext.
	SCBK []byte
	// Install lets the CP open a session with the default key SCBK-D when
	// SCBK fails, then install SCBK with KEYSET. Requires SCBK.
	Install bool
	// Checksum uses the 8-bit checksum instead of CRC-16 (old PDs).
	Checksum bool
	// StatusSCS15Quirk accepts status replies sealed as SCS_15, as one
	// libosdp master build did (no release: docs/osdp-interop.md).
	StatusSCS15Quirk bool
}

func (c *PDConfig) validate() error {
	switch {
	case c.Addr >= Broadcast:
		return fmt.Errorf("osdp: pd address %d: must be 0..126", c.Addr)
	case c.SCBK != nil && len(c.SCBK) != KeySize:
		return fmt.Errorf("osdp: pd %d: scbk must be %d bytes, got %d", c.Addr, KeySize, len(c.SCBK))
	case c.Install && c.SCBK == nil:
		return fmt.Errorf("osdp: pd %d: install mode needs an scbk to install", c.Addr)
	}
	return nil
}

type phase int

const (
	phaseIdle   phase = iota // offline, waiting for the next attempt
	phaseID                  // ID sent
	phaseCAP                 // CAP sent
	phaseCHLNG               // CHLNG sent
	phaseSCRYPT              // SCRYPT sent
	phaseKEYSET              // KEYSET sent under a SCBK-D session
	phaseOnline              // polling
)

func (p phase) String() string {
	return [...]string{"idle", "id", "cap", "chlng", "scrypt", "keyset", "online"}[p]
}

type request struct {
	id     uint64
	msg    Message
	urgent bool // an OUT: before the other commands (Bus.Submit)
}

// inflight is the command on the wire, kept as bytes so a retry resends it
// unchanged (same sequence number, same MAC) and the PD answers from its cache.
type inflight struct {
	req    *request // nil for POLL and handshake commands
	code   byte
	seq    byte
	raw    []byte
	sentAt time.Time
	rxAt   time.Time // when reply bytes last arrived; zero: none yet
	probe  int       // its number among the PD's probes; 0: not a probe
}

// pd is the control panel's state for one PD. It is driven by Bus and never
// does I/O or reads the clock itself.
type pd struct {
	cfg PDConfig
	log *slog.Logger
	bus *Bus

	phase    phase
	online   bool
	seq      byte
	resetSeq bool  // next command uses sequence 0
	reuseSeq *byte // next command repeats this sequence (after a sealed BUSY)

	scbk   [KeySize]byte
	keySel byte
	rndA   [8]byte
	ccrypt CCrypt
	keys   SessionKeys
	sess   *Session
	scDone bool // session established for the current link

	plainNAKLogged bool // told the log once that this PD seals NAKs as SCS_16
	keyDone        bool // KEYSET succeeded on this link

	lastValid time.Time // last valid reply
	due       time.Time // earliest time for the next command
	misses    int       // consecutive timeouts while online
	attempts  int       // failed connection attempts since the last success
	probes    int       // frames sent while probing (see Bus.replyDeadline)
	answered  bool      // a valid reply since the current connection attempt began
	queue     []*request
	out       *inflight
	id        PDID
	cap       PDCap
}

func (p *pd) addr() byte { return p.cfg.Addr }

func (p *pd) nextSeq() byte {
	if p.reuseSeq != nil {
		p.seq, p.reuseSeq = *p.reuseSeq, nil
		return p.seq
	}
	if p.resetSeq {
		p.resetSeq = false
		p.seq = 0
		return 0
	}
	p.seq = p.seq%3 + 1
	return p.seq
}

// build encodes msg as the next command for this PD.
func (p *pd) build(msg Message, req *request, now time.Time) error {
	f := Frame{Addr: p.cfg.Addr, Seq: p.nextSeq(), CRC: !p.cfg.Checksum, Code: msg.Code(), Data: msg.AppendData(nil)}
	switch m := msg.(type) {
	case chlng:
		f.SCB = []byte{SCS11, m.keySel}
	case scrypt:
		f.SCB = []byte{SCS13, m.keySel}
	default:
		if p.sess != nil {
			p.sess.SealCommand(&f)
		}
	}
	raw, err := AppendEncode(nil, f)
	if err != nil {
		return err
	}
	p.out = &inflight{req: req, code: f.Code, seq: f.Seq, raw: raw, sentAt: now}
	return nil
}

// Handshake commands, built by the PD state machine only.
type chlng struct {
	keySel byte
	rndA   [8]byte
}

func (chlng) Code() byte                   { return CmdCHLNG }
func (m chlng) AppendData(d []byte) []byte { return append(d, m.rndA[:]...) }

type scrypt struct {
	keySel byte
	crypt  [KeySize]byte
}

func (scrypt) Code() byte                   { return CmdSCRYPT }
func (m scrypt) AppendData(d []byte) []byte { return append(d, m.crypt[:]...) }

// next returns the command to send now, or nil when the PD has nothing due.
// Queued commands go at once; polls and connection attempts wait for due.
func (p *pd) next(now time.Time) (Message, *request) {
	if p.out != nil {
		return nil, nil
	}
	switch p.phase {
	case phaseIdle:
		if now.Before(p.due) {
			return nil, nil
		}
		p.phase = phaseID
		p.resetSeq = true
		p.sess, p.scDone, p.keyDone = nil, false, false
		return IDReq{}, nil
	case phaseOnline:
		if len(p.queue) > 0 {
			r := p.queue[0]
			p.queue = p.queue[1:]
			return r.msg, r
		}
		if now.Before(p.due) {
			return nil, nil
		}
		return Poll{}, nil
	}
	return nil, nil // mid-handshake: the next step is sent on the reply
}

// startSC begins a session with the configured key, or SCBK-D (keySel 0).
func (p *pd) startSC(keySel byte, rnd io.Reader) (Message, error) {
	p.keySel = keySel
	copy(p.scbk[:], p.cfg.SCBK)
	if keySel == KeySelSCBKD {
		p.scbk = SCBKD
	}
	if _, err := io.ReadFull(rnd, p.rndA[:]); err != nil {
		return nil, fmt.Errorf("osdp: sc: random: %w", err)
	}
	p.sess = nil
	p.phase = phaseCHLNG
	p.resetSeq = keySel == KeySelSCBK // CHLNG restarts the sequence; the SCBK-D retry continues it
	return chlng{keySel, p.rndA}, nil
}

// errSCReason wraps a secure-channel failure with the step it happened in.
func scErr(step string, err error) error { return fmt.Errorf("osdp: sc %s: %w", step, err) }

var errPlainReply = errors.New("osdp: plaintext reply where a secure channel is required")

// handshake advances the connection sequence with a reply. It returns the
// next command to send at once, or nil; a non-nil error aborts the attempt.
func (p *pd) handshake(f Frame, rnd io.Reader) (Message, error) {
	switch p.phase {
	case phaseID:
		m, err := p.expect(f, ReplyPDID)
		if err != nil {
			return nil, err
		}
		p.id = m.(PDID)
		p.bus.emit(Event{Addr: p.addr(), Kind: EventReport, Msg: p.id})
		p.phase = phaseCAP
		return CapReq{}, nil
	case phaseCAP:
		m, err := p.expect(f, ReplyPDCAP)
		if err != nil {
			return nil, err
		}
		p.cap = m.(PDCap)
		p.bus.emit(Event{Addr: p.addr(), Kind: EventReport, Msg: p.cap})
		if p.cfg.SCBK == nil {
			return nil, nil // plaintext PD: online
		}
		return p.startSC(KeySelSCBK, rnd)
	case phaseCHLNG:
		if f.Code != ReplyCCRYPT || f.SCBType() != SCS12 {
			return nil, scErr("challenge", fmt.Errorf("%w: answered %s", ErrNoSC, CodeName(f.Code, true)))
		}
		cc, err := ParseCCrypt(f.Data)
		if err != nil {
			return nil, scErr("challenge", err)
		}
		keys := DeriveKeys(p.scbk, p.rndA)
		want := keys.ClientCryptogram(p.rndA, cc.RndB)
		if !Equal(want[:], cc.Cryptogram[:]) {
			if p.keySel == KeySelSCBK && p.cfg.Install {
				p.bus.log.Info("pd did not accept its scbk; trying the install key", "pd", p.cfg.Name)
				return p.startSC(KeySelSCBKD, rnd)
			}
			which := "scbk"
			if p.keySel == KeySelSCBKD {
				which = "scbk-d"
			}
			return nil, scErr("challenge", fmt.Errorf("%w (key %s)", ErrSCCryptogram, which))
		}
		p.ccrypt, p.keys = cc, keys
		p.phase = phaseSCRYPT
		return scrypt{p.keySel, keys.ServerCryptogram(p.rndA, cc.RndB)}, nil
	case phaseSCRYPT:
		if f.Code != ReplyRMACI || f.SCBType() != SCS14 || len(f.SCB) < 2 {
			return nil, scErr("server cryptogram", fmt.Errorf("%w: answered %s", ErrSCServer, CodeName(f.Code, true)))
		}
		if f.SCB[1] != 0x01 {
			return nil, scErr("server cryptogram", ErrSCServer)
		}
		rmac := p.keys.RMACI(p.keys.ServerCryptogram(p.rndA, p.ccrypt.RndB))
		if !Equal(rmac[:], f.Data) {
			return nil, scErr("rmac-i", ErrSCRMACI)
		}
		p.sess = NewSession(p.keys, rmac)
		p.sess.StatusSCS15Quirk = p.cfg.StatusSCS15Quirk
		if p.keySel == KeySelSCBKD {
			p.phase = phaseKEYSET
			return KeySet{Type: 1, Key: p.cfg.SCBK}, nil
		}
		p.scDone = true
		return nil, nil
	case phaseKEYSET:
		if err := p.bus.openReply(p, &f); err != nil {
			return nil, scErr("keyset", err)
		}
		if f.Code != ReplyACK {
			return nil, scErr("keyset", fmt.Errorf("pd answered %s", CodeName(f.Code, true)))
		}
		p.keyDone = true
		p.bus.emit(Event{Addr: p.addr(), Kind: EventSecureChannel, Secure: true})
		p.bus.log.Info("pd accepted its new scbk; remove the install flag", "pd", p.cfg.Name)
		return p.startSC(KeySelSCBK, rnd)
	}
	return nil, fmt.Errorf("osdp: reply in phase %v", p.phase)
}

// expect checks a plaintext handshake reply has the wanted code and parses it.
func (p *pd) expect(f Frame, code byte) (Message, error) {
	if f.SCB != nil {
		return nil, fmt.Errorf("osdp: unexpected security block in %s", CodeName(f.Code, true))
	}
	if f.Code == ReplyNAK && len(f.Data) > 0 {
		return nil, &NAKError{Cmd: p.out.code, Code: f.Data[0]}
	}
	if f.Code != code {
		return nil, fmt.Errorf("osdp: %s answered with %s", CodeName(p.out.code, false), CodeName(f.Code, true))
	}
	return ParseReply(f.Code, f.Data)
}
