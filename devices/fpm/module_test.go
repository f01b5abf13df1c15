package fpm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// step is one exchange of a transcript: the bytes the driver must write
// (none for a packet the module volunteers), and the bytes the module
// answers, once gate (when set) is closed.
type step struct {
	want  string
	reply string
	gate  <-chan struct{}
}

// playback plays a module from a transcript on the far end of a pipe. It
// fails the test on any byte the driver writes that the transcript does not
// expect, including bytes written after its end.
func playback(t *testing.T, steps ...step) io.ReadWriteCloser {
	t.Helper()
	host, dev := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, s := range steps {
			want := unhex(t, s.want)
			got := make([]byte, len(want))
			if _, err := io.ReadFull(dev, got); err != nil {
				t.Errorf("step %d: reading % x: %v", i, want, err)
				return
			}
			if !bytes.Equal(got, want) {
				t.Errorf("step %d: driver wrote\n % x\nwant\n % x", i, got, want)
				return
			}
			if s.gate != nil {
				<-s.gate
			}
			if s.reply != "" {
				if _, err := dev.Write(unhex(t, s.reply)); err != nil {
					t.Errorf("step %d: reply: %v", i, err)
					return
				}
			}
		}
		extra := make([]byte, 64)
		if n, _ := dev.Read(extra); n > 0 {
			t.Errorf("driver wrote past the transcript: % x", extra[:n])
		}
	}()
	t.Cleanup(func() {
		dev.Close()
		<-done
	})
	return host
}

// clock is an After whose timers fire when the test says so.
type clock struct {
	asked chan time.Duration
	fire  chan time.Time
}

func newClock() *clock {
	return &clock{asked: make(chan time.Duration, 16), fire: make(chan time.Time)}
}

func (c *clock) After(d time.Duration) <-chan time.Time {
	c.asked <- d
	return c.fire
}

// expire waits for the driver to start a timer and fires it.
func (c *clock) expire(t *testing.T, want time.Duration) {
	t.Helper()
	select {
	case d := <-c.asked:
		assert.Equal(t, want, d)
	case <-time.After(5 * time.Second):
		t.Fatal("driver started no timer")
	}
	c.fire <- time.Time{}
}

func newModule(t *testing.T, cfg Config) *Module {
	t.Helper()
	m, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	return m
}

const (
	cmdGenImg  = "ef 01 ff ff ff ff 01 00 03 01 00 05"
	ackOK      = "ef 01 ff ff ff ff 07 00 03 00 00 0a"
	ackNoFing  = "ef 01 ff ff ff ff 07 00 03 02 00 0c"
	cmdUpChar1 = "ef 01 ff ff ff ff 01 00 04 08 01 00 0e"
)

func TestSearchTranscript(t *testing.T) {
	m := newModule(t, Config{Port: playback(t, step{
		want:  "ef 01 ff ff ff ff 01 00 08 04 01 00 00 01 2c 00 3b",
		reply: "ef 01 ff ff ff ff 07 00 07 00 00 05 00 a0 00 b3",
	})})
	page, score, err := m.Search(t.Context(), CharBuffer1, 0, 300)
	require.NoError(t, err)
	assert.Equal(t, 5, page)
	assert.Equal(t, 160, score)
}

func TestConfirmationIsTypedError(t *testing.T) {
	m := newModule(t, Config{Port: playback(t,
		step{want: cmdGenImg, reply: ackNoFing},
		step{want: "ef 01 ff ff ff ff 01 00 08 04 01 00 00 01 2c 00 3b",
			reply: "ef 01 ff ff ff ff 07 00 07 09 00 00 00 00 00 17"},
	)})
	err := m.Capture(t.Context())
	assert.ErrorIs(t, err, ErrNoFinger)
	var ce *ConfirmError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, ConfirmError{Cmd: InsGenImg, Code: CodeNoFinger}, *ce)

	_, _, err = m.Search(t.Context(), CharBuffer1, 0, 300)
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestGarbageAndStrangersAreSkipped(t *testing.T) {
	m := newModule(t, Config{Port: playback(t, step{
		want: cmdGenImg,
		reply: "00 ef ef 01 " + // stray bytes
			cmdGenImg + // an echo of a command
			" ef 01 12 34 56 78 07 00 03 02 00 0c" + // another module's ack
			" ef 01 ff ff ff ff 02 00 06 01 02 03 04 00 12" + // a data packet
			" ef 01 ff ff ff ff 07 00 03 02 00 0d" + // a bad checksum
			" " + ackOK,
	})})
	require.NoError(t, m.Capture(t.Context()))
}

