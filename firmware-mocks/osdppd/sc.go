package osdppd

import (
	"io"

	"menwei/devices/osdp"
)

// Secure channel, PD side (spec Annex D):
//
//	CP → PD  CHLNG   SCB [0x11, keysel]    RND.A (8)
//	PD → CP  CCRYPT  SCB [0x12, keysel]    cUID (8) ‖ RND.B (8) ‖ client cryptogram (16)
//	CP → PD  SCRYPT  SCB [0x13, keysel]    server cryptogram (16)
//	PD → CP  RMAC_I  SCB [0x14, 0x01]      RMAC-I (16)    (0xFF: cryptogram refused)
//
// then every command is SCS_15 (MAC) or SCS_17 (MAC, encrypted data) and every
// reply SCS_16 or SCS_18. The session keys, cryptograms and MAC chains are
// those of menwei/devices/osdp.

// handshake is a challenge answered, waiting for the server cryptogram.
type handshake struct {
	keys       osdp.SessionKeys
	rndA, rndB [8]byte
	keyName    string // for the log: "scbk", "scbk-d" or "zero"
}

// ccrypt is the CCRYPT reply.
type ccrypt struct{ osdp.CCrypt }

func (ccrypt) Code() byte { return osdp.ReplyCCRYPT }

// rmacI is the RMAC_I reply.
type rmacI [osdp.KeySize]byte

func (rmacI) Code() byte                   { return osdp.ReplyRMACI }
func (m rmacI) AppendData(d []byte) []byte { return append(d, m[:]...) }

// canSC reports whether the PD can open a secure channel at all.
func (p *PD) canSC() bool {
	return p.mode != Plaintext && (p.key != nil || p.install)
}

// enforced reports whether plaintext is limited to ID and CAP: the PD has a
// key and is not in install mode.
func (p *PD) enforced() bool { return p.key != nil && !p.install }

// unwrap applies the security rules to a received command. It returns the
// plaintext command, whether it came through the secure channel, or the
// reply that refuses it.
func (p *PD) unwrap(in osdp.Frame) (cmd osdp.Frame, secure bool, refused *reply) {
	refuse := func(code byte) (osdp.Frame, bool, *reply) {
		r := nak(code)
		return in, false, &r
	}
	if p.mode == Plaintext { // no secure channel firmware: the SCB is noise
		in.SCB, in.MAC = nil, nil
		return in, false, nil
	}
	t := in.SCBType()
	if t != 0 && !p.canSC() {
		return refuse(osdp.NAKSCBUnsupported)
	}
	switch t {
	case 0:
		if p.sess != nil {
			p.endSession("plaintext command")
			return refuse(osdp.NAKEncryptRequired)
		}
		if p.enforced() && in.Code != osdp.CmdID && in.Code != osdp.CmdCAP {
			return refuse(osdp.NAKEncryptRequired)
		}
		return in, false, nil
	case osdp.SCS11:
		if in.Code == osdp.CmdCHLNG { // a new handshake: whatever is answered, in plaintext
			p.endSession("new challenge")
			return in, false, nil
		}
	case osdp.SCS13:
		if in.Code == osdp.CmdSCRYPT && p.sess == nil {
			return in, false, nil
		}
	case osdp.SCS15, osdp.SCS17:
		if p.sess == nil {
			return refuse(osdp.NAKEncryptRequired)
		}
		if err := p.sess.OpenCommand(&in); err != nil {
			p.log.Warn("secure channel: command refused", "cmd", osdp.CodeName(in.Code, false), "err", err)
			p.endSession("bad command")
			return refuse(osdp.NAKEncryptRequired)
		}
		return in, true, nil
	}
	p.endSession("unexpected security block")
	return refuse(osdp.NAKEncryptRequired)
}

// endSession forgets the session and any handshake in progress.
func (p *PD) endSession(why string) {
	if p.sess != nil {
		p.log.Info("secure channel closed", "why", why)
	}
	p.sess, p.hs = nil, nil
}

// challenge answers CHLNG with CCRYPT. A PD with an SCBK uses it whatever
// the key selector says (as libosdp); in install mode selector 0x00 means
// SCBK-D, and without a key selector 0x01 gets a cryptogram made with an
// all-zero key, which the CP rejects before retrying with SCBK-D.
func (p *PD) challenge(cmd osdp.Frame) reply {
	if !p.canSC() {
		return nak(osdp.NAKSCBUnsupported)
	}
	if cmd.SCBType() != osdp.SCS11 || len(cmd.SCB) != 2 {
		return nak(osdp.NAKEncryptRequired)
	}
	if len(cmd.Data) != 8 {
		return nak(osdp.NAKCmdLength)
	}

	var key [osdp.KeySize]byte
	sel, name := byte(osdp.KeySelSCBK), "scbk"
	switch {
	case p.install && cmd.SCB[1] == osdp.KeySelSCBKD:
		key, sel, name = osdp.SCBKD, osdp.KeySelSCBKD, "scbk-d"
	case p.key != nil:
		copy(key[:], p.key)
	default:
		name = "zero"
	}
	hs := &handshake{keyName: name}
	copy(hs.rndA[:], cmd.Data)
	if _, err := io.ReadFull(p.cfg.Rand, hs.rndB[:]); err != nil {
		p.log.Error("secure channel: no random numbers", "err", err)
		return nak(osdp.NAKUnableToProcess)
	}
	hs.keys = osdp.DeriveKeys(key, hs.rndA)
	p.hs = hs
	return reply{
		msg: ccrypt{osdp.CCrypt{
			CUID:       p.clientUID(),
			RndB:       hs.rndB,
			Cryptogram: hs.keys.ClientCryptogram(hs.rndA, hs.rndB),
		}},
		scb: []byte{osdp.SCS12, sel},
	}
}

// serverCryptogram answers SCRYPT with RMAC_I and starts the session when
// the CP proved it holds the key.
func (p *PD) serverCryptogram(cmd osdp.Frame) reply {
	if !p.canSC() {
		return nak(osdp.NAKSCBUnsupported)
	}
	if cmd.SCBType() != osdp.SCS13 || p.hs == nil {
		return nak(osdp.NAKEncryptRequired)
	}
	if len(cmd.Data) != osdp.KeySize {
		return nak(osdp.NAKCmdLength)
	}
	hs := p.hs
	p.hs = nil
	want := hs.keys.ServerCryptogram(hs.rndA, hs.rndB)
	if !osdp.Equal(want[:], cmd.Data) {
		p.log.Warn("secure channel: server cryptogram refused", "key", hs.keyName)
		return reply{msg: rmacI{}, scb: []byte{osdp.SCS14, 0xFF}}
	}
	mac := hs.keys.RMACI(want)
	p.sess = osdp.NewSession(hs.keys, mac)
	p.log.Info("secure channel active", "key", hs.keyName)
	return reply{msg: rmacI(mac), scb: []byte{osdp.SCS14, 0x01}}
}

// clientUID is the cUID of CCRYPT, built as libosdp does: vendor bytes 0-1,
// model as a 16-bit little-endian number, serial little endian.
func (p *PD) clientUID() [8]byte {
	id := p.cfg.Identity
	s := id.Serial
	return [8]byte{id.Vendor[0], id.Vendor[1], id.Model, 0, byte(s), byte(s >> 8), byte(s >> 16), byte(s >> 24)}
}
