package fpmodule

import (
	"context"
	"fmt"
	"io"
	"time"

	"menwei/devices/fpm"
)

// Serve runs the module on a serial line: it reads packets from rw, hands
// each to Handle, and writes what Handle returns. Garbage and packets with
// a bad checksum are skipped by the reader.
//
// Serve reads in a goroutine it owns. It returns nil when ctx is done, or
// the error that ended reading or writing. Before returning it waits for
// the reading goroutine when it can interrupt a blocked Read: when rw has a
// working SetReadDeadline (the pty master from serialporttest.PtyPair, a
// socket, an os.Pipe). Otherwise (io.Pipe) it returns at once and the
// goroutine ends when the caller closes rw.
func (m *Module) Serve(ctx context.Context, rw io.ReadWriter) error {
	type result struct {
		p   fpm.Packet
		err error
	}
	packets := make(chan result)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := fpm.NewReader(rw)
		for {
			p, err := r.Next()
			select {
			case packets <- result{p, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	// halt stops the reader and waits for it when a blocked Read can be
	// interrupted.
	halt := func() {
		close(stop)
		d, ok := rw.(interface{ SetReadDeadline(time.Time) error })
		if !ok || d.SetReadDeadline(time.Unix(1, 0)) != nil {
			return // the caller's Close ends the goroutine
		}
		<-done
		_ = d.SetReadDeadline(time.Time{})
	}

	for {
		select {
		case <-ctx.Done():
			halt()
			return nil
		case res := <-packets:
			if res.err != nil {
				<-done
				return fmt.Errorf("fpmodule: serve: read: %w", res.err)
			}
			for _, b := range m.Handle(res.p) {
				if _, err := rw.Write(b); err != nil {
					halt()
					return fmt.Errorf("fpmodule: serve: write: %w", err)
				}
			}
		}
	}
}
