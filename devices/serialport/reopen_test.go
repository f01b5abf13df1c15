package serialport_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/serialport"
	"menwei/devices/serialport/serialporttest"
)

// script is a fake ReopenConfig.Open: each call returns the next step,
// either an error or the near end of a new net.Pipe whose far end, the
// device, goes to devices.
type script struct {
	t       *testing.T
	mu      sync.Mutex
	steps   []error // nil: open succeeds
	opens   int
	overrun bool
	devices chan net.Conn
}

var errNoDevice = errors.New("no such device")

func newScript(t *testing.T, steps ...error) *script {
	return &script{t: t, steps: steps, devices: make(chan net.Conn, len(steps))}
}

func (s *script) open() (serialport.Port, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opens == len(s.steps) {
		if !s.overrun {
			s.t.Errorf("open %d: script has only %d steps", s.opens+1, len(s.steps))
			s.overrun = true
		}
		return nil, errNoDevice
	}
	err := s.steps[s.opens]
	s.opens++
	if err != nil {
		return nil, err
	}
	port, device := net.Pipe()
	s.devices <- device
	return port, nil
}

func (s *script) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens
}

// device waits for the next port the script opens and returns its far end.
func (s *script) device(t *testing.T) net.Conn {
	t.Helper()
	select {
	case d := <-s.devices:
		t.Cleanup(func() { d.Close() })
		return d
	case <-time.After(patience):
		t.Fatal("no port opened")
		return nil
	}
}

// recorder records what the Reopener hands to Rand, Sleep and OnState.
type recorder struct {
	mu     sync.Mutex
	rands  []float64
	delays []time.Duration
	states []state
	hold   bool // Sleep waits for ctx instead of returning at once
}

type state struct {
	up  bool
	err error
}

func (r *recorder) rand() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := float64(len(r.rands)%10) / 10 // 0, 0.1, ..., 0.9, 0, ...
	r.rands = append(r.rands, v)
	return v
}

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	r.delays = append(r.delays, d)
	hold := r.hold
	r.mu.Unlock()
	if hold {
		<-ctx.Done()
	}
	return ctx.Err()
}

func (r *recorder) onState(up bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states = append(r.states, state{up, err})
}

func (r *recorder) snapshot() (rands []float64, delays []time.Duration, states []state) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]float64(nil), r.rands...), append([]time.Duration(nil), r.delays...), append([]state(nil), r.states...)
}

func (r *recorder) config(open func() (serialport.Port, error)) serialport.ReopenConfig {
	return serialport.ReopenConfig{
		Open:       open,
		MinBackoff: 100 * time.Millisecond,
		MaxBackoff: 500 * time.Millisecond,
		Rand:       r.rand,
		Sleep:      r.sleep,
		OnState:    r.onState,
	}
}

// send writes b from the device side without blocking the test: a
// net.Pipe write waits for the reader.
func send(t *testing.T, device net.Conn, b []byte) {
	t.Helper()
	done := make(chan struct{})
	t.Cleanup(func() { <-done })
	go func() {
		defer close(done)
		device.Write(b)
	}()
}

func TestReopenerBacksOffAndResets(t *testing.T) {
	errBusy := errors.New("device busy")
	sc := newScript(t,
		errNoDevice, errNoDevice, errBusy, errNoDevice, nil, // four failures, then up
		errNoDevice, errNoDevice, nil, // down, two failures, up again
	)
	var rec recorder
	r := serialport.NewReopener(rec.config(sc.open))
	defer r.Close()

	dev := sc.device(t)
	send(t, dev, []byte("one"))
	assert.Equal(t, []byte("one"), readN(t, r, 3))

	// Unplug under a blocked Read: it fails on the old port, and the
	// Reopener reopens and the Read goes on on the new one.
	got := readLater(r, 3)
	dev.Close()
	dev = sc.device(t)
	send(t, dev, []byte("two"))
	assert.Equal(t, []byte("two"), receive(t, got))
	require.NoError(t, r.Close())

	rands, delays, states := rec.snapshot()
	// Ceilings min*2^attempt capped at max; the attempt count starts over
	// once an open succeeds.
	ms := time.Millisecond
	ceilings := []time.Duration{100 * ms, 200 * ms, 400 * ms, 500 * ms, 100 * ms, 200 * ms, 400 * ms}
	require.Len(t, delays, len(ceilings))
	require.Len(t, rands, len(ceilings))
	for i, c := range ceilings {
		assert.Equal(t, time.Duration(rands[i]*float64(c)), delays[i], "delay %d", i)
		assert.LessOrEqual(t, delays[i], c, "delay %d", i)
	}
	assert.Equal(t, []state{
		{false, errNoDevice}, // first open failed; later failures are not transitions
		{true, nil},
		{false, io.EOF}, // the unplug, as the pipe reported it
		{true, nil},
	}, states)
	assert.Equal(t, 8, sc.count())
}

