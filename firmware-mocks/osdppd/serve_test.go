package osdppd_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
	"menwei/firmware-mocks/osdppd/ptypair"
)

// line is the CP end of a serial line in a test: it writes frames and reads
// replies in a goroutine that ends when the line is closed.
type line struct {
	t       *testing.T
	w       io.Writer
	replies chan osdp.Frame
}

func startLine(t *testing.T, rw io.ReadWriter) *line {
	l := &line{t: t, w: rw, replies: make(chan osdp.Frame, 16)}
	go func() {
		defer close(l.replies)
		r := osdp.NewReader(rw)
		for {
			f, err := r.Next()
			if err != nil {
				return
			}
			l.replies <- f
		}
	}()
	return l
}

func (l *line) write(b []byte) {
	l.t.Helper()
	_, err := l.w.Write(b)
	require.NoError(l.t, err)
}

func (l *line) send(f osdp.Frame) { l.write(encode(l.t, f)) }

func (l *line) expect() osdp.Frame {
	l.t.Helper()
	select {
	case f, ok := <-l.replies:
		require.True(l.t, ok, "line closed")
		return f
	case <-time.After(10 * time.Second):
		l.t.Fatal("no reply")
	}
	return osdp.Frame{}
}

func TestServeOnPseudoTerminal(t *testing.T) {
	pair, err := ptypair.Open()
	require.NoError(t, err)
	defer pair.Close()

	pd1 := newPD(t, osdppd.Config{Addr: 1, Install: true})
	pd2 := newPD(t, osdppd.Config{Addr: 2, Install: true})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- osdppd.Serve(ctx, pair.Master, pd1, pd2) }()

	l := startLine(t, pair.Slave)
	l.send(osdp.Frame{Addr: 1, Seq: 0, CRC: true, Code: osdp.CmdPOLL})
	r := l.expect()
	assert.Equal(t, osdp.Frame{Addr: 1, Reply: true, Seq: 0, CRC: true, Code: osdp.ReplyACK, Data: []byte{}}, r)
	l.send(osdp.Frame{Addr: 2, Seq: 0, CRC: true, Code: osdp.CmdPOLL})
	assert.Equal(t, byte(2), l.expect().Addr)

	// Garbage, another PD's reply, a frame for address 9 and a corrupted
	// frame get no answer: the next reply is to the ID that follows them.
	l.write([]byte{0x00, 0x53, 0x13, 0xFF, 0x20})
	l.send(osdp.Frame{Addr: 1, Reply: true, Seq: 1, CRC: true, Code: osdp.ReplyACK})
	l.send(osdp.Frame{Addr: 9, Seq: 0, CRC: true, Code: osdp.CmdPOLL})
	bad := encode(t, osdp.Frame{Addr: 2, Seq: 1, CRC: true, Code: osdp.CmdPOLL})
	bad[len(bad)-1] ^= 0xFF
	l.write(bad)
	l.send(osdp.Frame{Addr: 2, Seq: 1, CRC: true, Code: osdp.CmdID, Data: []byte{0}})
	r = l.expect()
	assert.Equal(t, byte(2), r.Addr)
	assert.Equal(t, byte(osdp.ReplyPDID), r.Code)

	// A broadcast is answered by the first PD, from 0xFF.
	l.send(osdp.Frame{Addr: osdp.Broadcast, Seq: 1, CRC: true, Code: osdp.CmdPOLL})
	r = l.expect()
	assert.Equal(t, byte(osdp.Broadcast), r.Addr)
	assert.True(t, r.Reply)

	// A card on the second reader, byte by byte on the wire.
	pd2.PresentWiegand26(3, 4)
	for _, b := range encode(t, osdp.Frame{Addr: 2, Seq: 2, CRC: true, Code: osdp.CmdPOLL}) {
		l.write([]byte{b})
	}
	r = l.expect()
	assert.Equal(t, byte(osdp.ReplyRAW), r.Code)

	cancel()
	require.NoError(t, <-served)
	require.NoError(t, pair.Close())
	for range l.replies { // the line's reader ends with the pair
	}
}

func TestServeReturnsOnCancelWithoutDeadlines(t *testing.T) {
	// io.Pipe cannot interrupt a blocked Read: Serve returns on ctx anyway,
	// and its reader ends when the caller closes the pipe.
	cmdR, cmdW := io.Pipe()
	repR, repW := io.Pipe()
	pd := newPD(t, osdppd.Config{Addr: 1, Install: true})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- osdppd.Serve(ctx, struct {
			io.Reader
			io.Writer
		}{cmdR, repW}, pd)
	}()
	l := &line{t: t, w: cmdW, replies: make(chan osdp.Frame, 1)}
	go func() {
		defer close(l.replies)
		f, err := osdp.NewReader(repR).Next()
		if err == nil {
			l.replies <- f
		}
	}()
	l.send(osdp.Frame{Addr: 1, Seq: 0, CRC: true, Code: osdp.CmdPOLL})
	assert.Equal(t, byte(osdp.ReplyACK), l.expect().Code)
	cancel()
	require.NoError(t, <-served)
	require.NoError(t, cmdW.Close())
	require.NoError(t, repR.Close())
}

func TestServeReadError(t *testing.T) {
	pd := newPD(t, osdppd.Config{Addr: 1, Install: true})
	var out bytes.Buffer
	in := bytes.NewReader(encode(t, osdp.Frame{Addr: 1, Seq: 0, CRC: true, Code: osdp.CmdPOLL}))
	err := osdppd.Serve(context.Background(), struct {
		io.Reader
		io.Writer
	}{in, &out}, pd)
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, byte(osdp.ReplyACK), decode(t, out.Bytes()).Code, "the frame before EOF was answered")
}

func TestServeChecksItsPDs(t *testing.T) {
	var rw bytes.Buffer
	assert.Error(t, osdppd.Serve(context.Background(), &rw))
	a := newPD(t, osdppd.Config{Addr: 3})
	b := newPD(t, osdppd.Config{Addr: 3})
	assert.Error(t, osdppd.Serve(context.Background(), &rw, a, b))
}
