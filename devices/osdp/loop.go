package osdp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// LoopConfig configures a Loop.
type LoopConfig struct {
	Bus BusConfig
	// Port is the line; the Loop closes it when Run returns. If it has a
	// Ready method (serialport.Reopener), the Loop writes only while the
	// channel it returns is closed: nothing is sent into a port that is not
	// open yet, or away, so no attempt is lost to it.
	Port        io.ReadWriteCloser
	Now         func() time.Time // nil = time.Now
	EventBuffer int              // 0 = 256
	// OnSend, if set, is told the code of every command written (metrics).
	OnSend func(code byte)
}

// readier is a port that can say whether it is open (serialport.Reopener).
type readier interface{ Ready() <-chan struct{} }

// Loop is the one goroutine that owns a bus: it writes what the Bus wants
// sent, feeds it the frames read from the port, and hands events out.
type Loop struct {
	bus    *Bus
	port   io.ReadWriteCloser
	now    func() time.Time
	onSend func(byte)
	events chan Event
	calls  chan func()
	done   chan struct{}
}

// NewLoop checks the configuration. Call Run to start it.
func NewLoop(cfg LoopConfig) (*Loop, error) {
	if cfg.Port == nil {
		return nil, errors.New("osdp: loop needs a port")
	}
	b, err := NewBus(cfg.Bus)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.EventBuffer == 0 {
		cfg.EventBuffer = 256
	}
	return &Loop{bus: b, port: cfg.Port, now: cfg.Now, onSend: cfg.OnSend, events: make(chan Event, cfg.EventBuffer),
		calls: make(chan func()), done: make(chan struct{})}, nil
}

// Events delivers what the bus reports. The channel closes when Run returns.
// A consumer that stops reading holds the bus up, so read it promptly.
func (l *Loop) Events() <-chan Event { return l.events }

// call runs f inside the loop goroutine.
func (l *Loop) call(ctx context.Context, f func()) error {
	ran := make(chan struct{})
	select {
	case l.calls <- func() { f(); close(ran) }:
	case <-ctx.Done():
		return ctx.Err()
	case <-l.done:
		return errors.New("osdp: loop stopped")
	}
	<-ran
	return nil
}

// Submit queues a command for the PD at addr; the outcome arrives as an
// EventResult carrying the returned id.
func (l *Loop) Submit(ctx context.Context, addr byte, msg Message) (uint64, error) {
	var (
		id  uint64
		err error
	)
	if cerr := l.call(ctx, func() { id, err = l.bus.Submit(addr, msg) }); cerr != nil {
		return 0, cerr
	}
	return id, err
}

// Status reports every PD on the bus.
func (l *Loop) Status(ctx context.Context) ([]PDStatus, error) {
	var st []PDStatus
	err := l.call(ctx, func() { st = l.bus.Status() })
	return st, err
}

type readResult struct {
	f   Frame
	err error
}

// Run drives the bus until ctx ends or the port fails. It closes the port
// and waits for its reader before returning.
func (l *Loop) Run(ctx context.Context) error {
	defer close(l.events)
	defer close(l.done)
	frames := make(chan readResult)
	arriving := make(chan struct{}, 1) // bytes came in: a reply is on its way
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		r := NewReader(arrivals{l.port, arriving})
		for {
			f, err := r.Next()
			select {
			case frames <- readResult{f, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		close(stop)
		l.port.Close()
		<-readerDone
	}()

	log := l.bus.log
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	writeErrs := 0
	ready, _ := l.port.(readier)
	for {
		now := l.now()
		l.bus.Tick(now)
		var portDown <-chan struct{} // set while the port is not open: wait for it
		if ready != nil {
			select {
			case <-ready.Ready():
			default:
				portDown = ready.Ready()
			}
		}
		// While the port is down only Tick runs: PDs still go offline.
		if raw := l.nextUnless(portDown, now); raw != nil {
			if _, err := l.port.Write(raw); err != nil {
				// A lost write is a missed reply: the bus retries and, if the
				// line stays dead, takes the PDs offline.
				if writeErrs++; writeErrs%100 == 0 {
					log.Warn("writes failing", "err", err, "count", writeErrs)
				} else {
					log.Debug("write failed", "err", err)
				}
			} else {
				writeErrs = 0
				if l.onSend != nil && len(raw) > 0 {
					if f, _, err := Decode(raw); err == nil {
						l.onSend(f.Code)
					}
				}
			}
		}
		if !l.flush(ctx) {
			return nil
		}
		timer.Reset(max(l.bus.Wake(now).Sub(l.now()), 0))
		select {
		case rr := <-frames:
			if rr.err != nil {
				return fmt.Errorf("osdp: bus %s: read: %w", l.bus.cfg.Name, rr.err)
			}
			l.bus.Receive(rr.f, l.now())
		case <-arriving:
			l.bus.Arriving(l.now())
		case f := <-l.calls:
			f()
		case <-portDown:
		case <-timer.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// arrivals tells the loop whenever bytes come in, so that the bus keeps
// waiting for a long reply while it arrives (1 KB takes a second at 9600).
type arrivals struct {
	r  io.Reader
	ch chan struct{}
}

func (a arrivals) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		select {
		case a.ch <- struct{}{}:
		default: // the loop has not taken the last one yet: same news
		}
	}
	return n, err
}

// nextUnless asks the bus what to send, unless the port is down.
func (l *Loop) nextUnless(portDown <-chan struct{}, now time.Time) []byte {
	if portDown != nil {
		return nil
	}
	return l.bus.Next(now)
}

// flush hands out pending events, still serving calls so a consumer that
// submits while we wait cannot deadlock. It returns false when ctx ends.
func (l *Loop) flush(ctx context.Context) bool {
	for _, e := range l.bus.Events() {
		for sent := false; !sent; {
			select {
			case l.events <- e:
				sent = true
			case f := <-l.calls:
				f()
			case <-ctx.Done():
				return false
			}
		}
	}
	return true
}
