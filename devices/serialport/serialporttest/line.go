package serialporttest

import (
	"errors"
	"io"
	"sync"
	"time"
)

// Line is a half-duplex serial line paced at its baud rate, for tests that
// must see what a real RS-485 bus does with time: each byte takes 10 bit
// times (8N1) on the wire, and arrives at the other end when its last bit
// has. A pty or a pipe delivers a kilobyte at once; at 9600 baud this line
// takes 1.04 s for it.
//
// Half-duplex: there is one pair of wires. An end that writes while the
// other end's bytes are still on the wire collides with them: the bytes of
// both that overlap arrive corrupted, as on a bus two drivers fight over,
// and Collisions counts it. An end's own writes queue behind each other, as
// in a UART's transmit buffer. Write returns at once.
//
// Line paces with the wall clock: it stands in for hardware. A reader gets
// each byte once its last bit has arrived, never before, and typically 0.1 ms
// after (a kernel sleep, see fineWait), as a UART's interrupt would wake it.
// Tests assert on what happened (collisions, retransmissions, offline
// events), never on how long it took.
type Line struct {
	byteTime time.Duration

	mu         sync.Mutex
	ends       [2]*LineEnd
	busyUntil  time.Time // when the wire falls quiet
	busyBy     int       // which end is transmitting until busyUntil
	collisions int
}

// LineEnd is one end of a Line: an io.ReadWriteCloser. Closing either end
// closes both.
type LineEnd struct {
	line   *Line
	i      int
	in     []timedByte // bytes on their way to this end
	notify chan struct{}
	closed bool
	writes [][]byte // what this end wrote, frame by frame (copies)
}

type timedByte struct {
	at time.Time
	b  byte
}

// NewLine returns the two ends of a line at baud bits per second.
func NewLine(baud int) (*LineEnd, *LineEnd) {
	l := &Line{byteTime: 10 * time.Second / time.Duration(baud)}
	for i := range l.ends {
		l.ends[i] = &LineEnd{line: l, i: i, notify: make(chan struct{})}
	}
	return l.ends[0], l.ends[1]
}

// ErrLineClosed is what Read and Write return after Close.
var ErrLineClosed = errors.New("serialporttest: line closed")

// Write puts p on the wire after what this end is still sending.
func (e *LineEnd) Write(p []byte) (int, error) {
	l := e.line
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.closed {
		return 0, ErrLineClosed
	}
	now := time.Now()
	start := now
	other := l.ends[1-e.i]
	if l.busyUntil.After(now) {
		if l.busyBy == e.i {
			start = l.busyUntil
		} else {
			// Both drive the wires: what overlaps is noise for everyone.
			l.collisions++
			for j := range e.in { // the rest of the other end's bytes, on their way here
				if e.in[j].at.After(now) {
					e.in[j].b ^= 0xA5
				}
			}
		}
	}
	collide := l.busyUntil.After(now) && l.busyBy != e.i
	overlapEnd := l.busyUntil
	for j, b := range p {
		at := start.Add(time.Duration(j+1) * l.byteTime)
		if collide && !at.Add(-l.byteTime).After(overlapEnd) {
			b ^= 0x5A
		}
		other.in = append(other.in, timedByte{at, b})
	}
	end := start.Add(time.Duration(len(p)) * l.byteTime)
	if end.After(l.busyUntil) {
		l.busyUntil, l.busyBy = end, e.i
	}
	e.writes = append(e.writes, append([]byte(nil), p...))
	close(other.notify)
	other.notify = make(chan struct{})
	return len(p), nil
}

// Read returns the bytes that have arrived, waiting for the first.
func (e *LineEnd) Read(p []byte) (int, error) {
	l := e.line
	for {
		l.mu.Lock()
		if e.closed {
			l.mu.Unlock()
			return 0, io.EOF
		}
		now := time.Now()
		n := 0
		for n < len(p) && n < len(e.in) && !e.in[n].at.After(now) {
			p[n] = e.in[n].b
			n++
		}
		if n > 0 {
			e.in = e.in[n:]
			l.mu.Unlock()
			return n, nil
		}
		if len(e.in) > 0 && e.in[0].at.Sub(now) <= fineWait {
			// The next byte is about to arrive: nothing can come before it
			// (the other end's bytes queue behind it), so sleep to its time.
			wait := e.in[0].at.Sub(now)
			l.mu.Unlock()
			kernelSleep(wait)
			continue
		}
		wait := time.Hour
		if len(e.in) > 0 {
			wait = e.in[0].at.Sub(now) - fineWait
		}
		notify := e.notify
		l.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-notify:
		}
		t.Stop()
	}
}

// fineWait is how close to a byte's arrival Read stops waiting on a Go
// timer and sleeps in the kernel instead. The runtime's timers wake about a
// millisecond late on Linux (the netpoller waits in whole milliseconds),
// which would deliver a byte up to a millisecond after its last bit, where
// a UART's reader is woken by the interrupt that brings it: at 115200 baud
// that is more than the 1.3 ms a POLL takes on the wire, a cost the line
// does not have. A Close during the last fineWait before a byte is seen
// when the sleep ends.
const fineWait = 2 * time.Millisecond

// Close closes both ends and wakes their readers.
func (e *LineEnd) Close() error {
	l := e.line
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.ends {
		if !x.closed {
			x.closed = true
			close(x.notify)
		}
	}
	return nil
}

// Collisions counts writes that started while the other end was sending.
func (e *LineEnd) Collisions() int {
	e.line.mu.Lock()
	defer e.line.mu.Unlock()
	return e.line.collisions
}

// Writes returns what this end wrote, one slice per Write.
func (e *LineEnd) Writes() [][]byte {
	e.line.mu.Lock()
	defer e.line.mu.Unlock()
	return append([][]byte(nil), e.writes...)
}
