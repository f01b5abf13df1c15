package osdppd

import (
	"context"
	"errors"
	"fmt"
	"io"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/serveloop"
)

// Serve runs PDs on one multi-drop line: it reads command frames from rw,
// hands each to the PD at its address, and writes the reply. A broadcast
// (address 0x7F) goes to the first PD, which answers from address 0xFF.
// Replies from other devices and frames for other addresses are ignored;
// garbage and frames with bad check characters are skipped by the reader,
// as a real PD skips them (reader.go).
//
// It returns nil when ctx is done, or the error that ended reading or
// writing; see serveloop.Run for when it waits for its reading goroutine.
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

	r := newCommandReader(rw)
	err := serveloop.Run(ctx, rw, r.Next, func(f osdp.Frame) [][]byte {
		if reply := route(f, pds); reply != nil {
			return [][]byte{reply}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("osdppd: serve: %w", err)
	}
	return nil
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
