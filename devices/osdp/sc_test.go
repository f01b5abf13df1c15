package osdp

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func key16(t testing.TB, s string) (k [KeySize]byte) {
	t.Helper()
	b := unhex(t, s)
	require.Len(t, b, KeySize)
	copy(k[:], b)
	return k
}

// scReplay walks one captured secure-channel session, checking every
// cryptogram, RMAC-I and MAC, and that sealing the decrypted payloads again
// reproduces the captured frames byte for byte.
type scReplay struct {
	t        *testing.T
	cpKey    [KeySize]byte // SCBK the CP holds
	rndA     [8]byte
	rndB     [8]byte
	keySel   byte
	keys     SessionKeys
	server   [KeySize]byte
	cp, pd   *Session
	quirk    bool
	lastSeq  byte
	thinned  int // idle POLL/ACK pairs rebuilt between captured frames
	sealed   int // frames reproduced byte for byte
	opened   int // frames whose MAC verified
	rejected []error
}

func (r *scReplay) keyFor(sel byte) [KeySize]byte {
	if sel == KeySelSCBKD {
		return SCBKD
	}
	return r.cpKey
}

func (r *scReplay) step(v vector) {
	t := r.t
	f, _, err := Decode(v.raw)
	require.NoError(t, err)
	switch {
	case !f.Reply && f.Code == CmdCHLNG && f.SCBType() == SCS11:
		copy(r.rndA[:], f.Data)
		r.keySel = f.SCB[1]
		r.cp, r.pd = nil, nil
	case f.Reply && f.Code == ReplyCCRYPT:
		cc, err := ParseCCrypt(f.Data)
		require.NoError(t, err)
		r.rndB = cc.RndB
		r.keys = DeriveKeys(r.keyFor(r.keySel), r.rndA)
		got := r.keys.ClientCryptogram(r.rndA, r.rndB)
		if v.hasNote("MISMATCH") {
			assert.NotEqual(t, cc.Cryptogram, got, "cryptogram must not verify with the CP key")
			zero := DeriveKeys([KeySize]byte{}, r.rndA)
			assert.Equal(t, cc.Cryptogram, zero.ClientCryptogram(r.rndA, r.rndB), "annotated as made with an all-zero key")
			return
		}
		require.Equal(t, cc.Cryptogram, got, "client cryptogram")
		assert.Equal(t, v.note("S-ENC"), hex.EncodeToString(r.keys.Enc[:]))
		assert.Equal(t, v.note("S-MAC1"), hex.EncodeToString(r.keys.MAC1[:]))
		assert.Equal(t, v.note("S-MAC2"), hex.EncodeToString(r.keys.MAC2[:]))
	case !f.Reply && f.Code == CmdSCRYPT:
		r.server = r.keys.ServerCryptogram(r.rndA, r.rndB)
		require.Equal(t, r.server[:], f.Data, "server cryptogram")
	case f.Reply && f.Code == ReplyRMACI:
		rmac := r.keys.RMACI(r.server)
		require.Equal(t, rmac[:], f.Data, "RMAC-I")
		r.cp, r.pd = NewSession(r.keys, rmac), NewSession(r.keys, rmac)
		r.cp.StatusSCS15Quirk = r.quirk
		r.lastSeq = f.Seq
	case hasMAC(f.SCBType()):
		require.NotNil(t, r.cp, "MAC frame before a session: %v", f)
		r.macFrame(v, f)
	}
}

func (r *scReplay) macFrame(v vector, f Frame) {
	t := r.t
	if !f.Reply {
		r.catchUp(f)
	}
	open, reseal := r.cp.OpenReply, r.pd.SealReply
	if !f.Reply {
		open, reseal = r.pd.OpenCommand, r.cp.SealCommand
	}
	in := f
	if err := open(&in); err != nil {
		r.rejected = append(r.rejected, err)
		return
	}
	r.opened++
	if want := v.note("decrypted"); want != "" {
		assert.Equal(t, want, hex.EncodeToString(in.Data), "decrypted %s", v.name)
	}
	if f.Reply && f.SCBType() == SCS15 { // libosdp quirk: nothing to reproduce; keep the PD chain in step
		r.pd.rmac = r.cp.rmac
		return
	}
	out := Frame{Addr: f.Addr, Reply: f.Reply, Seq: f.Seq, CRC: f.CRC, Code: f.Code, Data: in.Data}
	reseal(&out)
	enc, err := AppendEncode(nil, out)
	require.NoError(t, err)
	assert.Equal(t, hex.EncodeToString(v.raw), hex.EncodeToString(enc), "resealed %s", v.name)
	r.sealed++
	if !f.Reply {
		r.lastSeq = f.Seq
	}
	if v.name == "KEYSET" {
		ks, err := ParseCommand(CmdKEYSET, in.Data)
		require.NoError(t, err)
		copy(r.cpKey[:], ks.(KeySet).Key)
	}
}

