package osdp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// libosdpPD is a secure-channel PD for state-machine tests that behaves as
// libosdp 3.2.x PDs were seen to: it NAKs a command it cannot serve with a
// NAK sealed as SCS_16 (the code in clear), and after a restart its first
// NAK carries sequence 0.
type libosdpPD struct {
	addr      byte
	scbk      [KeySize]byte
	nakISTAT  bool // no status handler: ISTAT is NAKed (unknown command)
	restarted bool // lost its session: NAKs with sequence 0 until the next CHLNG

	rndA, rndB [8]byte
	keys       SessionKeys
	sess       *Session
	processed  map[byte]int
}

func (p *libosdpPD) reply(t *testing.T, in Frame, code byte, data []byte, scb []byte) []byte {
	f := Frame{Addr: p.addr, Reply: true, Seq: in.Seq, CRC: in.CRC, SCB: scb, Code: code, Data: data}
	raw, err := AppendEncode(nil, f)
	require.NoError(t, err)
	return raw
}

func (p *libosdpPD) handle(t *testing.T, in Frame) []byte {
	if p.processed == nil {
		p.processed = map[byte]int{}
	}
	p.processed[in.Code]++
	if p.restarted && in.Code != CmdID && in.Code != CmdCAP && in.Code != CmdCHLNG {
		in.Seq = 0
		return p.reply(t, in, ReplyNAK, []byte{NAKUnexpectedSeq}, nil)
	}
	switch in.Code {
	case CmdID:
		return p.reply(t, in, ReplyPDID, PDID{Model: 1}.AppendData(nil), nil)
	case CmdCAP:
		return p.reply(t, in, ReplyPDCAP, PDCap{[]Capability{{CapContactStatus, 1, 4}}}.AppendData(nil), nil)
	case CmdCHLNG:
		p.restarted, p.sess = false, nil
		copy(p.rndA[:], in.Data)
		p.rndB = [8]byte{8, 7, 6, 5, 4, 3, 2, 1}
		p.keys = DeriveKeys(p.scbk, p.rndA)
		cc := CCrypt{RndB: p.rndB, Cryptogram: p.keys.ClientCryptogram(p.rndA, p.rndB)}
		return p.reply(t, in, ReplyCCRYPT, cc.AppendData(nil), []byte{SCS12, 1})
	case CmdSCRYPT:
		rmac := p.keys.RMACI(p.keys.ServerCryptogram(p.rndA, p.rndB))
		p.sess = NewSession(p.keys, rmac)
		return p.reply(t, in, ReplyRMACI, rmac[:], []byte{SCS14, 1})
	}
	require.NotNil(t, p.sess, "%s outside a session", CodeName(in.Code, false))
	require.NoError(t, p.sess.OpenCommand(&in))
	out := Frame{Addr: p.addr, Reply: true, Seq: in.Seq, CRC: in.CRC, Code: ReplyACK}
	if in.Code == CmdISTAT && p.nakISTAT {
		out.Code, out.Data = ReplyNAK, []byte{NAKUnknownCmd}
		sealPlain(p.sess, &out)
	} else {
		p.sess.SealReply(&out)
	}
	raw, err := AppendEncode(nil, out)
	require.NoError(t, err)
	return raw
}

// simPD is what sim drives: fakePD or libosdpPD.
type simPD interface {
	handle(t *testing.T, in Frame) []byte
}

// Under the secure channel, a libosdp PD's SCS_16 NAK of an ISTAT fails the
// ISTAT only: the session stays up, the PD stays online, and the log says so
// once.
func TestBusKeepsSessionOnLibosdpPlainNAK(t *testing.T) {
	key := [KeySize]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	lp := &libosdpPD{addr: 5, scbk: key, nakISTAT: true}
	s := newSimOf(t, BusConfig{PDs: []PDConfig{{Addr: 5, SCBK: key[:]}}}, lp)
	s.run(time.Second)
	require.Len(t, s.eventsOf(EventOnline, 5), 1)
	for range 3 {
		_, err := s.bus.Submit(5, IStat{})
		require.NoError(t, err)
		s.run(time.Second)
	}
	res := s.eventsOf(EventResult, 5)
	require.Len(t, res, 3)
	for _, r := range res {
		var nak *NAKError
		require.ErrorAs(t, r.Err, &nak)
		assert.Equal(t, byte(NAKUnknownCmd), nak.Code)
	}
	assert.Len(t, s.eventsOf(EventOnline, 5), 1, "never reconnected")
	assert.Empty(t, s.eventsOf(EventOffline, 5))
	assert.Empty(t, s.eventsOf(EventSecureChannel, 5))
	assert.Equal(t, 1, lp.processed[CmdCHLNG], "one session all along")
	assert.True(t, s.bus.Status()[0].Secure)
}

// A PD that restarted answers with a sequence-0 NAK: the CP starts the link
// again at once instead of resending until the 8 s offline rule.
func TestBusReconnectsAtOnceToRestartedPD(t *testing.T) {
	key := [KeySize]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	lp := &libosdpPD{addr: 5, scbk: key}
	s := newSimOf(t, BusConfig{PDs: []PDConfig{{Addr: 5, SCBK: key[:]}}}, lp)
	s.run(time.Second)
	require.Len(t, s.eventsOf(EventOnline, 5), 1)
	lp.restarted = true
	s.run(time.Second)
	off := s.eventsOf(EventOffline, 5)
	require.Len(t, off, 1)
	assert.ErrorIs(t, off[0].Err, ErrRestarted)
	assert.Len(t, s.eventsOf(EventOnline, 5), 2, "back within a second, not after 8 s")
	assert.Empty(t, s.eventsOf(EventSecureChannel, 5), "a restart is not a secure channel failure")
}