func TestReopenerWhileDown(t *testing.T) {
	sc := newScript(t, errNoDevice)
	rec := recorder{hold: true} // stay down until Close
	r := serialport.NewReopener(rec.config(sc.open))

	// Write fails at once rather than waiting for the device.
	err := within(t, "write while down", func() error {
		_, err := r.Write([]byte{0x53})
		return err
	})
	assert.ErrorIs(t, err, serialport.ErrGone)

	// Read waits, and Close wakes it.
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 1))
		errc <- err
	}()
	require.NoError(t, within(t, "close", r.Close))
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, serialport.ErrClosed)
	case <-time.After(patience):
		t.Fatal("Read still blocked after Close")
	}

	assert.NoError(t, r.Close(), "second Close")
	_, err = r.Write([]byte{0x53})
	assert.ErrorIs(t, err, serialport.ErrClosed)
	_, err = r.Read(make([]byte, 1))
	assert.ErrorIs(t, err, serialport.ErrClosed)
}

func TestReopenerCloseWhileUp(t *testing.T) {
	sc := newScript(t, nil)
	var rec recorder
	r := serialport.NewReopener(rec.config(sc.open))
	dev := sc.device(t)
	// Up: the port is installed and reported (the device being opened is
	// not enough: a Close between the open and the install is another case,
	// in which nothing is reported).
	require.Eventually(t, func() bool { _, _, st := rec.snapshot(); return len(st) > 0 }, patience, time.Millisecond, "the port is reported up")

	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 1))
		errc <- err
	}()
	require.NoError(t, within(t, "close", r.Close))
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, serialport.ErrClosed)
	case <-time.After(patience):
		t.Fatal("Read still blocked after Close")
	}
	_, err := dev.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "Close closes the underlying port")

	_, _, states := rec.snapshot()
	assert.Equal(t, []state{{true, nil}}, states, "Close is not a device event")
}

// stuckPort is a Port whose reads wait for Close and whose writes fail.
type stuckPort struct {
	reading chan struct{} // closed when the first Read starts
	closed  chan struct{}
	once    sync.Once
	read    sync.Once
}

var errWrite = errors.New("write: input/output error")

func newStuckPort() *stuckPort {
	return &stuckPort{reading: make(chan struct{}), closed: make(chan struct{})}
}

func (p *stuckPort) Read([]byte) (int, error) {
	p.read.Do(func() { close(p.reading) })
	<-p.closed
	return 0, io.ErrClosedPipe
}

func (p *stuckPort) Write([]byte) (int, error) { return 0, errWrite }

func (p *stuckPort) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

