package osdp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Message is a command or reply payload: its code and its data bytes.
type Message interface {
	Code() byte
	AppendData(dst []byte) []byte
}

// ErrPayload is returned (wrapped in *PayloadError) when a payload has the
// wrong length or an impossible field value.
var ErrPayload = errors.New("osdp: bad payload")

// PayloadError names the message and what was wrong with it.
type PayloadError struct {
	Name   string
	Reason string
}

func (e *PayloadError) Error() string { return fmt.Sprintf("osdp: %s: %s", e.Name, e.Reason) }
func (e *PayloadError) Unwrap() error { return ErrPayload }

func lenErr(name string, got int, want string) error {
	return &PayloadError{Name: name, Reason: fmt.Sprintf("data length %d, want %s", got, want)}
}

func exact(name string, b []byte, n int) error {
	if len(b) != n {
		return lenErr(name, len(b), fmt.Sprint(n))
	}
	return nil
}

// records checks b is a non-empty whole number of n-byte records.
func records(name string, b []byte, n int) error {
	if len(b) == 0 || len(b)%n != 0 {
		return lenErr(name, len(b), fmt.Sprintf("a multiple of %d", n))
	}
	return nil
}

// ---- Commands without data, or with one reserved byte ----

// Poll asks a PD for its pending reply (osdp_POLL).
type Poll struct{}

// IDReq asks for the PD's identity (osdp_ID); the reply is PDID.
type IDReq struct{}

// CapReq asks for the PD's capabilities (osdp_CAP); the reply is PDCap.
type CapReq struct{}

// LStat, IStat, OStat and RStat ask for local, input, output and reader status.
type (
	LStat struct{}
	IStat struct{}
	OStat struct{}
	RStat struct{}
)

func (Poll) Code() byte                   { return CmdPOLL }
func (Poll) AppendData(d []byte) []byte   { return d }
func (IDReq) Code() byte                  { return CmdID }
func (IDReq) AppendData(d []byte) []byte  { return append(d, 0) }
func (CapReq) Code() byte                 { return CmdCAP }
func (CapReq) AppendData(d []byte) []byte { return append(d, 0) }
func (LStat) Code() byte                  { return CmdLSTAT }
func (LStat) AppendData(d []byte) []byte  { return d }
func (IStat) Code() byte                  { return CmdISTAT }
func (IStat) AppendData(d []byte) []byte  { return d }
func (OStat) Code() byte                  { return CmdOSTAT }
func (OStat) AppendData(d []byte) []byte  { return d }
func (RStat) Code() byte                  { return CmdRSTAT }
func (RStat) AppendData(d []byte) []byte  { return d }

// ---- Output control (osdp_OUT, spec §6.8) ----

// Output control codes.
const (
	OutNOP           = 0
	OutPermOffAbort  = 1 // permanent off, abort a timed operation
	OutPermOnAbort   = 2 // permanent on, abort a timed operation
	OutPermOffAllow  = 3 // permanent off, let a timed operation finish
	OutPermOnAllow   = 4 // permanent on, let a timed operation finish
	OutTempOnThenOff = 5 // timed on, then off
	OutTempOffThenOn = 6 // timed off, then on
)

// OutRecord drives one output; Timer is in units of 100 ms.
type OutRecord struct {
	Output  byte
	Control byte
	Timer   uint16
}

// Out is osdp_OUT: one or more output records.
type Out struct{ Records []OutRecord }

func (Out) Code() byte { return CmdOUT }
func (m Out) AppendData(d []byte) []byte {
	for _, r := range m.Records {
		d = append(d, r.Output, r.Control)
		d = binary.LittleEndian.AppendUint16(d, r.Timer)
	}
	return d
}

func parseOut(b []byte) (Out, error) {
	if err := records("OUT", b, 4); err != nil {
		return Out{}, err
	}
	var m Out
	for ; len(b) > 0; b = b[4:] {
		if b[1] > OutTempOffThenOn {
			return Out{}, &PayloadError{"OUT", fmt.Sprintf("control code %d", b[1])}
		}
		m.Records = append(m.Records, OutRecord{b[0], b[1], binary.LittleEndian.Uint16(b[2:])})
	}
	return m, nil
}

// ---- Reader LED control (osdp_LED, spec §6.10) ----

// LED colours.
const (
	ColorBlack = 0
	ColorRed   = 1
	ColorGreen = 2
	ColorAmber = 3
	ColorBlue  = 4
)

// LEDTemp is the temporary part of an LED record (Control 0 NOP, 1 cancel, 2 set).
// OnTime/OffTime are in 100 ms units; Timer (100 ms units) ends it.
type LEDTemp struct {
	Control, OnTime, OffTime, OnColor, OffColor byte
	Timer                                       uint16
}

// LEDPerm is the permanent part of an LED record (Control 0 NOP, 1 set).
type LEDPerm struct {
	Control, OnTime, OffTime, OnColor, OffColor byte
}

