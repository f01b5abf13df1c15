// Package fpm is menwei's driver for the R30x / AS608 / ZFM-20 family of
// UART fingerprint modules (Hangzhou Grow R305/R307/R503, Synochip AS608,
// ZhianTec ZFM-20/60): the pure packet codec, typed instructions and
// acknowledgements, the transfer of char files in data packets, and a thin
// driver that owns one module on one serial line.
//
// The layers, bottom up, each testable without the next:
//
//	packet.go    packet codec: Decode / AppendEncode, no I/O
//	reader.go    finds packets in a byte stream, resynchronises
//	command.go   instructions: AppendCommand / ParseCommand
//	reply.go     acknowledgement parameters: AppendReply / ParseReply
//	confirm.go   confirmation codes, *ConfirmError and its sentinels
//	data.go      char files split into and joined from data packets
//	module.go    the driver: one goroutine reads the port, calls take turns
//	commands.go  the driver's methods, one per instruction
//
// # Packet layout
//
// From the "Communication protocol" chapter of the R307 user manual and the
// "Data package format" section of the ZFM-20 user manual. Multi-byte fields
// are big endian.
//
//	+-------+-------+-------------+-----+--------+----------------+----------+
//	| 0xEF  | 0x01  | ADDR        | PID | LEN    | contents       | SUM      |
//	| header (2)    | 4 bytes     | 1   | 2      | LEN-2 bytes    | 2 bytes  |
//	+-------+-------+-------------+-----+--------+----------------+----------+
//
//	ADDR  module address, 0xFFFFFFFF from the factory
//	PID   0x01 command, 0x02 data with more to follow, 0x07 acknowledge,
//	      0x08 last data packet
//	LEN   contents plus the two checksum bytes
//	SUM   PID + LEN_HI + LEN_LO + every contents byte, modulo 2^16
//
// A command's contents are the instruction code and its parameters; an
// acknowledgement's are the confirmation code (0x00 = done) and the reply
// parameters; a data packet's are a slice of a char file or image.
//
//	GenImg command:  EF 01 FF FF FF FF 01 00 03 01 00 05
//	ack, code 0x00:  EF 01 FF FF FF FF 07 00 03 00 00 0A
//
// # Decisions where the datasheets are silent
//
//   - Contents are 1..MaxContents (256) bytes: every packet carries at least
//     an instruction, a confirmation code or one data byte, and the largest
//     data packet a module can be set to is 256 bytes. A longer LEN is
//     refused before buffering, so a corrupted header cannot stall a reader.
//   - Decode accepts any address; the driver ignores packets from an address
//     other than its module's.
//   - An acknowledgement with a non-zero confirmation code is a
//     *ConfirmError whatever parameters follow it (a module may send zeros in
//     place of the page and score of a failed Search, or nothing).
//   - Acknowledgements carry no instruction code. The driver drops whatever
//     arrived before it sends a command, so a reply that comes after its
//     command timed out cannot answer the next one, unless it arrives in the
//     instant between the two.
//   - The module sends no acknowledgement for the data packets that follow
//     DownChar: Download returns once they are written.
//   - ReadIndexTable bitmaps are read least significant bit first: bit b of
//     byte i on index page p is slot 256p + 8i + b.
//
// Templates and char files are never logged.
package fpm
