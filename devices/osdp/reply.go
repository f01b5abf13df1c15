package osdp

import (
	"encoding/binary"
	"fmt"
)

// Ack is osdp_ACK: the command was accepted, nothing to report.
type Ack struct{}

// Busy is osdp_BUSY: the PD cannot answer now; the CP repeats the command.
type Busy struct{}

func (Ack) Code() byte                  { return ReplyACK }
func (Ack) AppendData(d []byte) []byte  { return d }
func (Busy) Code() byte                 { return ReplyBUSY }
func (Busy) AppendData(d []byte) []byte { return d }

// Nak is osdp_NAK with its error code (see the NAK* constants).
type Nak struct {
	Error byte
	Data  []byte
}

func (Nak) Code() byte                   { return ReplyNAK }
func (m Nak) AppendData(d []byte) []byte { return append(append(d, m.Error), m.Data...) }

// PDID is the PD's identity report (osdp_PDID, spec §7.4).
type PDID struct {
	Vendor   [3]byte // IEEE OUI
	Model    byte
	Version  byte
	Serial   uint32
	Firmware [3]byte // major, minor, build
}

func (PDID) Code() byte { return ReplyPDID }
func (m PDID) AppendData(d []byte) []byte {
	d = append(append(d, m.Vendor[:]...), m.Model, m.Version)
	d = binary.LittleEndian.AppendUint32(d, m.Serial)
	return append(d, m.Firmware[:]...)
}

// Capability is one (function, compliance, number) triple of osdp_PDCAP.
type Capability struct{ Function, Compliance, Number byte }

// Capability function codes used by menwei (spec Annex B).
const (
	CapContactStatus  = 1
	CapOutputControl  = 2
	CapCardFormat     = 3
	CapReaderLED      = 4
	CapReaderAudible  = 5
	CapReaderText     = 6
	CapCheckCharacter = 8
	CapSecurity       = 9
	CapReceiveBuffer  = 10
	CapLargestMessage = 11
	CapBiometrics     = 14
	CapOSDPVersion    = 16
)

// PDCap lists the PD's capabilities.
type PDCap struct{ Caps []Capability }

func (PDCap) Code() byte { return ReplyPDCAP }
func (m PDCap) AppendData(d []byte) []byte {
	for _, c := range m.Caps {
		d = append(d, c.Function, c.Compliance, c.Number)
	}
	return d
}

// Find returns the capability with the given function code.
func (m PDCap) Find(function byte) (Capability, bool) {
	for _, c := range m.Caps {
		if c.Function == function {
			return c, true
		}
	}
	return Capability{}, false
}

// LStatR reports tamper and power (0 normal, 1 tamper / power failure).
type LStatR struct{ Tamper, Power byte }

func (LStatR) Code() byte                   { return ReplyLSTATR }
func (m LStatR) AppendData(d []byte) []byte { return append(d, m.Tamper, m.Power) }

// IStatR reports each input: 0 inactive, 1 active.
type IStatR struct{ Inputs []byte }

// OStatR reports each output: 0 inactive, 1 active.
type OStatR struct{ Outputs []byte }

// RStatR reports each attached reader's tamper state.
type RStatR struct{ Readers []byte }

func (IStatR) Code() byte                   { return ReplyISTATR }
func (m IStatR) AppendData(d []byte) []byte { return append(d, m.Inputs...) }
func (OStatR) Code() byte                   { return ReplyOSTATR }
func (m OStatR) AppendData(d []byte) []byte { return append(d, m.Outputs...) }
func (RStatR) Code() byte                   { return ReplyRSTATR }
func (m RStatR) AppendData(d []byte) []byte { return append(d, m.Readers...) }

// Raw card data formats (osdp_RAW).
const (
	RawFormatUnspecified = 0
	RawFormatWiegand     = 1
)

// Raw is card data as read: Bits valid bits, left-aligned in Data.
type Raw struct {
	Reader, Format byte
	Bits           uint16
	Data           []byte
}

func (Raw) Code() byte { return ReplyRAW }
func (m Raw) AppendData(d []byte) []byte {
	d = append(d, m.Reader, m.Format)
	d = binary.LittleEndian.AppendUint16(d, m.Bits)
	return append(d, m.Data...)
}

// String hides the card number.
func (m Raw) String() string {
	return fmt.Sprintf("RAW{reader=%d format=%d bits=%d}", m.Reader, m.Format, m.Bits)
}

// Keypad is keys pressed on a reader, as ASCII ('0'-'9', 0x7F '*', 0x0D '#').
type Keypad struct {
	Reader byte
	Keys   []byte
}

func (Keypad) Code() byte { return ReplyKEYPAD }
func (m Keypad) AppendData(d []byte) []byte {
	return append(append(d, m.Reader, byte(len(m.Keys))), m.Keys...)
}

