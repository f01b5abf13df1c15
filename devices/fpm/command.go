package fpm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Instruction is an instruction code, the first byte of a command.
type Instruction byte

// Instruction codes (R307 user manual, "Module instruction system").
const (
	InsGenImg          Instruction = 0x01 // capture the finger into the image buffer
	InsImg2Tz          Instruction = 0x02 // image buffer → char file in a char buffer
	InsMatch           Instruction = 0x03 // compare char buffers 1 and 2
	InsSearch          Instruction = 0x04 // search the library for a char buffer
	InsRegModel        Instruction = 0x05 // merge char buffers 1 and 2 into a template
	InsStore           Instruction = 0x06 // char buffer → library page
	InsLoadChar        Instruction = 0x07 // library page → char buffer
	InsUpChar          Instruction = 0x08 // char buffer → host, in data packets
	InsDownChar        Instruction = 0x09 // host → char buffer, in data packets
	InsUpImage         Instruction = 0x0A // image buffer → host, in data packets
	InsDeleteChar      Instruction = 0x0C // delete N templates from a page on
	InsEmpty           Instruction = 0x0D // delete every template
	InsSetSysPara      Instruction = 0x0E // set one basic parameter: rate, security level, packet size
	InsReadSysPara     Instruction = 0x0F // the 16-byte basic parameter list
	InsVfyPwd          Instruction = 0x13 // verify the 4-byte handshake password
	InsHighSpeedSearch Instruction = 0x1B // Search, as fast as the module can
	InsTemplateNum     Instruction = 0x1D // number of templates stored
	InsReadIndexTable  Instruction = 0x1F // bitmap of used pages, 256 per index page
)

var insNames = map[Instruction]string{
	InsGenImg: "GenImg", InsImg2Tz: "Img2Tz", InsMatch: "Match", InsSearch: "Search",
	InsRegModel: "RegModel", InsStore: "Store", InsLoadChar: "LoadChar", InsUpChar: "UpChar",
	InsDownChar: "DownChar", InsDeleteChar: "DeleteChar", InsEmpty: "Empty",
	InsReadSysPara: "ReadSysPara", InsVfyPwd: "VfyPwd", InsTemplateNum: "TemplateNum",
	InsReadIndexTable: "ReadIndexTable", InsUpImage: "UpImage", InsSetSysPara: "SetSysPara",
	InsHighSpeedSearch: "HighSpeedSearch",
}

// String names the instruction as the datasheet does.
func (i Instruction) String() string {
	if s, ok := insNames[i]; ok {
		return s
	}
	return fmt.Sprintf("instruction %#02x", byte(i))
}

// Buffer is a char buffer number. Modules of this family have two.
type Buffer byte

// The char buffers.
const (
	CharBuffer1 Buffer = 1
	CharBuffer2 Buffer = 2
)

// Errors returned by ParseCommand and ParseReply.
var (
	ErrUnknownInstruction = errors.New("fpm: unknown instruction")
	ErrMalformed          = errors.New("fpm: malformed parameters")
)

// Command is an instruction with its parameters.
type Command interface {
	Instruction() Instruction
	// AppendParams appends the parameters, without the instruction code.
	AppendParams(dst []byte) []byte
}

