package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/fpm"
	"menwei/devices/osdp"
	"menwei/devices/serialport"
	"menwei/firmware-mocks/osdppd/ptypair"
)

// emulator is a run() in the background.
type emulator struct {
	t       *testing.T
	control string
	tty     string
	cancel  context.CancelFunc
	done    chan error
	http    *http.Client
}

func start(t *testing.T, cfg config) *emulator {
	t.Helper()
	type addrs struct{ control, tty string }
	ready := make(chan addrs, 1)
	cfg.Control = "127.0.0.1:0"
	cfg.ready = func(control, tty string) { ready <- addrs{control, tty} }
	ctx, cancel := context.WithCancel(context.Background())
	e := &emulator{t: t, cancel: cancel, done: make(chan error, 1),
		http: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}}
	go func() { e.done <- run(ctx, cfg) }()
	select {
	case a := <-ready:
		e.control, e.tty = "http://"+a.control, a.tty
	case err := <-e.done:
		cancel()
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("emulator not ready")
	}
	return e
}

func (e *emulator) stop() {
	e.t.Helper()
	e.cancel()
	require.NoError(e.t, <-e.done)
}

func (e *emulator) post(path, body string) *http.Response {
	e.t.Helper()
	resp, err := e.http.Post(e.control+path, "application/json", strings.NewReader(body))
	require.NoError(e.t, err)
	resp.Body.Close()
	return resp
}

func (e *emulator) state(addr string) pdState {
	e.t.Helper()
	resp, err := e.http.Get(e.control + "/pd/" + addr)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	var s pdState
	require.NoError(e.t, json.NewDecoder(resp.Body).Decode(&s))
	return s
}

// ttyCP is the CP end: it opens the link like menweid would.
type ttyCP struct {
	t       *testing.T
	f       *os.File
	replies chan osdp.Frame
	addr    byte
	last    int
	sess    *osdp.Session
}

func openTTY(t *testing.T, path string, addr byte) *ttyCP {
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	require.NoError(t, ptypair.MakeRaw(f))
	c := &ttyCP{t: t, f: f, replies: make(chan osdp.Frame, 4), addr: addr, last: -1}
	go func() {
		defer close(c.replies)
		r := osdp.NewReader(f)
		for {
			fr, err := r.Next()
			if err != nil {
				return
			}
			c.replies <- fr
		}
	}()
	return c
}

func (c *ttyCP) close() {
	c.f.Close()
	for range c.replies {
	}
}

func (c *ttyCP) next() byte {
	if c.last < 0 {
		return 0
	}
	return byte(c.last%3 + 1)
}

// exchange sends a command (sealed when a session is open) and returns the
// opened reply.
func (c *ttyCP) exchange(f osdp.Frame) osdp.Frame {
	c.t.Helper()
	f.Addr, f.CRC = c.addr, true
	if c.sess != nil {
		c.sess.SealCommand(&f)
	}
	b, err := osdp.AppendEncode(nil, f)
	require.NoError(c.t, err)
	_, err = c.f.Write(b)
	require.NoError(c.t, err)
	c.last = int(f.Seq)
	select {
	case r := <-c.replies:
		require.True(c.t, r.Reply)
		if c.sess != nil {
			require.NoError(c.t, c.sess.OpenReply(&r))
		}
		return r
	case <-time.After(10 * time.Second):
		c.t.Fatal("no reply")
	}
	return osdp.Frame{}
}

func (c *ttyCP) do(m osdp.Message) osdp.Frame {
	return c.exchange(osdp.Frame{Seq: c.next(), Code: m.Code(), Data: m.AppendData(nil)})
}

