package fpm

import (
	"encoding/binary"
	"fmt"
)

// Reply is the parameters of a successful acknowledgement.
type Reply interface {
	// AppendParams appends the parameters, without the confirmation code.
	AppendParams(dst []byte) []byte
}

// Ack is the reply of the instructions that return nothing but the code.
type Ack struct{}

// MatchReply answers Match.
type MatchReply struct{ Score uint16 }

// SearchReply answers Search and HighSpeedSearch: the first matching page.
type SearchReply struct{ Page, Score uint16 }

// TemplateCount answers TemplateNum.
type TemplateCount struct{ Count uint16 }

// IndexTable answers ReadIndexTable: one bit per page of one index page
// (256 library pages), least significant bit first.
type IndexTable struct{ Bits [IndexBytes]byte }

// IndexBytes is the size of one index page's bitmap.
const IndexBytes = 32

// PagesPerIndex is the number of library pages one index page covers.
const PagesPerIndex = 8 * IndexBytes

// Used returns the library pages marked used, for index page n.
func (t IndexTable) Used(n int) []int {
	var used []int
	for i, b := range t.Bits {
		for bit := range 8 {
			if b&(1<<bit) != 0 {
				used = append(used, n*PagesPerIndex+8*i+bit)
			}
		}
	}
	return used
}

// Set marks library page as used in this index page's bitmap: the bit for
// page modulo PagesPerIndex.
func (t *IndexTable) Set(page int) {
	i := page % PagesPerIndex
	t.Bits[i/8] |= 1 << (i % 8)
}

// SysParams answers ReadSysPara: the module's basic parameter list.
type SysParams struct {
	Status        uint16 // bit 0 busy, 1 matched, 2 password verified, 3 image buffer valid
	SystemID      uint16 // 0x0009 on the R30x
	Capacity      uint16 // library size, in pages
	SecurityLevel uint16 // 1..5
	Addr          uint32
	PacketSize    int // data packet size in bytes: 32, 64, 128 or 256
	Baud          int // line rate in bits per second, a multiple of 9600
}

const sysParamsLen = 16

// packetSizes maps the packet size code (0..3) to bytes.
var packetSizes = [4]int{32, 64, 128, 256}

// PacketSizeCode returns the code (0..3) for a data packet size in bytes.
func PacketSizeCode(size int) (uint16, bool) {
	for c, s := range packetSizes {
		if s == size {
			return uint16(c), true
		}
	}
	return 0, false
}

func (Ack) AppendParams(dst []byte) []byte { return dst }
func (r MatchReply) AppendParams(dst []byte) []byte {
	return binary.BigEndian.AppendUint16(dst, r.Score)
}
func (r SearchReply) AppendParams(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, r.Page)
	return binary.BigEndian.AppendUint16(dst, r.Score)
}
func (r TemplateCount) AppendParams(dst []byte) []byte {
	return binary.BigEndian.AppendUint16(dst, r.Count)
}
func (r IndexTable) AppendParams(dst []byte) []byte { return append(dst, r.Bits[:]...) }

// AppendParams encodes the parameter list. A packet size that is not one of
// the four is sent as code 0xFFFF, a rate below 9600 as multiple 0.
func (r SysParams) AppendParams(dst []byte) []byte {
	be := binary.BigEndian
	code, ok := PacketSizeCode(r.PacketSize)
	if !ok {
		code = 0xFFFF
	}
	dst = be.AppendUint16(dst, r.Status)
	dst = be.AppendUint16(dst, r.SystemID)
	dst = be.AppendUint16(dst, r.Capacity)
	dst = be.AppendUint16(dst, r.SecurityLevel)
	dst = be.AppendUint32(dst, r.Addr)
	dst = be.AppendUint16(dst, code)
	return be.AppendUint16(dst, uint16(r.Baud/9600))
}

// replyLen is the parameter length of each instruction's successful reply.
func replyLen(ins Instruction) int {
	switch ins {
	case InsMatch, InsTemplateNum:
		return 2
	case InsSearch, InsHighSpeedSearch:
		return 4
	case InsReadSysPara:
		return sysParamsLen
	case InsReadIndexTable:
		return IndexBytes
	}
	return 0
}

// AppendReply appends the contents of an acknowledgement: the confirmation
// code, then r's parameters (none when r is nil).
func AppendReply(dst []byte, code Code, r Reply) []byte {
	dst = append(dst, byte(code))
	if r == nil {
		return dst
	}
	return r.AppendParams(dst)
}

// ParseReply parses the contents of the acknowledgement of ins. A non-zero
// confirmation code is a *ConfirmError, whatever follows it; a successful
// reply of the wrong length, or a packet size code above 3, is ErrMalformed.
func ParseReply(ins Instruction, contents []byte) (Reply, error) {
	if len(contents) == 0 {
		return nil, fmt.Errorf("%w: %v: no confirmation code", ErrMalformed, ins)
	}
	if code := Code(contents[0]); code != CodeOK {
		return nil, &ConfirmError{Cmd: ins, Code: code}
	}
	p := contents[1:]
	if want := replyLen(ins); len(p) != want {
		return nil, fmt.Errorf("%w: %v reply with %d parameter bytes, want %d", ErrMalformed, ins, len(p), want)
	}
	be := binary.BigEndian
	switch ins {
	case InsMatch:
		return MatchReply{be.Uint16(p)}, nil
	case InsSearch, InsHighSpeedSearch:
		return SearchReply{be.Uint16(p), be.Uint16(p[2:])}, nil
	case InsTemplateNum:
		return TemplateCount{be.Uint16(p)}, nil
	case InsReadIndexTable:
		var t IndexTable
		copy(t.Bits[:], p)
		return t, nil
	case InsReadSysPara:
		code := be.Uint16(p[12:])
		if int(code) >= len(packetSizes) {
			return nil, fmt.Errorf("%w: packet size code %d", ErrMalformed, code)
		}
		return SysParams{
			Status:        be.Uint16(p),
			SystemID:      be.Uint16(p[2:]),
			Capacity:      be.Uint16(p[4:]),
			SecurityLevel: be.Uint16(p[6:]),
			Addr:          be.Uint32(p[8:]),
			PacketSize:    packetSizes[code],
			Baud:          int(be.Uint16(p[14:])) * 9600,
		}, nil
	}
	return Ack{}, nil
}