// The commands, one per instruction; fields are the parameters in wire
// order.
type (
	// GenImg captures the finger on the sensor into the image buffer.
	GenImg struct{}
	// Img2Tz makes a char file of the image buffer in Buffer.
	Img2Tz struct{ Buffer Buffer }
	// Match compares char buffers 1 and 2; the reply is a MatchReply.
	Match struct{}
	// Search looks for Buffer among Count library pages from Start on; the
	// reply is a SearchReply.
	Search struct {
		Buffer       Buffer
		Start, Count uint16
	}
	// RegModel merges char buffers 1 and 2 into a template, in both.
	RegModel struct{}
	// Store writes Buffer to library page Page.
	Store struct {
		Buffer Buffer
		Page   uint16
	}
	// LoadChar reads library page Page into Buffer.
	LoadChar struct {
		Buffer Buffer
		Page   uint16
	}
	// UpChar asks for Buffer; the data packets follow the acknowledgement.
	UpChar struct{ Buffer Buffer }
	// DownChar announces data packets for Buffer, sent after the
	// acknowledgement.
	DownChar struct{ Buffer Buffer }
	// DeleteChar empties Count library pages from Page on.
	DeleteChar struct{ Page, Count uint16 }
	// Empty empties the library.
	Empty struct{}
	// ReadSysPara asks for the parameter list; the reply is SysParams.
	ReadSysPara struct{}
	// VfyPwd verifies the handshake password.
	VfyPwd struct{ Password uint32 }
	// TemplateNum asks how many pages are used; the reply is a TemplateCount.
	TemplateNum struct{}
	// ReadIndexTable asks for the used-page bitmap of index page Page
	// (0..3, 256 library pages each); the reply is an IndexTable.
	ReadIndexTable struct{ Page byte }
	// UpImage asks for the image buffer; the data packets follow the
	// acknowledgement: ImageBytes bytes, two pixels a byte.
	UpImage struct{}
	// SetSysPara sets basic parameter Param (ParamBaud, ParamSecurityLevel
	// or ParamPacketSize) to Value.
	SetSysPara struct{ Param, Value byte }
	// HighSpeedSearch is Search under another instruction code, which some
	// modules run faster; the reply is a SearchReply.
	HighSpeedSearch struct {
		Buffer       Buffer
		Start, Count uint16
	}
)

// SetSysPara parameter numbers (R307 user manual, "Set module system's
// basic parameter"), and what Value means for each.
const (
	ParamBaud          byte = 4 // the rate is Value × 9600, Value 1..12
	ParamSecurityLevel byte = 5 // 1..5
	ParamPacketSize    byte = 6 // 0..3: 32, 64, 128 or 256 bytes
)

// The image UpImage sends: 256 × 288 pixels, four bits each, two pixels a
// byte, the first in the high nibble, row by row.
const (
	ImageWidth  = 256
	ImageHeight = 288
	ImageBytes  = ImageWidth * ImageHeight / 2
)

func (GenImg) Instruction() Instruction          { return InsGenImg }
func (Img2Tz) Instruction() Instruction          { return InsImg2Tz }
func (Match) Instruction() Instruction           { return InsMatch }
func (Search) Instruction() Instruction          { return InsSearch }
func (RegModel) Instruction() Instruction        { return InsRegModel }
func (Store) Instruction() Instruction           { return InsStore }
func (LoadChar) Instruction() Instruction        { return InsLoadChar }
func (UpChar) Instruction() Instruction          { return InsUpChar }
func (DownChar) Instruction() Instruction        { return InsDownChar }
func (DeleteChar) Instruction() Instruction      { return InsDeleteChar }
func (Empty) Instruction() Instruction           { return InsEmpty }
func (ReadSysPara) Instruction() Instruction     { return InsReadSysPara }
func (VfyPwd) Instruction() Instruction          { return InsVfyPwd }
func (TemplateNum) Instruction() Instruction     { return InsTemplateNum }
func (ReadIndexTable) Instruction() Instruction  { return InsReadIndexTable }
func (UpImage) Instruction() Instruction         { return InsUpImage }
func (SetSysPara) Instruction() Instruction      { return InsSetSysPara }
func (HighSpeedSearch) Instruction() Instruction { return InsHighSpeedSearch }

func (GenImg) AppendParams(dst []byte) []byte   { return dst }
func (c Img2Tz) AppendParams(dst []byte) []byte { return append(dst, byte(c.Buffer)) }
func (Match) AppendParams(dst []byte) []byte    { return dst }
func (c Search) AppendParams(dst []byte) []byte {
	dst = append(dst, byte(c.Buffer))
	dst = binary.BigEndian.AppendUint16(dst, c.Start)
	return binary.BigEndian.AppendUint16(dst, c.Count)
}
func (RegModel) AppendParams(dst []byte) []byte { return dst }
func (c Store) AppendParams(dst []byte) []byte {
	return binary.BigEndian.AppendUint16(append(dst, byte(c.Buffer)), c.Page)
}
func (c LoadChar) AppendParams(dst []byte) []byte {
	return binary.BigEndian.AppendUint16(append(dst, byte(c.Buffer)), c.Page)
}
func (c UpChar) AppendParams(dst []byte) []byte   { return append(dst, byte(c.Buffer)) }
func (c DownChar) AppendParams(dst []byte) []byte { return append(dst, byte(c.Buffer)) }
func (c DeleteChar) AppendParams(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, c.Page)
	return binary.BigEndian.AppendUint16(dst, c.Count)
}
func (Empty) AppendParams(dst []byte) []byte       { return dst }
func (ReadSysPara) AppendParams(dst []byte) []byte { return dst }
func (c VfyPwd) AppendParams(dst []byte) []byte {
	return binary.BigEndian.AppendUint32(dst, c.Password)
}
func (TemplateNum) AppendParams(dst []byte) []byte      { return dst }
func (c ReadIndexTable) AppendParams(dst []byte) []byte { return append(dst, c.Page) }
func (UpImage) AppendParams(dst []byte) []byte          { return dst }
func (c SetSysPara) AppendParams(dst []byte) []byte     { return append(dst, c.Param, c.Value) }
func (c HighSpeedSearch) AppendParams(dst []byte) []byte {
	return Search(c).AppendParams(dst)
}