// LEDRecord controls one LED of one reader.
type LEDRecord struct {
	Reader, LED byte
	Temp        LEDTemp
	Perm        LEDPerm
}

// LED is osdp_LED: one or more 14-byte records.
type LED struct{ Records []LEDRecord }

func (LED) Code() byte { return CmdLED }
func (m LED) AppendData(d []byte) []byte {
	for _, r := range m.Records {
		t, p := r.Temp, r.Perm
		d = append(d, r.Reader, r.LED, t.Control, t.OnTime, t.OffTime, t.OnColor, t.OffColor)
		d = binary.LittleEndian.AppendUint16(d, t.Timer)
		d = append(d, p.Control, p.OnTime, p.OffTime, p.OnColor, p.OffColor)
	}
	return d
}

func parseLED(b []byte) (LED, error) {
	if err := records("LED", b, 14); err != nil {
		return LED{}, err
	}
	var m LED
	for ; len(b) > 0; b = b[14:] {
		m.Records = append(m.Records, LEDRecord{
			Reader: b[0], LED: b[1],
			Temp: LEDTemp{b[2], b[3], b[4], b[5], b[6], binary.LittleEndian.Uint16(b[7:])},
			Perm: LEDPerm{b[9], b[10], b[11], b[12], b[13]},
		})
	}
	return m, nil
}

// ---- Buzzer (osdp_BUZ, spec §6.11) ----

// Buz sounds a reader's buzzer. Tone 0 none, 1 off, 2 default tone;
// OnTime/OffTime in 100 ms units; Count 0 means until told otherwise.
type Buz struct{ Reader, Tone, OnTime, OffTime, Count byte }

func (Buz) Code() byte { return CmdBUZ }
func (m Buz) AppendData(d []byte) []byte {
	return append(d, m.Reader, m.Tone, m.OnTime, m.OffTime, m.Count)
}

func parseBuz(b []byte) (Buz, error) {
	if err := exact("BUZ", b, 5); err != nil {
		return Buz{}, err
	}
	return Buz{b[0], b[1], b[2], b[3], b[4]}, nil
}

// ---- Text (osdp_TEXT, spec §6.12) ----

// Text shows text on a reader. Command 1 permanent no wrap, 2 permanent wrap,
// 3 temporary no wrap, 4 temporary wrap; TempTime in seconds.
type Text struct {
	Reader, Command, TempTime, Row, Col byte
	Text                                string
}

func (Text) Code() byte { return CmdTEXT }
func (m Text) AppendData(d []byte) []byte {
	d = append(d, m.Reader, m.Command, m.TempTime, m.Row, m.Col, byte(len(m.Text)))
	return append(d, m.Text...)
}

func parseText(b []byte) (Text, error) {
	if len(b) < 6 || len(b) != 6+int(b[5]) {
		return Text{}, lenErr("TEXT", len(b), "6 + text length")
	}
	return Text{b[0], b[1], b[2], b[3], b[4], string(b[6:])}, nil
}

// ---- Communication settings (osdp_COMSET, osdp_COM) ----

// ComSet tells a PD to move to a new address and baud rate.
type ComSet struct {
	Addr byte
	Baud uint32
}

func (ComSet) Code() byte { return CmdCOMSET }
func (m ComSet) AppendData(d []byte) []byte {
	return binary.LittleEndian.AppendUint32(append(d, m.Addr), m.Baud)
}

func parseComSet(b []byte) (ComSet, error) {
	if err := exact("COMSET", b, 5); err != nil {
		return ComSet{}, err
	}
	if b[0] >= Broadcast {
		return ComSet{}, &PayloadError{"COMSET", fmt.Sprintf("address %d", b[0])}
	}
	return ComSet{b[0], binary.LittleEndian.Uint32(b[1:])}, nil
}

// Com is the PD's answer to COMSET: the settings it will use.
type Com struct {
	Addr byte
	Baud uint32
}

func (Com) Code() byte { return ReplyCOM }
func (m Com) AppendData(d []byte) []byte {
	return binary.LittleEndian.AppendUint32(append(d, m.Addr), m.Baud)
}

// ---- Biometrics (osdp_BIOREAD, osdp_BIOMATCH, spec §6.17-6.18) ----

// BioRead asks a reader to capture a biometric sample.
type BioRead struct{ Reader, Type, Format, Quality byte }

func (BioRead) Code() byte { return CmdBIOREAD }
func (m BioRead) AppendData(d []byte) []byte {
	return append(d, m.Reader, m.Type, m.Format, m.Quality)
}

func parseBioRead(b []byte) (BioRead, error) {
	if err := exact("BIOREAD", b, 4); err != nil {
		return BioRead{}, err
	}
	return BioRead{b[0], b[1], b[2], b[3]}, nil
}

// BioMatch sends a template for the reader to match against a live sample.
type BioMatch struct {
	Reader, Type, Format, Threshold byte
	Template                        []byte
}

