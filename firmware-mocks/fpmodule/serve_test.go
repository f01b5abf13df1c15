package fpmodule_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/fpm"
	"menwei/devices/serialport"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/fpmodule"
)

// line is the host end of a serial line in a test: it writes packets and
// reads answers in a goroutine that ends when the line is closed.
type line struct {
	t       *testing.T
	w       io.Writer
	answers chan fpm.Packet
}

func startLine(t *testing.T, rw io.ReadWriter) *line {
	l := &line{t: t, w: rw, answers: make(chan fpm.Packet, 16)}
	go func() {
		defer close(l.answers)
		r := fpm.NewReader(rw)
		for {
			p, err := r.Next()
			if err != nil {
				return
			}
			l.answers <- p
		}
	}()
	return l
}

func (l *line) write(b []byte) {
	l.t.Helper()
	_, err := l.w.Write(b)
	require.NoError(l.t, err)
}

func (l *line) send(c fpm.Command) {
	l.t.Helper()
	b, err := fpm.AppendEncode(nil, fpm.NewCommand(fpm.DefaultAddr, c))
	require.NoError(l.t, err)
	l.write(b)
}

func (l *line) expect() fpm.Packet {
	l.t.Helper()
	select {
	case p, ok := <-l.answers:
		require.True(l.t, ok, "line closed")
		return p
	case <-time.After(10 * time.Second):
		l.t.Fatal("no answer")
	}
	return fpm.Packet{}
}

func TestServeOnPseudoTerminal(t *testing.T) {
	master, slave := serialporttest.PtyPair(t)
	m := newModule(t, fpmodule.Config{})
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- m.Serve(ctx, master) }()

	port, err := serialport.Open(serialport.Config{Device: slave, Baud: 57600})
	require.NoError(t, err)
	l := startLine(t, port)

	// Garbage, a corrupted command and a command to another module get no
	// answer: the next one is to the GenImg that follows them, sent byte
	// by byte.
	l.write([]byte{0x00, 0xEF, 0x01, 0x13})
	l.write(unhex(t, "ef 01 ff ff ff ff 01 00 03 0d 00 12")) // Empty, bad checksum
	other, err := fpm.AppendEncode(nil, fpm.NewCommand(0x0A0B0C0D, fpm.Empty{}))
	require.NoError(t, err)
	l.write(other)
	for _, b := range unhex(t, "ef 01 ff ff ff ff 01 00 03 01 00 05") {
		l.write([]byte{b})
	}
	assert.Equal(t, []byte{byte(fpm.CodeNoFinger)}, l.expect().Data)

	// An upload: the acknowledgement, then four data packets.
	m.PutFinger(7)
	for _, c := range []fpm.Command{fpm.GenImg{}, fpm.Img2Tz{Buffer: fpm.CharBuffer1}} {
		l.send(c)
		assert.Equal(t, []byte{0}, l.expect().Data)
	}
	l.send(fpm.UpChar{Buffer: fpm.CharBuffer1})
	assert.Equal(t, fpm.PIDAck, l.expect().PID)
	var data []fpm.Packet
	for range 4 {
		data = append(data, l.expect())
	}
	tmpl, err := fpm.JoinData(data)
	require.NoError(t, err)
	assert.Equal(t, []byte{'F', 'P', 1, 0, 0, 0, 0, 7}, tmpl[:8], "a char file of finger 7")

	cancel()
	require.NoError(t, <-served)
	require.NoError(t, port.Close())
	for range l.answers { // the line's reader ends with the port
	}
}

func TestServeReturnsOnCancelWithoutDeadlines(t *testing.T) {
	// io.Pipe cannot interrupt a blocked Read: Serve returns on ctx anyway,
	// and its reader ends when the caller closes the pipe.
	cmdR, cmdW := io.Pipe()
	ansR, ansW := io.Pipe()
	m := newModule(t, fpmodule.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- m.Serve(ctx, struct {
			io.Reader
			io.Writer
		}{cmdR, ansW})
	}()
	l := &line{t: t, w: cmdW, answers: make(chan fpm.Packet, 1)}
	go func() {
		defer close(l.answers)
		if p, err := fpm.NewReader(ansR).Next(); err == nil {
			l.answers <- p
		}
	}()
	l.send(fpm.TemplateNum{})
	assert.Equal(t, []byte{0, 0, 0}, l.expect().Data)
	cancel()
	require.NoError(t, <-served)
	require.NoError(t, cmdW.Close())
	require.NoError(t, ansR.Close())
}

func TestServeReadError(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	var out bytes.Buffer
	in := bytes.NewReader(unhex(t, "ef 01 ff ff ff ff 01 00 03 01 00 05"))
	err := m.Serve(context.Background(), struct {
		io.Reader
		io.Writer
	}{in, &out})
	assert.ErrorIs(t, err, io.EOF)
	assert.Equal(t, unhex(t, "ef 01 ff ff ff ff 07 00 03 02 00 0c"), out.Bytes(), "the packet before EOF was answered")
}
