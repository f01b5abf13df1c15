package osdppd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"menwei/devices/osdp"
)

// Serve runs PDs on one multi-drop line: it reads command frames from rw,
// hands each to the PD at its address, and writes the reply. A broadcast
// (address 0x7F) goes to the first PD, which answers from address 0xFF.
// Replies from other devices and frames for other addresses are ignored;
// garbage and frames with bad check characters are skipped by the reader.
//
// Serve reads in a goroutine it owns. It returns nil when ctx is done, or
// the error that ended reading or writing. Before returning it waits for the
// reading goroutine when it can interrupt a blocked Read: when rw has a
// working SetReadDeadline (a socket, a pipe from os.Pipe, a pseudo-terminal
// master opened non-blocking as ptypair does). Otherwise (io.Pipe, a blocking
// file) it returns at once and the goroutine ends when the caller closes rw.
func Serve(ctx context.Context, rw io.ReadWriter, pds ...*PD) error {
	if len(pds) == 0 {
		return errors.New("osdppd: serve: no PDs")
	}
	seen := map[byte]bool{}
	for _, p := range pds {
		a := p.Addr()
		if seen[a] {
			return fmt.Errorf("osdppd: serve: two PDs at address %d", a)
		}
		seen[a] = true
	}

	type result struct {
		f   osdp.Frame
		err error
	}
	frames := make(chan result)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := osdp.NewReader(rw)
		for {
			f, err := r.Next()
			select {
			case frames <- result{f, err}:
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
		case res := <-frames:
			if res.err != nil {
				<-done
				return fmt.Errorf("osdppd: serve: read: %w", res.err)
			}
			reply := route(res.f, pds)
			if reply == nil {
				continue
			}
			if _, err := rw.Write(reply); err != nil {
				halt()
				return fmt.Errorf("osdppd: serve: write: %w", err)
			}
		}
	}
}

// route hands a frame to the PD it is addressed to.
func route(f osdp.Frame, pds []*PD) []byte {
	if f.Reply {
		return nil
	}
	if f.Addr == osdp.Broadcast {
		return pds[0].Handle(f)
	}
	for _, p := range pds {
		if p.Addr() == f.Addr {
			return p.Handle(f)
		}
	}
	return nil
}
