// Package osdp is menwei's OSDP v2.2 control panel (SIA OSDP v2.2,
// IEC 60839-11-5): the pure frame codec, the secure channel, typed command
// and reply payloads, and the per-bus poll loop that owns several
// peripheral devices (PDs) on one RS-485 line.
//
// The layers, bottom up, each testable without the next:
//
//	crc.go, frame.go      frame codec: Decode / AppendEncode, no I/O
//	payload*.go           command and reply payloads (LED, OUT, RAW, ...)
//	sc.go                 secure channel: session keys, cryptograms, MACs
//	reader.go             finds frames in a byte stream, resynchronises
//	pd.go                 per-PD state machine (sequence, retries, SC, online)
//	bus.go                scheduler over several PDs (multi-drop)
//	loop.go               the goroutine that owns a port and drives a Bus
//
// Frame layout (spec §5.9, "Packet structure"):
//
//	+------+-----+------+--------+--------+------+--------------+------+---------+-------+-----------+
//	| MARK | SOM | ADDR | LEN_LO | LEN_HI | CTRL | SCB (opt.)   | CODE | DATA... | MAC4  | CRC_LO/HI |
//	| 0xFF | 0x53|      |        |        |      | len type ... |      |         | (opt) | or CKSUM  |
//	+------+-----+------+--------+--------+------+--------------+------+---------+-------+-----------+
//
//	MARK  optional on receive, always sent (spec §5.7, v2.2 "mark character")
//	ADDR  0..0x7E PD address, 0x7F broadcast; bit 7 set on replies
//	LEN   SOM..last check byte, little endian (the mark is not counted)
//	CTRL  bits 0-1 sequence, bit 2 CRC-16 (1) or 8-bit checksum (0),
//	      bit 3 security control block present
//	SCB   [len][type][data...], len counts itself and the type byte
//	MAC   first 4 bytes of the CBC-MAC, present for SCB types 0x15..0x18
//	CRC   CRC-16/AUG-CCITT (poly 0x1021, init 0x1D0F), low byte first;
//	      the checksum is the two's complement of the byte sum
//
// Secure channel (spec Annex D): CHLNG/CCRYPT/SCRYPT/RMAC_I derive S-ENC,
// S-MAC1 and S-MAC2 from the PD's SCBK; every later frame carries a MAC
// chained on the previous one from the other side, and command/reply data is
// AES-128-CBC encrypted. A PD configured with a key is never driven in
// plaintext.
package osdp