// catchUp rebuilds the idle POLL/ACK pairs the capture left out ("--polls 2"):
// they carry no data, so each is fully determined by its sequence number and
// the MAC chain. It advances both sessions until cmd's MAC verifies.
func (r *scReplay) catchUp(cmd Frame) {
	next := func(s byte) byte { return s%3 + 1 }
	cp, pd, seq := *r.cp, *r.pd, r.lastSeq
	for k := 0; k < 400; k++ {
		if next(seq) == cmd.Seq {
			probe, pdProbe := cmd, pd
			if pdProbe.OpenCommand(&probe) == nil {
				*r.cp, *r.pd, r.lastSeq = cp, pd, seq
				r.thinned += k
				return
			}
		}
		seq = next(seq)
		poll := Frame{Addr: cmd.Addr, Seq: seq, CRC: true, Code: CmdPOLL}
		cp.SealCommand(&poll)
		require.NoError(r.t, pd.OpenCommand(&poll))
		ack := Frame{Addr: cmd.Addr, Reply: true, Seq: seq, CRC: true, Code: ReplyACK}
		pd.SealReply(&ack)
		require.NoError(r.t, cp.OpenReply(&ack))
	}
}

func section(vs []vector, n int) (out []vector) {
	for _, v := range vs {
		if v.section == n {
			out = append(out, v)
		}
	}
	return out
}

func TestSecureChannelSession(t *testing.T) {
	vs := loadVectors(t)
	scbk := key16(t, "0102030405060708090a0b0c0d0e0f10")

	t.Run("strict rejects libosdp SCS_15 status replies", func(t *testing.T) {
		r := &scReplay{t: t, cpKey: scbk}
		for _, v := range section(vs, 2) {
			r.step(v)
			if len(r.rejected) > 0 {
				break
			}
		}
		require.NotEmpty(t, r.rejected)
		assert.ErrorIs(t, r.rejected[0], ErrSCType)
	})
	t.Run("section 2 with the status quirk", func(t *testing.T) {
		r := &scReplay{t: t, cpKey: scbk, quirk: true}
		for _, v := range section(vs, 2) {
			r.step(v)
		}
		assert.Empty(t, r.rejected)
		assert.Equal(t, 38, r.opened, "every MAC frame of section 2 verifies")
		assert.Equal(t, 34, r.sealed, "all but the 4 SCS_15 status replies reproduce byte for byte")
	})
	t.Run("section 3 install mode and KEYSET", func(t *testing.T) {
		r := &scReplay{t: t, cpKey: scbk}
		for _, v := range section(vs, 3) {
			r.step(v)
		}
		assert.Empty(t, r.rejected)
		assert.Equal(t, 12, r.opened)
		assert.Equal(t, 12, r.sealed)
	})
}

func TestSecureChannelWrongKey(t *testing.T) {
	vs := section(loadVectors(t), 4)
	cpKey := key16(t, "ffeeddccbbaa99887766554433221100")
	pdKey := key16(t, "0102030405060708090a0b0c0d0e0f10")
	var rndA [8]byte
	checked := 0
	for _, v := range vs {
		f, _, err := Decode(v.raw)
		require.NoError(t, err)
		switch {
		case !f.Reply && f.Code == CmdCHLNG:
			copy(rndA[:], f.Data)
		case f.Reply && f.Code == ReplyCCRYPT:
			cc, err := ParseCCrypt(f.Data)
			require.NoError(t, err)
			for _, k := range [][KeySize]byte{cpKey, SCBKD} {
				keys := DeriveKeys(k, rndA)
				assert.NotEqual(t, cc.Cryptogram, keys.ClientCryptogram(rndA, cc.RndB))
			}
			keys := DeriveKeys(pdKey, rndA)
			assert.Equal(t, cc.Cryptogram, keys.ClientCryptogram(rndA, cc.RndB))
			checked++
		}
	}
	assert.Equal(t, 2, checked)
}