func TestTimeoutAndRecovery(t *testing.T) {
	clk := newClock()
	late := make(chan struct{})
	m := newModule(t, Config{Port: playback(t,
		step{want: cmdGenImg, reply: ackNoFing, gate: late}, // answered after the timeout
		step{want: cmdGenImg, reply: ackOK},
	), After: clk.After, Timeout: 300 * time.Millisecond})

	errc := make(chan error)
	go func() { errc <- m.Capture(context.Background()) }()
	clk.expire(t, 300*time.Millisecond)
	err := <-errc
	require.ErrorIs(t, err, ErrTimeout)
	assert.Equal(t, "fpm: GenImg: fpm: no answer", err.Error())

	// The late answer to the first GenImg arrives before the second is
	// sent: it must not be taken for the answer to the second.
	close(late)
	require.Eventually(t, func() bool { return len(m.packets) == 1 }, 5*time.Second, time.Millisecond)
	go func() { errc <- m.Capture(context.Background()) }()
	<-clk.asked
	require.NoError(t, <-errc)
}

func TestUploadTranscript(t *testing.T) {
	m := newModule(t, Config{Port: playback(t, step{
		want: cmdUpChar1,
		reply: ackOK +
			" ef 01 ff ff ff ff 02 00 06 01 02 03 04 00 12" +
			" ef 01 ff ff ff ff 08 00 04 ff ff 02 0a",
	})})
	b, err := m.Upload(t.Context(), CharBuffer1)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3, 4, 0xff, 0xff}, b)
}

func TestUploadFailureSendsNoData(t *testing.T) {
	m := newModule(t, Config{Port: playback(t, step{
		want:  cmdUpChar1,
		reply: "ef 01 ff ff ff ff 07 00 03 0d 00 17",
	})})
	_, err := m.Upload(t.Context(), CharBuffer1)
	assert.ErrorIs(t, err, ErrUpload)
}

func TestUploadTimesOutBetweenDataPackets(t *testing.T) {
	clk := newClock()
	m := newModule(t, Config{After: clk.After, Port: playback(t, step{
		want:  cmdUpChar1,
		reply: ackOK + " ef 01 ff ff ff ff 02 00 06 01 02 03 04 00 12",
	})})
	errc := make(chan error)
	go func() {
		_, err := m.Upload(context.Background(), CharBuffer1)
		errc <- err
	}()
	<-clk.asked                  // the acknowledgement's timer
	<-clk.asked                  // the first data packet's
	clk.expire(t, 2*time.Second) // the second's fires
	assert.ErrorIs(t, <-errc, ErrTimeout)
}

func TestDownloadInModulePacketSize(t *testing.T) {
	tmpl := bytes.Repeat([]byte{0x01}, 40)
	m := newModule(t, Config{Port: playback(t,
		step{want: "ef 01 ff ff ff ff 01 00 07 13 00 00 00 2a 00 45", reply: ackOK},
		step{want: "ef 01 ff ff ff ff 01 00 03 0f 00 13",
			// packet size code 0: 32 bytes
			reply: "ef 01 ff ff ff ff 07 00 13 00 00 04 00 09 01 2c 00 03 ff ff ff ff 00 00 00 06 04 59"},
		step{want: "ef 01 ff ff ff ff 01 00 04 09 02 00 10", reply: ackOK},
		step{want: "ef 01 ff ff ff ff 02 00 22" + string(bytes.Repeat([]byte(" 01"), 32)) + " 00 44" +
			" ef 01 ff ff ff ff 08 00 0a 01 01 01 01 01 01 01 01 00 1a"},
	), Password: 42})
	sp, err := m.Handshake(t.Context())
	require.NoError(t, err)
	assert.Equal(t, SysParams{Status: 4, SystemID: 9, Capacity: 300, SecurityLevel: 3,
		Addr: DefaultAddr, PacketSize: 32, Baud: 57600}, sp)
	require.NoError(t, m.Download(t.Context(), CharBuffer2, tmpl))
}

