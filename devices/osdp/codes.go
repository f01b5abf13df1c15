package osdp

import "fmt"

// Command codes, CP → PD (spec §6, Table 2).
const (
	CmdPOLL       = 0x60
	CmdID         = 0x61
	CmdCAP        = 0x62
	CmdLSTAT      = 0x64
	CmdISTAT      = 0x65
	CmdOSTAT      = 0x66
	CmdRSTAT      = 0x67
	CmdOUT        = 0x68
	CmdLED        = 0x69
	CmdBUZ        = 0x6A
	CmdTEXT       = 0x6B
	CmdCOMSET     = 0x6E
	CmdBIOREAD    = 0x73
	CmdBIOMATCH   = 0x74
	CmdKEYSET     = 0x75
	CmdCHLNG      = 0x76
	CmdSCRYPT     = 0x77
	CmdACURXSIZE  = 0x7B
	CmdMFG        = 0x80
	CmdKEEPACTIVE = 0xA7
)

// Reply codes, PD → CP (spec §7, Table 3).
const (
	ReplyACK       = 0x40
	ReplyNAK       = 0x41
	ReplyPDID      = 0x45
	ReplyPDCAP     = 0x46
	ReplyLSTATR    = 0x48
	ReplyISTATR    = 0x49
	ReplyOSTATR    = 0x4A
	ReplyRSTATR    = 0x4B
	ReplyRAW       = 0x50
	ReplyKEYPAD    = 0x53
	ReplyCOM       = 0x54
	ReplyBIOREADR  = 0x57
	ReplyBIOMATCHR = 0x58
	ReplyCCRYPT    = 0x76
	ReplyRMACI     = 0x78
	ReplyBUSY      = 0x79
	ReplyMFGREP    = 0x90
)

var cmdNames = map[byte]string{
	CmdPOLL: "POLL", CmdID: "ID", CmdCAP: "CAP", CmdLSTAT: "LSTAT", CmdISTAT: "ISTAT",
	CmdOSTAT: "OSTAT", CmdRSTAT: "RSTAT", CmdOUT: "OUT", CmdLED: "LED", CmdBUZ: "BUZ",
	CmdTEXT: "TEXT", CmdCOMSET: "COMSET", CmdBIOREAD: "BIOREAD", CmdBIOMATCH: "BIOMATCH",
	CmdKEYSET: "KEYSET", CmdCHLNG: "CHLNG", CmdSCRYPT: "SCRYPT", CmdACURXSIZE: "ACURXSIZE",
	CmdMFG: "MFG", CmdKEEPACTIVE: "KEEPACTIVE",
}

var replyNames = map[byte]string{
	ReplyACK: "ACK", ReplyNAK: "NAK", ReplyPDID: "PDID", ReplyPDCAP: "PDCAP",
	ReplyLSTATR: "LSTATR", ReplyISTATR: "ISTATR", ReplyOSTATR: "OSTATR", ReplyRSTATR: "RSTATR",
	ReplyRAW: "RAW", ReplyKEYPAD: "KEYPAD", ReplyCOM: "COM", ReplyBIOREADR: "BIOREADR",
	ReplyBIOMATCHR: "BIOMATCHR", ReplyCCRYPT: "CCRYPT", ReplyRMACI: "RMAC_I", ReplyBUSY: "BUSY",
	ReplyMFGREP: "MFGREP",
}

// CodeName names a command (reply=false) or reply code.
func CodeName(code byte, reply bool) string {
	m := cmdNames
	if reply {
		m = replyNames
	}
	if s, ok := m[code]; ok {
		return s
	}
	return fmt.Sprintf("0x%02X", code)
}

// NAK error codes (spec §7.3, Table 49).
const (
	NAKNone            = 0x00
	NAKBadCheck        = 0x01 // message check character(s) error
	NAKCmdLength       = 0x02 // command length error
	NAKUnknownCmd      = 0x03 // unknown command code
	NAKUnexpectedSeq   = 0x04 // unexpected sequence number
	NAKSCBUnsupported  = 0x05 // security block not supported
	NAKEncryptRequired = 0x06 // encrypted communication required
	NAKBioType         = 0x07 // BIO type not supported
	NAKBioFormat       = 0x08 // BIO format not supported
	NAKUnableToProcess = 0x09 // unable to process command record
)

// NAKError is a PD's negative acknowledgement of a command.
type NAKError struct {
	Cmd  byte
	Code byte
}

func (e *NAKError) Error() string {
	return fmt.Sprintf("osdp: %s refused: nak %d (%s)", CodeName(e.Cmd, false), e.Code, nakText(e.Code))
}

func nakText(c byte) string {
	switch c {
	case NAKBadCheck:
		return "check character error"
	case NAKCmdLength:
		return "command length error"
	case NAKUnknownCmd:
		return "unknown command"
	case NAKUnexpectedSeq:
		return "unexpected sequence number"
	case NAKSCBUnsupported:
		return "security block not supported"
	case NAKEncryptRequired:
		return "encrypted communication required"
	case NAKBioType:
		return "bio type not supported"
	case NAKBioFormat:
		return "bio format not supported"
	case NAKUnableToProcess:
		return "unable to process command"
	}
	return "unknown code"
}
