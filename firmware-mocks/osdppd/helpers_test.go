package osdppd_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// clock is a settable clock for output and LED timers.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

var epoch = time.Date(2025, 11, 29, 8, 0, 0, 0, time.UTC)

func newClock() *clock { return &clock{now: epoch} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	require.NoError(t, err, s)
	return b
}

func key16(t testing.TB, s string) (k [osdp.KeySize]byte) {
	t.Helper()
	copy(k[:], unhex(t, s))
	return k
}

var testKey = "0102030405060708090a0b0c0d0e0f10"

func newPD(t testing.TB, cfg osdppd.Config) *osdppd.PD {
	t.Helper()
	p, err := osdppd.New(cfg)
	require.NoError(t, err)
	return p
}

func encode(t testing.TB, f osdp.Frame) []byte {
	t.Helper()
	b, err := osdp.AppendEncode(nil, f)
	require.NoError(t, err)
	return b
}

func decode(t testing.TB, b []byte) osdp.Frame {
	t.Helper()
	f, n, err := osdp.Decode(b)
	require.NoError(t, err, "% x", b)
	require.Equal(t, len(b), n, "trailing bytes after the frame: % x", b)
	return f
}

// cp is a minimal control panel for tests: it numbers the commands, seals
// them when a session is open, and opens the replies.
type cp struct {
	t    testing.TB
	pd   *osdppd.PD
	addr byte
	last int // sequence number of the last command, -1 before the first
	crc  bool
	sess *osdp.Session
}

func newCP(t testing.TB, pd *osdppd.PD) *cp {
	return &cp{t: t, pd: pd, addr: pd.Addr(), last: -1, crc: true}
}

func (c *cp) next() byte {
	if c.last < 0 {
		return 0
	}
	return byte(c.last%3 + 1)
}

// send sends a frame with the next sequence number and returns the raw reply.
func (c *cp) send(code byte, data []byte) []byte {
	return c.sendSeq(c.next(), code, data)
}

func (c *cp) sendSeq(seq, code byte, data []byte) []byte {
	c.t.Helper()
	f := osdp.Frame{Addr: c.addr, Seq: seq, CRC: c.crc, Code: code, Data: data}
	if c.sess != nil {
		c.sess.SealCommand(&f)
	}
	c.last = int(seq)
	return c.pd.Handle(decode(c.t, encode(c.t, f)))
}

// do sends m and returns the opened reply frame.
func (c *cp) do(m osdp.Message) osdp.Frame {
	c.t.Helper()
	return c.open(c.send(m.Code(), m.AppendData(nil)))
}

func (c *cp) open(raw []byte) osdp.Frame {
	c.t.Helper()
	require.NotNil(c.t, raw, "no reply")
	r := decode(c.t, raw)
	require.True(c.t, r.Reply)
	if c.sess != nil && r.MAC != nil {
		require.NoError(c.t, c.sess.OpenReply(&r))
	}
	return r
}

// reply sends m and parses the reply payload.
func (c *cp) reply(m osdp.Message) osdp.Message {
	c.t.Helper()
	r := c.do(m)
	msg, err := osdp.ParseReply(r.Code, r.Data)
	require.NoError(c.t, err)
	return msg
}

// handshake runs CHLNG/SCRYPT with key and selector sel and opens a session.
func (c *cp) handshake(key [osdp.KeySize]byte, sel byte) {
	c.t.Helper()
	var rndA [8]byte
	_, _ = rand.Read(rndA[:])
	c.sess = nil
	chlng := osdp.Frame{Addr: c.addr, Seq: 0, CRC: true, SCB: []byte{osdp.SCS11, sel}, Code: osdp.CmdCHLNG, Data: rndA[:]}
	c.last = 0
	r := decode(c.t, c.pd.Handle(decode(c.t, encode(c.t, chlng))))
	require.Equal(c.t, byte(osdp.ReplyCCRYPT), r.Code, "CHLNG answered %s", r)
	cc, err := osdp.ParseCCrypt(r.Data)
	require.NoError(c.t, err)
	keys := osdp.DeriveKeys(key, rndA)
	want := keys.ClientCryptogram(rndA, cc.RndB)
	require.Equal(c.t, want, cc.Cryptogram, "client cryptogram")
	server := keys.ServerCryptogram(rndA, cc.RndB)
	seq := c.next()
	c.last = int(seq)
	scrypt := osdp.Frame{Addr: c.addr, Seq: seq, CRC: true, SCB: []byte{osdp.SCS13, sel}, Code: osdp.CmdSCRYPT, Data: server[:]}
	r = decode(c.t, c.pd.Handle(decode(c.t, encode(c.t, scrypt))))
	require.Equal(c.t, byte(osdp.ReplyRMACI), r.Code)
	require.Equal(c.t, []byte{osdp.SCS14, 0x01}, r.SCB)
	rmac := keys.RMACI(server)
	require.Equal(c.t, rmac[:], r.Data)
	c.sess = osdp.NewSession(keys, rmac)
}

// nakCode returns the NAK code of a reply frame, or -1 for another reply.
func nakCode(f osdp.Frame) int {
	if f.Code != osdp.ReplyNAK || len(f.Data) == 0 {
		return -1
	}
	return int(f.Data[0])
}

// fixedRand returns the given bytes, then fails.
func fixedRand(t testing.TB, hexes ...string) *bytes.Reader {
	var b []byte
	for _, h := range hexes {
		b = append(b, unhex(t, h)...)
	}
	return bytes.NewReader(b)
}
