package osdp

import (
	"testing"
)

func BenchmarkDecodePoll(b *testing.B) {
	raw := unhex(b, "ff 53 65 08 00 06 60 02 f6")
	for b.Loop() {
		if _, _, err := Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeOut(b *testing.B) {
	f := Frame{Addr: 101, Seq: 1, CRC: true, Code: CmdOUT, Data: Out{[]OutRecord{{0, OutTempOnThenOff, 30}}}.AppendData(nil)}
	buf := make([]byte, 0, 64)
	for b.Loop() {
		if _, err := AppendEncode(buf[:0], f); err != nil {
			b.Fatal(err)
		}
	}
}

// A secure-channel round: the CP seals an OUT, the PD opens it, seals an
// ACK, the CP opens that.
func BenchmarkSecureChannelRoundTrip(b *testing.B) {
	keys := DeriveKeys(SCBKD, [8]byte{1, 2, 3, 4, 5, 6, 7, 8})
	rmac := keys.RMACI([KeySize]byte{})
	cp, pd := NewSession(keys, rmac), NewSession(keys, rmac)
	data := Out{[]OutRecord{{0, OutTempOnThenOff, 30}}}.AppendData(nil)
	for b.Loop() {
		cmd := Frame{Addr: 101, Seq: 1, CRC: true, Code: CmdOUT, Data: data}
		cp.SealCommand(&cmd)
		if err := pd.OpenCommand(&cmd); err != nil {
			b.Fatal(err)
		}
		rep := Frame{Addr: 101, Reply: true, Seq: 1, CRC: true, Code: ReplyACK}
		pd.SealReply(&rep)
		if err := cp.OpenReply(&rep); err != nil {
			b.Fatal(err)
		}
	}
}