func TestSessionTamperedFrames(t *testing.T) {
	keys := DeriveKeys(SCBKD, [8]byte{1, 2, 3, 4, 5, 6, 7, 8})
	rmac := keys.RMACI([KeySize]byte{9})
	cp, pd := NewSession(keys, rmac), NewSession(keys, rmac)

	cmd := Frame{Addr: 5, Seq: 1, CRC: true, Code: CmdOUT, Data: Out{[]OutRecord{{0, OutTempOnThenOff, 30}}}.AppendData(nil)}
	cp.SealCommand(&cmd)
	bad := cmd
	bad.Data = append([]byte(nil), cmd.Data...)
	bad.Data[0] ^= 1
	assert.ErrorIs(t, pd.OpenCommand(&bad), ErrSCMAC)
	plain := Frame{Addr: 5, Seq: 1, CRC: true, Code: CmdOUT, Data: cmd.Data}
	assert.ErrorIs(t, pd.OpenCommand(&plain), ErrSCPlaintext)
	require.NoError(t, pd.OpenCommand(&cmd))
	assert.Equal(t, []byte{0, OutTempOnThenOff, 30, 0}, cmd.Data)

	rep := Frame{Addr: 5, Reply: true, Seq: 1, CRC: true, Code: ReplyRAW, Data: []byte{0, 1, 26, 0, 1, 2, 3, 0xc0}}
	pd.SealReply(&rep)
	wrongType := rep
	wrongType.SCB = []byte{SCS17}
	assert.ErrorIs(t, cp.OpenReply(&wrongType), ErrSCType)
	require.NoError(t, cp.OpenReply(&rep))
	assert.Equal(t, []byte{0, 1, 26, 0, 1, 2, 3, 0xc0}, rep.Data)

	// A replayed reply no longer verifies: the chain has moved on.
	cmd2 := Frame{Addr: 5, Seq: 2, CRC: true, Code: CmdPOLL}
	cp.SealCommand(&cmd2)
	require.NoError(t, pd.OpenCommand(&cmd2))
	old := Frame{Addr: 5, Reply: true, Seq: 1, CRC: true, Code: ReplyACK}
	pd2 := *pd
	pd2.SealReply(&old)
	stale := Frame{Addr: 5, Reply: true, Seq: 2, CRC: true, SCB: []byte{SCS16}, Code: ReplyACK, MAC: rmac[:4]}
	assert.ErrorIs(t, cp.OpenReply(&stale), ErrSCMAC)
}

// sealPlain seals a reply as SCS_16 around plaintext data, as libosdp 3.2.x
// PDs seal the NAK of a command they cannot serve.
func sealPlain(s *Session, f *Frame) {
	f.SCB = []byte{SCS16}
	f.MAC = make([]byte, macLen)
	s.rmac = s.mac(f.AppendMACInput(nil), s.cmac)
	copy(f.MAC, s.rmac[:macLen])
}

// A MAC-verified SCS_16 NAK with its one-byte code in clear is accepted and
// keeps the chain; no other SCS_16 reply with data is, and the MAC is still
// checked.
func TestSessionAcceptsLibosdpPlainNAK(t *testing.T) {
	keys := DeriveKeys(SCBKD, [8]byte{1, 2, 3, 4, 5, 6, 7, 8})
	rmac := keys.RMACI([KeySize]byte{9})
	cp, pd := NewSession(keys, rmac), NewSession(keys, rmac)
	exchange := func(rep Frame) (Frame, error) {
		cmd := Frame{Addr: 5, Seq: 1, CRC: true, Code: CmdISTAT}
		cp.SealCommand(&cmd)
		require.NoError(t, pd.OpenCommand(&cmd))
		sealPlain(pd, &rep)
		enc, err := AppendEncode(nil, rep)
		require.NoError(t, err)
		got, _, err := Decode(enc)
		require.NoError(t, err)
		return got, cp.OpenReply(&got)
	}

	nak, err := exchange(Frame{Addr: 5, Reply: true, Seq: 1, CRC: true, Code: ReplyNAK, Data: []byte{NAKUnknownCmd}})
	require.NoError(t, err)
	assert.Equal(t, []byte{NAKUnknownCmd}, nak.Data)
	ack := Frame{Addr: 5, Reply: true, Seq: 2, CRC: true, Code: ReplyACK}
	cmd := Frame{Addr: 5, Seq: 2, CRC: true, Code: CmdPOLL}
	cp.SealCommand(&cmd)
	require.NoError(t, pd.OpenCommand(&cmd))
	pd.SealReply(&ack)
	require.NoError(t, cp.OpenReply(&ack), "the chain goes on after the NAK")

	_, err = exchange(Frame{Addr: 5, Reply: true, Seq: 3, CRC: true, Code: ReplyRAW, Data: []byte{0, 1, 26, 0, 1, 2, 3, 0xc0}})
	assert.ErrorIs(t, err, ErrSCType, "a card number in clear is refused")
	cp, pd = NewSession(keys, rmac), NewSession(keys, rmac)
	_, err = exchange(Frame{Addr: 5, Reply: true, Seq: 1, CRC: true, Code: ReplyNAK, Data: []byte{NAKUnknownCmd, 0x42}})
	assert.ErrorIs(t, err, ErrSCType, "only the one-byte form")

	cp, pd = NewSession(keys, rmac), NewSession(keys, rmac)
	cmd = Frame{Addr: 5, Seq: 1, CRC: true, Code: CmdISTAT}
	cp.SealCommand(&cmd)
	forged := Frame{Addr: 5, Reply: true, Seq: 1, CRC: true, SCB: []byte{SCS16}, Code: ReplyNAK, Data: []byte{NAKUnknownCmd}, MAC: []byte{1, 2, 3, 4}}
	assert.ErrorIs(t, cp.OpenReply(&forged), ErrSCMAC, "the MAC is still checked")
}
