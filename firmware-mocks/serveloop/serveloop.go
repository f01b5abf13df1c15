// Package serveloop is the serial loop the emulated devices share: read a
// message from the line, hand it to the device, write what it answers.
package serveloop

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Run reads messages with next, which reads from rw, and writes to rw the
// replies handle returns for each, until ctx ends (nil) or reading or
// writing fails (the error, wrapped with "read" or "write").
//
// Reading happens in a goroutine Run owns. Before returning, Run waits for
// it when a blocked Read can be interrupted: when rw has a working
// SetReadDeadline (a pty master from serialporttest.PtyPair, a socket, an
// os.Pipe). Otherwise (io.Pipe, a blocking file) it returns at once and the
// goroutine ends when the caller closes rw.
func Run[M any](ctx context.Context, rw io.ReadWriter, next func() (M, error), handle func(M) [][]byte) error {
	type result struct {
		m   M
		err error
	}
	msgs := make(chan result)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			m, err := next()
			select {
			case msgs <- result{m, err}:
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
		case res := <-msgs:
			if res.err != nil {
				<-done
				return fmt.Errorf("read: %w", res.err)
			}
			for _, b := range handle(res.m) {
				if _, err := rw.Write(b); err != nil {
					halt()
					return fmt.Errorf("write: %w", err)
				}
			}
		}
	}
}