func (c *ttyCP) handshake(key [osdp.KeySize]byte, sel byte) {
	c.t.Helper()
	c.sess = nil
	var rndA [8]byte
	_, _ = rand.Read(rndA[:])
	r := c.exchange(osdp.Frame{Seq: 0, SCB: []byte{osdp.SCS11, sel}, Code: osdp.CmdCHLNG, Data: rndA[:]})
	cc, err := osdp.ParseCCrypt(r.Data)
	require.NoError(c.t, err)
	keys := osdp.DeriveKeys(key, rndA)
	require.Equal(c.t, keys.ClientCryptogram(rndA, cc.RndB), cc.Cryptogram)
	server := keys.ServerCryptogram(rndA, cc.RndB)
	r = c.exchange(osdp.Frame{Seq: c.next(), SCB: []byte{osdp.SCS13, sel}, Code: osdp.CmdSCRYPT, Data: server[:]})
	require.Equal(c.t, []byte{osdp.SCS14, 1}, r.SCB)
	c.sess = osdp.NewSession(keys, keys.RMACI(server))
}

func TestRunEndToEnd(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "ttyOSDP")
	require.NoError(t, os.Symlink("/dev/pts/stale", link), "a stale link from a dead emulator")
	keyDir := filepath.Join(dir, "keys")
	cfg := config{Link: link, KeyDir: keyDir, PDs: []pdSpec{{Addr: 1, Install: true}, {Addr: 2}}}

	e := start(t, cfg)
	assert.Equal(t, link, e.tty)
	cp := openTTY(t, link, 1)

	assert.Equal(t, byte(osdp.ReplyACK), cp.do(osdp.Poll{}).Code)
	assert.Equal(t, http.StatusNoContent, e.post("/pd/1/card", `{"facility":1,"card":1234}`).StatusCode)
	r := cp.do(osdp.Poll{})
	require.Equal(t, byte(osdp.ReplyRAW), r.Code)
	m, err := osdp.ParseReply(r.Code, r.Data)
	require.NoError(t, err)
	assert.Equal(t, uint16(26), m.(osdp.Raw).Bits)

	assert.Equal(t, http.StatusNoContent, e.post("/pd/1/card", `{"bits":26,"hex":"8a123480"}`).StatusCode)
	assert.Equal(t, []byte{0, 1, 26, 0, 0x8a, 0x12, 0x34, 0x80}, cp.do(osdp.Poll{}).Data)
	assert.Equal(t, http.StatusNoContent, e.post("/pd/1/keys", `{"keys":"12#"}`).StatusCode)
	assert.Equal(t, []byte{0, 3, '1', '2', 0x0D}, cp.do(osdp.Poll{}).Data)
	assert.Equal(t, http.StatusNoContent, e.post("/pd/1/input", `{"n":2,"active":true}`).StatusCode)
	assert.Equal(t, []byte{0, 0, 1, 0}, cp.do(osdp.Poll{}).Data)
	cp.do(osdp.Out{Records: []osdp.OutRecord{{Output: 3, Control: osdp.OutPermOnAbort}}})
	cp.do(osdp.Text{Command: 1, Row: 1, Col: 1, Text: "Hi"})

	s := e.state("1")
	assert.Equal(t, []bool{false, false, false, true}, s.Outputs)
	assert.Equal(t, "Hi", s.Text)
	assert.Equal(t, []string{"POLL", "POLL", "POLL", "POLL", "POLL", "OUT", "TEXT"}, s.Commands)
	assert.True(t, s.Install)

	// The CP installs its key: SCBK-D session, KEYSET; the key is kept.
	cp.handshake(osdp.SCBKD, osdp.KeySelSCBKD)
	assert.True(t, e.state("1").SCActive)
	newKey := [osdp.KeySize]byte{0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	assert.Equal(t, byte(osdp.ReplyACK), cp.do(osdp.KeySet{Type: 1, Key: newKey[:]}).Code)
	keyFile := filepath.Join(keyDir, "pd-1.scbk")
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(keyFile)
		return err == nil && strings.TrimSpace(string(b)) == hex.EncodeToString(newKey[:])
	}, 10*time.Second, 10*time.Millisecond)
	raw, err := json.Marshal(e.state("1"))
	require.NoError(t, err)
	assert.NotContains(t, string(raw), hex.EncodeToString(newKey[:]), "no key material in the state")

	// Scripted failure modes.
	cp.sess = nil
	assert.Equal(t, http.StatusNoContent, e.post("/pd/1/mode", `{"mode":"nak"}`).StatusCode)
	assert.Equal(t, []byte{osdp.NAKUnableToProcess}, cp.do(osdp.IDReq{}).Data)
	assert.Equal(t, http.StatusNoContent, e.post("/pd/1/mode", `{"mode":"normal"}`).StatusCode)

	cp.close()
	e.stop()
	_, err = os.Lstat(link)
	assert.ErrorIs(t, err, os.ErrNotExist, "the link is removed on exit")

	// A restarted emulator has the key and is out of install mode.
	e = start(t, cfg)
	s = e.state("1")
	assert.True(t, s.HasKey)
	assert.False(t, s.Install)
	cp = openTTY(t, link, 1)
	cp.handshake(newKey, osdp.KeySelSCBK)
	assert.Equal(t, byte(osdp.ReplyACK), cp.do(osdp.Poll{}).Code)
	cp.close()

	// Removing the key from the control surface forgets it on disk too.
	assert.Equal(t, http.StatusNoContent, e.post("/pd/1/key", `{"scbk":""}`).StatusCode)
	assert.NoFileExists(t, keyFile)
	e.stop()
}