func TestReopenerWriteFailure(t *testing.T) {
	stuck := newStuckPort()
	sc := newScript(t, nil)
	opens := 0 // only the Reopener's goroutine touches it until Close
	open := func() (serialport.Port, error) {
		opens++
		if opens == 1 {
			return stuck, nil
		}
		return sc.open()
	}
	var rec recorder
	r := serialport.NewReopener(rec.config(open))
	defer r.Close()

	// A reader is blocked on the port when a write on it fails. The port
	// is replaced once; the reader's own error from the old port must not
	// take the new one down too.
	got := readLater(r, 3)
	select {
	case <-stuck.reading:
	case <-time.After(patience):
		t.Fatal("Read did not reach the port")
	}
	_, err := r.Write([]byte{0x53})
	assert.ErrorIs(t, err, serialport.ErrGone)
	assert.ErrorIs(t, err, errWrite, "the cause is kept")

	dev := sc.device(t)
	send(t, dev, []byte("new"))
	assert.Equal(t, []byte("new"), receive(t, got))
	require.NoError(t, r.Close())

	assert.Equal(t, 2, opens)
	_, _, states := rec.snapshot()
	assert.Equal(t, []state{{true, nil}, {false, errWrite}, {true, nil}}, states)
}

func TestReopenerDefaults(t *testing.T) {
	// No Open: every attempt fails, reported once; real timers; Close
	// stops the loop mid-sleep.
	states := make(chan state, 10)
	r := serialport.NewReopener(serialport.ReopenConfig{
		OnState: func(up bool, err error) { states <- state{up, err} },
	})
	select {
	case s := <-states:
		assert.False(t, s.up)
		assert.EqualError(t, s.err, "serialport: reopen: no Open func")
	case <-time.After(patience):
		t.Fatal("no state reported")
	}
	require.NoError(t, within(t, "close", r.Close))
}

func TestReopenerOverPty(t *testing.T) {
	// A real pty is unplugged (its master closed) and a new one plugged
	// in under a different path; Open follows the current path.
	var mu sync.Mutex
	master, path := serialporttest.PtyPair(t)
	open := func() (serialport.Port, error) {
		mu.Lock()
		p := path
		mu.Unlock()
		return serialport.Open(serialport.Config{Device: p})
	}
	states := make(chan state, 10)
	r := serialport.NewReopener(serialport.ReopenConfig{
		Open:       open,
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 50 * time.Millisecond,
		OnState:    func(up bool, err error) { states <- state{up, err} },
	})
	defer r.Close()
	expect := func(up bool) state {
		t.Helper()
		select {
		case s := <-states:
			require.Equal(t, up, s.up, "state %+v", s)
			return s
		case <-time.After(patience):
			t.Fatalf("no transition to up=%v", up)
			return state{}
		}
	}

	expect(true)
	_, err := master.Write([]byte{0x0d, 0x0a, 0x03})
	require.NoError(t, err)
	assert.Equal(t, []byte{0x0d, 0x0a, 0x03}, readN(t, r, 3))
	_, err = r.Write([]byte{0x11, 0x13})
	require.NoError(t, err)
	assert.Equal(t, []byte{0x11, 0x13}, readMaster(t, master, 2))

	// Unplug while a Read is blocked, and plug a new device in.
	got := readLater(r, 4)
	newMaster, newPath := serialporttest.PtyPair(t)
	mu.Lock()
	path = newPath
	mu.Unlock()
	require.NoError(t, master.Close())
	down := expect(false)
	assert.ErrorIs(t, down.err, serialport.ErrGone)
	expect(true)

	_, err = newMaster.Write(allBytes()[:4])
	require.NoError(t, err)
	assert.Equal(t, allBytes()[:4], receive(t, got))
	_, err = r.Write(allBytes())
	require.NoError(t, err)
	assert.Equal(t, allBytes(), readMaster(t, newMaster, 256))
}

// Ready is open while there is no port and closed once there is one, so a
// writer can wait for the device instead of losing writes to it.
func TestReopenerReady(t *testing.T) {
	sc := newScript(t, errNoDevice, nil)
	rec := recorder{}
	cfg := rec.config(sc.open)
	look := make(chan struct{})
	cfg.Sleep = func(ctx context.Context, d time.Duration) error {
		select { // hold the retry until the test has looked
		case <-look:
		case <-ctx.Done():
		}
		return ctx.Err()
	}
	r := serialport.NewReopener(cfg)
	defer r.Close()
	for sc.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	select {
	case <-r.Ready():
		t.Fatal("ready before any port opened")
	default:
	}
	close(look)
	within(t, "ready", func() bool { <-r.Ready(); return true })
	sc.device(t)
}
