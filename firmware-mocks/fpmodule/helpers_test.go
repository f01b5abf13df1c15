package fpmodule_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	require.NoError(t, err, s)
	return b
}

func newModule(t testing.TB, cfg fpmodule.Config) *fpmodule.Module {
	t.Helper()
	m, err := fpmodule.New(cfg)
	require.NoError(t, err)
	return m
}

// host is a minimal host for tests: it sends commands through Handle and
// reads what comes back the way the driver does, with fpm.Reader.
type host struct {
	t    testing.TB
	m    *fpmodule.Module
	addr uint32
}

func newHost(t testing.TB, m *fpmodule.Module) *host {
	return &host{t: t, m: m, addr: fpm.DefaultAddr}
}

// send hands one packet to the module and returns the packets it answers.
func (h *host) send(p fpm.Packet) []fpm.Packet {
	h.t.Helper()
	return readPackets(h.t, h.m.Handle(p))
}

// packets sends c and returns every packet of the answer.
func (h *host) packets(c fpm.Command) []fpm.Packet {
	h.t.Helper()
	return h.send(fpm.NewCommand(h.addr, c))
}

// do sends c and parses its one acknowledgement.
func (h *host) do(c fpm.Command) (fpm.Reply, error) {
	h.t.Helper()
	ps := h.packets(c)
	require.Len(h.t, ps, 1, "%v answered % v", c.Instruction(), ps)
	require.Equal(h.t, fpm.PIDAck, ps[0].PID)
	return fpm.ParseReply(c.Instruction(), ps[0].Data)
}

// reply sends c and returns its successful reply.
func (h *host) reply(c fpm.Command) fpm.Reply {
	h.t.Helper()
	r, err := h.do(c)
	require.NoError(h.t, err, "%v", c.Instruction())
	return r
}

// ok sends c and checks that it succeeds.
func (h *host) ok(c fpm.Command) {
	h.t.Helper()
	h.reply(c)
}

// code sends c and returns its confirmation code.
func (h *host) code(c fpm.Command) fpm.Code {
	h.t.Helper()
	_, err := h.do(c)
	if err == nil {
		return fpm.CodeOK
	}
	var ce *fpm.ConfirmError
	require.ErrorAs(h.t, err, &ce)
	return ce.Code
}

// upload returns the contents of char buffer b.
func (h *host) upload(b fpm.Buffer) []byte {
	h.t.Helper()
	ps := h.packets(fpm.UpChar{Buffer: b})
	require.NotEmpty(h.t, ps)
	_, err := fpm.ParseReply(fpm.InsUpChar, ps[0].Data)
	require.NoError(h.t, err)
	data, err := fpm.JoinData(ps[1:])
	require.NoError(h.t, err)
	return data
}

// download puts data into char buffer b with DownChar and data packets of
// size bytes.
func (h *host) download(b fpm.Buffer, data []byte, size int) {
	h.t.Helper()
	h.ok(fpm.DownChar{Buffer: b})
	ps, err := fpm.SplitData(h.addr, data, size)
	require.NoError(h.t, err)
	for _, p := range ps {
		assert.Nil(h.t, h.m.Handle(p), "data packets are not acknowledged")
	}
}

// capture puts finger on the sensor and makes a char file of it in b.
func (h *host) capture(finger int, b fpm.Buffer) {
	h.t.Helper()
	h.m.PutFinger(finger)
	h.ok(fpm.GenImg{})
	h.ok(fpm.Img2Tz{Buffer: b})
}

// enrol captures finger twice, merges and stores the template at page.
func (h *host) enrol(finger, page int) {
	h.t.Helper()
	h.capture(finger, fpm.CharBuffer1)
	h.capture(finger, fpm.CharBuffer2)
	h.ok(fpm.RegModel{})
	h.ok(fpm.Store{Buffer: fpm.CharBuffer1, Page: uint16(page)})
}

// readPackets decodes the wire bytes Handle returned, skipping noise.
func readPackets(t testing.TB, wire [][]byte) []fpm.Packet {
	t.Helper()
	r := fpm.NewReader(bytes.NewReader(bytes.Join(wire, nil)))
	var out []fpm.Packet
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, p)
	}
}
