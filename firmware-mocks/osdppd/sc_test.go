package osdppd_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// chlng sends CHLNG with selector sel and returns the CCRYPT frame and RND.A.
func chlng(t *testing.T, c *cp, sel byte) (osdp.Frame, [8]byte) {
	t.Helper()
	rndA := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	c.sess = nil
	c.last = 0
	f := osdp.Frame{Addr: c.addr, Seq: 0, CRC: true, SCB: []byte{osdp.SCS11, sel}, Code: osdp.CmdCHLNG, Data: rndA[:]}
	return decode(t, c.pd.Handle(decode(t, encode(t, f)))), rndA
}

func TestChallengeKeyChoice(t *testing.T) {
	scbk := key16(t, testKey)
	zero := [osdp.KeySize]byte{}
	for _, tc := range []struct {
		name    string
		cfg     osdppd.Config
		sel     byte
		key     [osdp.KeySize]byte
		wantSel byte
	}{
		{"key, selector 01", osdppd.Config{SCBK: scbk[:]}, 1, scbk, 1},
		{"key, selector 00: still the key", osdppd.Config{SCBK: scbk[:]}, 0, scbk, 1},
		{"install, selector 00: SCBK-D", osdppd.Config{Install: true}, 0, osdp.SCBKD, 0},
		{"install without key, selector 01: all-zero key", osdppd.Config{Install: true}, 1, zero, 1},
		{"install with key, selector 00: SCBK-D", osdppd.Config{Install: true, SCBK: scbk[:]}, 0, osdp.SCBKD, 0},
		{"install with key, selector 01: the key", osdppd.Config{Install: true, SCBK: scbk[:]}, 1, scbk, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPD(t, tc.cfg)
			r, rndA := chlng(t, newCP(t, p), tc.sel)
			require.Equal(t, byte(osdp.ReplyCCRYPT), r.Code)
			assert.Equal(t, []byte{osdp.SCS12, tc.wantSel}, r.SCB)
			cc, err := osdp.ParseCCrypt(r.Data)
			require.NoError(t, err)
			assert.Equal(t, [8]byte{0xb2, 0xa1, 0x99, 0x00, 0x04, 0x03, 0x02, 0x01}, cc.CUID)
			keys := osdp.DeriveKeys(tc.key, rndA)
			assert.Equal(t, keys.ClientCryptogram(rndA, cc.RndB), cc.Cryptogram)
		})
	}
}

func TestNoSecureChannel(t *testing.T) {
	// No key and not in install mode: CAP says so and CHLNG is NAK 5.
	p := newPD(t, osdppd.Config{})
	c := newCP(t, p)
	r, _ := chlng(t, c, 1)
	assert.Equal(t, osdp.NAKSCBUnsupported, nakCode(r))
	assert.Equal(t, byte(osdp.ReplyPDID), c.do(osdp.IDReq{}).Code, "plaintext works")
	sec, _ := c.reply(osdp.CapReq{}).(osdp.PDCap).Find(osdp.CapSecurity)
	assert.Equal(t, byte(0), sec.Compliance)
}

func TestSessionCommandsAndReplies(t *testing.T) {
	scbk := key16(t, testKey)
	p := newPD(t, osdppd.Config{SCBK: scbk[:]})
	c := newCP(t, p)
	c.handshake(scbk, osdp.KeySelSCBK)
	require.True(t, p.SCActive())

	ack := c.do(osdp.Poll{})
	assert.Equal(t, byte(osdp.ReplyACK), ack.Code)

	// Replies with data are SCS_18, status replies included.
	for _, m := range []osdp.Message{osdp.LStat{}, osdp.IStat{}, osdp.OStat{}, osdp.RStat{}, osdp.IDReq{}} {
		raw := c.send(m.Code(), m.AppendData(nil))
		f := decode(t, raw)
		assert.Equal(t, byte(osdp.SCS18), f.SCBType(), "%T", m)
		c.open(raw)
	}
	raw := c.send(osdp.CmdPOLL, nil)
	f := decode(t, raw)
	assert.Equal(t, byte(osdp.SCS16), f.SCBType(), "a reply without data is SCS_16")
	c.open(raw)
}