// String hides the keys (they may be a PIN).
func (m Keypad) String() string {
	return fmt.Sprintf("KEYPAD{reader=%d count=%d}", m.Reader, len(m.Keys))
}

// ParseCommand decodes the data of a plaintext (or already decrypted) command.
// Secure-channel handshake commands (CHLNG, SCRYPT) are not handled here.
func ParseCommand(code byte, b []byte) (Message, error) {
	switch code {
	case CmdPOLL:
		return Poll{}, exact("POLL", b, 0)
	case CmdID:
		return IDReq{}, exact("ID", b, 1)
	case CmdCAP:
		return CapReq{}, exact("CAP", b, 1)
	case CmdLSTAT:
		return LStat{}, exact("LSTAT", b, 0)
	case CmdISTAT:
		return IStat{}, exact("ISTAT", b, 0)
	case CmdOSTAT:
		return OStat{}, exact("OSTAT", b, 0)
	case CmdRSTAT:
		return RStat{}, exact("RSTAT", b, 0)
	case CmdOUT:
		return parseOut(b)
	case CmdLED:
		return parseLED(b)
	case CmdBUZ:
		return parseBuz(b)
	case CmdTEXT:
		return parseText(b)
	case CmdCOMSET:
		return parseComSet(b)
	case CmdBIOREAD:
		return parseBioRead(b)
	case CmdBIOMATCH:
		return parseBioMatch(b)
	case CmdKEYSET:
		return parseKeySet(b)
	case CmdMFG:
		v, data, err := parseVendor("MFG", b)
		return Mfg{v, data}, err
	case CmdACURXSIZE:
		n, err := parseU16("ACURXSIZE", b)
		return ACURxSize{n}, err
	case CmdKEEPACTIVE:
		n, err := parseU16("KEEPACTIVE", b)
		return KeepActive{n}, err
	}
	return nil, &PayloadError{CodeName(code, false), "unknown command"}
}

// ParseReply decodes the data of a plaintext (or already decrypted) reply.
// Secure-channel handshake replies (CCRYPT, RMAC_I) are not handled here.
func ParseReply(code byte, b []byte) (Message, error) {
	switch code {
	case ReplyACK:
		return Ack{}, exact("ACK", b, 0)
	case ReplyBUSY:
		return Busy{}, exact("BUSY", b, 0)
	case ReplyNAK:
		if len(b) < 1 {
			return nil, lenErr("NAK", len(b), "at least 1")
		}
		return Nak{b[0], b[1:]}, nil
	case ReplyPDID:
		if err := exact("PDID", b, 12); err != nil {
			return nil, err
		}
		return PDID{[3]byte{b[0], b[1], b[2]}, b[3], b[4], binary.LittleEndian.Uint32(b[5:]), [3]byte{b[9], b[10], b[11]}}, nil
	case ReplyPDCAP:
		if err := records("PDCAP", b, 3); err != nil {
			return nil, err
		}
		var m PDCap
		for ; len(b) > 0; b = b[3:] {
			m.Caps = append(m.Caps, Capability{b[0], b[1], b[2]})
		}
		return m, nil
	case ReplyLSTATR:
		if err := exact("LSTATR", b, 2); err != nil {
			return nil, err
		}
		return LStatR{b[0], b[1]}, nil
	case ReplyISTATR:
		return IStatR{b}, nil
	case ReplyOSTATR:
		return OStatR{b}, nil
	case ReplyRSTATR:
		return RStatR{b}, nil
	case ReplyRAW:
		if len(b) < 4 {
			return nil, lenErr("RAW", len(b), "at least 4")
		}
		bits := binary.LittleEndian.Uint16(b[2:])
		if want := (int(bits) + 7) / 8; len(b)-4 != want {
			return nil, lenErr("RAW", len(b), fmt.Sprintf("4 + %d for %d bits", want, bits))
		}
		return Raw{b[0], b[1], bits, b[4:]}, nil
	case ReplyKEYPAD:
		if len(b) < 2 || len(b) != 2+int(b[1]) {
			return nil, lenErr("KEYPAD", len(b), "2 + key count")
		}
		return Keypad{b[0], b[2:]}, nil
	case ReplyCOM:
		if err := exact("COM", b, 5); err != nil {
			return nil, err
		}
		return Com{b[0], binary.LittleEndian.Uint32(b[1:])}, nil
	case ReplyBIOREADR:
		return parseBioReadR(b)
	case ReplyBIOMATCHR:
		if err := exact("BIOMATCHR", b, 4); err != nil {
			return nil, err
		}
		return BioMatchR{b[0], b[1], b[2], b[3]}, nil
	case ReplyMFGREP:
		v, data, err := parseVendor("MFGREP", b)
		return MfgRep{v, data}, err
	}
	return nil, &PayloadError{CodeName(code, true), "unknown reply"}
}