// AppendCommand appends the contents of a command packet: the instruction
// code, then the parameters.
func AppendCommand(dst []byte, c Command) []byte {
	return c.AppendParams(append(dst, byte(c.Instruction())))
}

// NewCommand returns the command packet for c to the module at addr.
func NewCommand(addr uint32, c Command) Packet {
	return Packet{Addr: addr, PID: PIDCommand, Data: AppendCommand(nil, c)}
}

// paramLen is the parameter length of each known instruction.
var paramLen = map[Instruction]int{
	InsGenImg: 0, InsImg2Tz: 1, InsMatch: 0, InsSearch: 5, InsRegModel: 0,
	InsStore: 3, InsLoadChar: 3, InsUpChar: 1, InsDownChar: 1, InsDeleteChar: 4,
	InsEmpty: 0, InsReadSysPara: 0, InsVfyPwd: 4, InsTemplateNum: 0, InsReadIndexTable: 1,
	InsUpImage: 0, InsSetSysPara: 2, InsHighSpeedSearch: 5,
}

// ParseCommand parses the contents of a command packet. An instruction
// outside the set above is ErrUnknownInstruction; parameters of the wrong
// length are ErrMalformed.
func ParseCommand(contents []byte) (Command, error) {
	if len(contents) == 0 {
		return nil, fmt.Errorf("%w: no instruction code", ErrMalformed)
	}
	ins, p := Instruction(contents[0]), contents[1:]
	want, ok := paramLen[ins]
	if !ok {
		return nil, fmt.Errorf("%w: %#02x", ErrUnknownInstruction, contents[0])
	}
	if len(p) != want {
		return nil, fmt.Errorf("%w: %v with %d parameter bytes, want %d", ErrMalformed, ins, len(p), want)
	}
	be := binary.BigEndian
	switch ins {
	case InsGenImg:
		return GenImg{}, nil
	case InsImg2Tz:
		return Img2Tz{Buffer(p[0])}, nil
	case InsMatch:
		return Match{}, nil
	case InsSearch:
		return Search{Buffer(p[0]), be.Uint16(p[1:]), be.Uint16(p[3:])}, nil
	case InsRegModel:
		return RegModel{}, nil
	case InsStore:
		return Store{Buffer(p[0]), be.Uint16(p[1:])}, nil
	case InsLoadChar:
		return LoadChar{Buffer(p[0]), be.Uint16(p[1:])}, nil
	case InsUpChar:
		return UpChar{Buffer(p[0])}, nil
	case InsDownChar:
		return DownChar{Buffer(p[0])}, nil
	case InsDeleteChar:
		return DeleteChar{be.Uint16(p), be.Uint16(p[2:])}, nil
	case InsEmpty:
		return Empty{}, nil
	case InsReadSysPara:
		return ReadSysPara{}, nil
	case InsVfyPwd:
		return VfyPwd{be.Uint32(p)}, nil
	case InsTemplateNum:
		return TemplateNum{}, nil
	case InsUpImage:
		return UpImage{}, nil
	case InsSetSysPara:
		return SetSysPara{p[0], p[1]}, nil
	case InsHighSpeedSearch:
		return HighSpeedSearch{Buffer(p[0]), be.Uint16(p[1:]), be.Uint16(p[3:])}, nil
	default: // InsReadIndexTable
		return ReadIndexTable{p[0]}, nil
	}
}