func TestDownloadRefusedSendsNoData(t *testing.T) {
	m := newModule(t, Config{Port: playback(t, step{
		want:  "ef 01 ff ff ff ff 01 00 04 09 01 00 0f",
		reply: "ef 01 ff ff ff ff 07 00 03 0e 00 18",
	})})
	assert.ErrorIs(t, m.Download(t.Context(), CharBuffer1, []byte{1, 2, 3}), ErrDownload)
	assert.ErrorIs(t, m.Download(t.Context(), CharBuffer1, nil), ErrTransfer, "nothing sent")
}

func TestIndexStopsAtModulesLastIndexPage(t *testing.T) {
	m := newModule(t, Config{Port: playback(t,
		step{want: "ef 01 ff ff ff ff 01 00 04 1f 00 00 24",
			reply: "ef 01 ff ff ff ff 07 00 23 00 21" + string(bytes.Repeat([]byte(" 00"), 30)) + " 80 00 cb"},
		step{want: "ef 01 ff ff ff ff 01 00 04 1f 01 00 25",
			reply: "ef 01 ff ff ff ff 07 00 03 0b 00 15"},
	)})
	used, err := m.Index(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []int{0, 5, 255}, used)
}

func TestArgumentsCheckedBeforeSending(t *testing.T) {
	m := newModule(t, Config{Port: playback(t)})
	ctx := t.Context()
	assert.ErrorIs(t, m.Store(ctx, CharBuffer1, -1), ErrBadPage)
	assert.ErrorIs(t, m.Load(ctx, CharBuffer1, 1<<16), ErrBadPage)
	assert.ErrorIs(t, m.Delete(ctx, 0, 1<<16), ErrBadPage)
	_, _, err := m.Search(ctx, CharBuffer1, -1, 10)
	assert.ErrorIs(t, err, ErrBadPage)
	assert.ErrorIs(t, m.Download(ctx, CharBuffer1, make([]byte, MaxTransfer+1)), ErrTransfer)
}

func TestContextEndsWait(t *testing.T) {
	clk := newClock()
	m := newModule(t, Config{Port: playback(t, step{want: cmdGenImg}), After: clk.After})
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error)
	go func() { errc <- m.Capture(ctx) }()
	<-clk.asked // waiting for the answer
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
}

func TestCloseEndsCallsAndIsIdempotent(t *testing.T) {
	clk := newClock()
	m, err := New(Config{Port: playback(t, step{want: cmdGenImg}), After: clk.After})
	require.NoError(t, err)
	errc := make(chan error)
	go func() { errc <- m.Capture(context.Background()) }()
	<-clk.asked // waiting for the answer
	require.NoError(t, m.Close())
	assert.ErrorIs(t, <-errc, ErrClosed)
	require.NoError(t, m.Close())
	assert.ErrorIs(t, m.Capture(t.Context()), ErrClosed)
}

func TestPortFailureIsReported(t *testing.T) {
	host, dev := net.Pipe()
	m := newModule(t, Config{Port: host})
	go func() {
		b := make([]byte, 12)
		_, _ = io.ReadFull(dev, b)
		dev.Close()
	}()
	err := m.Capture(t.Context())
	assert.ErrorIs(t, err, io.EOF)
	assert.False(t, errors.Is(err, ErrTimeout))
}

func TestConfigValidation(t *testing.T) {
	_, err := New(Config{})
	assert.Error(t, err, "no port")
	host, _ := net.Pipe()
	defer host.Close()
	_, err = New(Config{Port: host, Timeout: -1})
	assert.Error(t, err)
	_, err = New(Config{Port: host, PacketSize: 100})
	assert.Error(t, err)
}
