package fpm

import (
	"encoding/hex"
	"strings"
	"testing"
)

// golden are packets built by hand from the datasheet layout (R307 user
// manual, ZFM-20 user manual), checksums summed by hand. Acknowledgements
// name the instruction they answer and the reply or error it parses to.
var golden = []struct {
	name  string
	hex   string
	pkt   Packet
	cmd   Command     // for commands
	ins   Instruction // for acknowledgements
	reply Reply       // for successful acknowledgements
	code  Code        // for failed ones
}{
	{name: "GenImg", hex: "ef 01 ff ff ff ff 01 00 03 01 00 05",
		pkt: Packet{DefaultAddr, PIDCommand, []byte{0x01}}, cmd: GenImg{}},
	{name: "ack ok", hex: "ef 01 ff ff ff ff 07 00 03 00 00 0a",
		pkt: Packet{DefaultAddr, PIDAck, []byte{0x00}}, ins: InsGenImg, reply: Ack{}},
	{name: "ack no finger", hex: "ef 01 ff ff ff ff 07 00 03 02 00 0c",
		pkt: Packet{DefaultAddr, PIDAck, []byte{0x02}}, ins: InsGenImg, code: CodeNoFinger},
	{name: "Img2Tz 1", hex: "ef 01 ff ff ff ff 01 00 04 02 01 00 08",
		pkt: Packet{DefaultAddr, PIDCommand, []byte{0x02, 0x01}}, cmd: Img2Tz{CharBuffer1}},
	{name: "Search 1 from 0, 300", hex: "ef 01 ff ff ff ff 01 00 08 04 01 00 00 01 2c 00 3b",
		pkt: Packet{DefaultAddr, PIDCommand, []byte{0x04, 0x01, 0x00, 0x00, 0x01, 0x2c}},
		cmd: Search{Buffer: CharBuffer1, Start: 0, Count: 300}},
	{name: "Search found page 5 score 160", hex: "ef 01 ff ff ff ff 07 00 07 00 00 05 00 a0 00 b3",
		pkt: Packet{DefaultAddr, PIDAck, []byte{0x00, 0x00, 0x05, 0x00, 0xa0}},
		ins: InsSearch, reply: SearchReply{Page: 5, Score: 160}},
	{name: "Search not found", hex: "ef 01 ff ff ff ff 07 00 07 09 00 00 00 00 00 17",
		pkt: Packet{DefaultAddr, PIDAck, []byte{0x09, 0, 0, 0, 0}}, ins: InsSearch, code: CodeNotFound},
	{name: "VfyPwd 0", hex: "ef 01 ff ff ff ff 01 00 07 13 00 00 00 00 00 1b",
		pkt: Packet{DefaultAddr, PIDCommand, []byte{0x13, 0, 0, 0, 0}}, cmd: VfyPwd{0}},
	{name: "Store 1 at 5", hex: "ef 01 ff ff ff ff 01 00 06 06 01 00 05 00 13",
		pkt: Packet{DefaultAddr, PIDCommand, []byte{0x06, 0x01, 0x00, 0x05}}, cmd: Store{CharBuffer1, 5}},
	{name: "DeleteChar 5, 1", hex: "ef 01 ff ff ff ff 01 00 07 0c 00 05 00 01 00 1a",
		pkt: Packet{DefaultAddr, PIDCommand, []byte{0x0c, 0x00, 0x05, 0x00, 0x01}}, cmd: DeleteChar{5, 1}},
	{name: "TemplateNum at 12345678", hex: "ef 01 12 34 56 78 01 00 03 1d 00 21",
		pkt: Packet{0x12345678, PIDCommand, []byte{0x1d}}, cmd: TemplateNum{}},
	{name: "TemplateNum 1", hex: "ef 01 ff ff ff ff 07 00 05 00 00 01 00 0d",
		pkt: Packet{DefaultAddr, PIDAck, []byte{0x00, 0x00, 0x01}}, ins: InsTemplateNum, reply: TemplateCount{1}},
	{name: "ReadIndexTable 0", hex: "ef 01 ff ff ff ff 01 00 04 1f 00 00 24",
		pkt: Packet{DefaultAddr, PIDCommand, []byte{0x1f, 0x00}}, cmd: ReadIndexTable{0}},
	{name: "index page 5 used", hex: "ef 01 ff ff ff ff 07 00 23 00 20" + strings.Repeat(" 00", 31) + " 00 4a",
		pkt: Packet{DefaultAddr, PIDAck, append([]byte{0x00, 0x20}, make([]byte, 31)...)},
		ins: InsReadIndexTable, reply: IndexTable{Bits: [32]byte{0x20}}},
	{name: "ReadSysPara factory", hex: "ef 01 ff ff ff ff 07 00 13 00 00 00 00 09 01 2c 00 03 ff ff ff ff 00 02 00 06 04 57",
		pkt: Packet{DefaultAddr, PIDAck, []byte{0, 0, 0, 0, 9, 1, 0x2c, 0, 3, 0xff, 0xff, 0xff, 0xff, 0, 2, 0, 6}},
		ins: InsReadSysPara, reply: SysParams{SystemID: 9, Capacity: 300, SecurityLevel: 3, Addr: DefaultAddr, PacketSize: 128, Baud: 57600}},
	{name: "SetSysPara packet size 128", hex: "ef 01 ff ff ff ff 01 00 05 0e 06 02 00 1c",
		pkt: Packet{DefaultAddr, PIDCommand, []byte{0x0e, 0x06, 0x02}}, cmd: SetSysPara{ParamPacketSize, 2}},
	{name: "SetSysPara invalid register", hex: "ef 01 ff ff ff ff 07 00 03 1a 00 24",
		pkt: Packet{DefaultAddr, PIDAck, []byte{0x1a}}, ins: InsSetSysPara, code: CodeBadRegister},
	{name: "UpImage", hex: "ef 01 ff ff ff ff 01 00 03 0a 00 0e",
		pkt: Packet{DefaultAddr, PIDCommand, []byte{0x0a}}, cmd: UpImage{}},
	{name: "HighSpeedSearch 1 from 0, 300", hex: "ef 01 ff ff ff ff 01 00 08 1b 01 00 00 01 2c 00 52",
		pkt: Packet{DefaultAddr, PIDCommand, []byte{0x1b, 0x01, 0x00, 0x00, 0x01, 0x2c}},
		cmd: HighSpeedSearch{Buffer: CharBuffer1, Start: 0, Count: 300}},
	{name: "HighSpeedSearch found page 5 score 160", hex: "ef 01 ff ff ff ff 07 00 07 00 00 05 00 a0 00 b3",
		pkt: Packet{DefaultAddr, PIDAck, []byte{0x00, 0x00, 0x05, 0x00, 0xa0}},
		ins: InsHighSpeedSearch, reply: SearchReply{Page: 5, Score: 160}},
	{name: "data", hex: "ef 01 ff ff ff ff 02 00 06 01 02 03 04 00 12",
		pkt: Packet{DefaultAddr, PIDData, []byte{1, 2, 3, 4}}},
	{name: "last data, checksum past 0xff", hex: "ef 01 ff ff ff ff 08 00 04 ff ff 02 0a",
		pkt: Packet{DefaultAddr, PIDDataLast, []byte{0xff, 0xff}}},
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}