func TestRunWillNotReplaceAFile(t *testing.T) {
	link := filepath.Join(t.TempDir(), "ttyOSDP")
	require.NoError(t, os.WriteFile(link, []byte("mine"), 0o600))
	err := run(context.Background(), config{Link: link, PDs: []pdSpec{{Addr: 1}}})
	assert.ErrorContains(t, err, "not a symlink")
	b, _ := os.ReadFile(link)
	assert.Equal(t, []byte("mine"), b)
}

func TestRunBadKeyFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pd-1.scbk"), []byte("nothex"), 0o600))
	err := run(context.Background(), config{KeyDir: dir, PDs: []pdSpec{{Addr: 1}}})
	assert.ErrorContains(t, err, "pd-1.scbk")
}

// The fingerprint module answers at the address, with the password and the
// packet size given on the command line, and nothing else.
func TestRunFingerprintModule(t *testing.T) {
	link := filepath.Join(t.TempDir(), "ttyFinger")
	cfg := config{PDs: []pdSpec{{Addr: 1}}, Fingerprint: link,
		FingerAddr: 0x0A0B0C0D, FingerPassword: 0x1234, FingerPacketSize: 32, FingerTiming: "r307"}
	e := start(t, cfg)
	defer e.stop()
	ctx := t.Context()
	drive := func(addr, password uint32) *fpm.Module {
		t.Helper()
		port, err := serialport.Open(serialport.Config{Device: link, Baud: 57600})
		require.NoError(t, err)
		m, err := fpm.New(fpm.Config{Port: port, Addr: addr, Password: password, Timeout: 500 * time.Millisecond})
		require.NoError(t, err)
		return m
	}

	m := drive(fpm.DefaultAddr, 0x1234)
	_, err := m.Handshake(ctx)
	assert.ErrorIs(t, err, fpm.ErrTimeout, "the factory address gets no answer")
	require.NoError(t, m.Close())

	m = drive(0x0A0B0C0D, 0)
	_, err = m.Handshake(ctx)
	assert.ErrorIs(t, err, fpm.ErrBadPassword)
	require.NoError(t, m.Close())

	m = drive(0x0A0B0C0D, 0x1234)
	defer func() { require.NoError(t, m.Close()) }()
	sp, err := m.Handshake(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint32(0x0A0B0C0D), sp.Addr)
	assert.Equal(t, 32, sp.PacketSize)
	assert.Equal(t, http.StatusNoContent, e.post("/fingerprint/finger", `{"id":7}`).StatusCode)
	require.NoError(t, m.Capture(ctx), "a real module's capture time is within the timeout")
}