func TestSessionRetryGetsTheSealedReplyAgain(t *testing.T) {
	scbk := key16(t, testKey)
	p := newPD(t, osdppd.Config{SCBK: scbk[:]})
	c := newCP(t, p)
	c.handshake(scbk, osdp.KeySelSCBK)
	p.PresentWiegand26(1, 1)

	// The CP seals a POLL, the reply is lost, the CP sends the same frame.
	f := osdp.Frame{Addr: 0, Seq: c.next(), CRC: true, Code: osdp.CmdPOLL}
	c.sess.SealCommand(&f)
	c.last = int(f.Seq)
	wire := encode(t, f)
	lost := p.Handle(decode(t, wire))
	again := p.Handle(decode(t, wire))
	assert.Equal(t, lost, again)
	r := c.open(again)
	assert.Equal(t, byte(osdp.ReplyRAW), r.Code)
	assert.Equal(t, byte(osdp.ReplyACK), c.do(osdp.Poll{}).Code, "the chains are still in step")
}

func TestSessionRefusals(t *testing.T) {
	scbk := key16(t, testKey)
	for _, tc := range []struct {
		name string
		send func(c *cp) []byte
	}{
		{"plaintext command", func(c *cp) []byte {
			c.sess = nil
			return c.send(osdp.CmdPOLL, nil)
		}},
		{"bad MAC", func(c *cp) []byte {
			f := osdp.Frame{Addr: 0, Seq: c.next(), CRC: true, Code: osdp.CmdPOLL}
			c.sess.SealCommand(&f)
			f.MAC[0] ^= 1
			c.sess = nil
			return c.pd.Handle(decode(c.t, encode(c.t, f)))
		}},
		{"reply security block", func(c *cp) []byte {
			f := osdp.Frame{Addr: 0, Seq: c.next(), CRC: true, SCB: []byte{osdp.SCS16}, Code: osdp.CmdPOLL, MAC: make([]byte, 4)}
			c.sess = nil
			return c.pd.Handle(decode(c.t, encode(c.t, f)))
		}},
		{"sequence restart", func(c *cp) []byte {
			f := osdp.Frame{Addr: 0, Seq: 0, CRC: true, Code: osdp.CmdPOLL}
			c.sess.SealCommand(&f)
			c.sess = nil
			return c.pd.Handle(decode(c.t, encode(c.t, f)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPD(t, osdppd.Config{SCBK: scbk[:]})
			c := newCP(t, p)
			c.handshake(scbk, osdp.KeySelSCBK)
			r := decode(t, tc.send(c))
			assert.Nil(t, r.SCB, "the refusal is plaintext")
			assert.Equal(t, osdp.NAKEncryptRequired, nakCode(r))
			assert.False(t, p.SCActive(), "and the session is over")
		})
	}
}

func TestSecureCommandWithoutSession(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	f := osdp.Frame{Addr: 0, Seq: 0, CRC: true, SCB: []byte{osdp.SCS15}, Code: osdp.CmdPOLL, MAC: make([]byte, 4)}
	assert.Equal(t, osdp.NAKEncryptRequired, nakCode(decode(t, p.Handle(f))))
	scrypt := osdp.Frame{Addr: 0, Seq: 1, CRC: true, SCB: []byte{osdp.SCS13, 0}, Code: osdp.CmdSCRYPT, Data: make([]byte, 16)}
	assert.Equal(t, osdp.NAKEncryptRequired, nakCode(decode(t, p.Handle(scrypt))), "SCRYPT without CHLNG")
}

func TestWrongServerCryptogram(t *testing.T) {
	scbk := key16(t, testKey)
	p := newPD(t, osdppd.Config{SCBK: scbk[:]})
	c := newCP(t, p)
	chlng(t, c, 1)
	f := osdp.Frame{Addr: 0, Seq: 1, CRC: true, SCB: []byte{osdp.SCS13, 1}, Code: osdp.CmdSCRYPT, Data: make([]byte, 16)}
	r := decode(t, p.Handle(f))
	assert.Equal(t, byte(osdp.ReplyRMACI), r.Code)
	assert.Equal(t, []byte{osdp.SCS14, 0xFF}, r.SCB, "refused (spec D.1.3.4)")
	assert.Equal(t, make([]byte, 16), r.Data)
	assert.False(t, p.SCActive())
}

func TestInstallModeUntilKeySet(t *testing.T) {
	p := newPD(t, osdppd.Config{Install: true})
	c := newCP(t, p)
	assert.Equal(t, byte(osdp.ReplyACK), c.do(osdp.Poll{}).Code, "install mode takes plaintext")
	c.handshake(osdp.SCBKD, osdp.KeySelSCBKD)
	assert.True(t, p.SCActive())
	newKey := key16(t, "ffeeddccbbaa99887766554433221100")
	r := c.do(osdp.KeySet{Type: 1, Key: newKey[:]})
	assert.Equal(t, byte(osdp.ReplyACK), r.Code)
	assert.False(t, p.SCActive(), "the session ends after KEYSET")
	c.sess = nil
	assert.Equal(t, osdp.NAKEncryptRequired, nakCode(c.do(osdp.Poll{})), "no more plaintext")
	c.handshake(newKey, osdp.KeySelSCBK)
	assert.Equal(t, byte(osdp.ReplyACK), c.do(osdp.Poll{}).Code)
	cr, _ := chlng(t, c, osdp.KeySelSCBKD)
	assert.Equal(t, []byte{osdp.SCS12, 1}, cr.SCB, "SCBK-D is no longer accepted")
}

func TestPlaintextFirmware(t *testing.T) {
	scbk := key16(t, testKey)
	p := newPD(t, osdppd.Config{SCBK: scbk[:]})
	c := newCP(t, p)
	c.handshake(scbk, osdp.KeySelSCBK)
	p.PresentWiegand26(1, 1)
	p.SetMode(osdppd.Plaintext)
	assert.False(t, p.SCActive())

	// The CP's sealed POLL gets the card in clear.
	r := decode(t, c.send(osdp.CmdPOLL, nil))
	assert.Nil(t, r.SCB)
	assert.Equal(t, byte(osdp.ReplyRAW), r.Code)
	_, err := osdp.ParseReply(r.Code, r.Data)
	assert.NoError(t, err)

	cr, _ := chlng(t, c, 1)
	assert.Equal(t, osdp.NAKSCBUnsupported, nakCode(cr))
	c.sess = nil
	sec, _ := c.reply(osdp.CapReq{}).(osdp.PDCap).Find(osdp.CapSecurity)
	assert.Equal(t, byte(0), sec.Compliance)
}

func TestHandshakeCommandsUnderASession(t *testing.T) {
	scbk := key16(t, testKey)
	p := newPD(t, osdppd.Config{SCBK: scbk[:]})
	c := newCP(t, p)
	c.handshake(scbk, osdp.KeySelSCBK)

	// SCRYPT out of order ends the session.
	f := osdp.Frame{Addr: 0, Seq: c.next(), CRC: true, SCB: []byte{osdp.SCS13, 1}, Code: osdp.CmdSCRYPT, Data: make([]byte, 16)}
	r := decode(t, p.Handle(f))
	assert.Nil(t, r.SCB)
	assert.Equal(t, osdp.NAKEncryptRequired, nakCode(r))
	assert.False(t, p.SCActive())

	// CHLNG ends it too, and is answered in plaintext even when the PD is
	// scripted to refuse everything.
	c.handshake(scbk, osdp.KeySelSCBK)
	p.SetMode(osdppd.NAKAll)
	r, _ = chlng(t, c, 1)
	assert.Nil(t, r.SCB)
	assert.Equal(t, osdp.NAKUnableToProcess, nakCode(r))
	assert.False(t, p.SCActive())
}