func (BioMatch) Code() byte { return CmdBIOMATCH }
func (m BioMatch) AppendData(d []byte) []byte {
	d = append(d, m.Reader, m.Type, m.Format, m.Threshold)
	d = binary.LittleEndian.AppendUint16(d, uint16(len(m.Template)))
	return append(d, m.Template...)
}

func parseBioMatch(b []byte) (BioMatch, error) {
	if len(b) < 6 || len(b) != 6+int(binary.LittleEndian.Uint16(b[4:])) {
		return BioMatch{}, lenErr("BIOMATCH", len(b), "6 + template length")
	}
	return BioMatch{b[0], b[1], b[2], b[3], b[6:]}, nil
}

// BioReadR carries a captured sample. Status 0 success, 1 timeout, 2+ error.
type BioReadR struct {
	Reader, Status, Type, Quality byte
	Data                          []byte
}

func (BioReadR) Code() byte { return ReplyBIOREADR }
func (m BioReadR) AppendData(d []byte) []byte {
	d = append(d, m.Reader, m.Status, m.Type, m.Quality)
	d = binary.LittleEndian.AppendUint16(d, uint16(len(m.Data)))
	return append(d, m.Data...)
}

func parseBioReadR(b []byte) (BioReadR, error) {
	if len(b) < 6 || len(b) != 6+int(binary.LittleEndian.Uint16(b[4:])) {
		return BioReadR{}, lenErr("BIOREADR", len(b), "6 + data length")
	}
	return BioReadR{b[0], b[1], b[2], b[3], b[6:]}, nil
}

// BioMatchR is the result of a BIOMATCH: Status 1 match, 0 no match; Score 0..255.
type BioMatchR struct{ Reader, Status, Type, Score byte }

func (BioMatchR) Code() byte { return ReplyBIOMATCHR }
func (m BioMatchR) AppendData(d []byte) []byte {
	return append(d, m.Reader, m.Status, m.Type, m.Score)
}

// ---- Keys (osdp_KEYSET, spec §6.16) ----

// KeySet installs a new secure channel base key. Type 1 is SCBK. It is only
// ever sent under an established secure channel.
type KeySet struct {
	Type byte
	Key  []byte
}

func (KeySet) Code() byte { return CmdKEYSET }
func (m KeySet) AppendData(d []byte) []byte {
	return append(append(d, m.Type, byte(len(m.Key))), m.Key...)
}

// String hides the key.
func (m KeySet) String() string { return fmt.Sprintf("KEYSET{type=%d len=%d}", m.Type, len(m.Key)) }

func parseKeySet(b []byte) (KeySet, error) {
	if len(b) < 2 || len(b) != 2+int(b[1]) {
		return KeySet{}, lenErr("KEYSET", len(b), "2 + key length")
	}
	if b[0] != 1 || b[1] != 16 {
		return KeySet{}, &PayloadError{"KEYSET", fmt.Sprintf("key type %d length %d, want SCBK of 16 bytes", b[0], b[1])}
	}
	return KeySet{b[0], b[2:]}, nil
}

// ---- Manufacturer specific (osdp_MFG, osdp_MFGREP) ----

// Mfg is a vendor command: a 3-byte OUI and free-form data.
type Mfg struct {
	Vendor [3]byte
	Data   []byte
}

func (Mfg) Code() byte { return CmdMFG }
func (m Mfg) AppendData(d []byte) []byte {
	return append(append(d, m.Vendor[:]...), m.Data...)
}

// MfgRep is a vendor reply: a 3-byte OUI and free-form data.
type MfgRep struct {
	Vendor [3]byte
	Data   []byte
}

func (MfgRep) Code() byte { return ReplyMFGREP }
func (m MfgRep) AppendData(d []byte) []byte {
	return append(append(d, m.Vendor[:]...), m.Data...)
}

func parseVendor(name string, b []byte) ([3]byte, []byte, error) {
	if len(b) < 3 {
		return [3]byte{}, nil, lenErr(name, len(b), "at least 3")
	}
	return [3]byte{b[0], b[1], b[2]}, b[3:], nil
}

// ---- Link settings (osdp_ACURXSIZE, osdp_KEEPACTIVE) ----

// ACURxSize tells the PD the largest reply the CP accepts.
type ACURxSize struct{ Size uint16 }

func (ACURxSize) Code() byte { return CmdACURXSIZE }
func (m ACURxSize) AppendData(d []byte) []byte {
	return binary.LittleEndian.AppendUint16(d, m.Size)
}

// KeepActive keeps a reader's card session open for Millis milliseconds.
type KeepActive struct{ Millis uint16 }

func (KeepActive) Code() byte { return CmdKEEPACTIVE }
func (m KeepActive) AppendData(d []byte) []byte {
	return binary.LittleEndian.AppendUint16(d, m.Millis)
}

func parseU16(name string, b []byte) (uint16, error) {
	if err := exact(name, b, 2); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}
