package fpmodule

import (
	"context"
	"fmt"
	"io"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/serveloop"
)

// Serve runs the module on a serial line: it reads packets from rw, hands
// each to Handle, waits as long as the instruction takes (Config.Timing, on
// Config.After), and writes what Handle returned. Packets that arrive
// meanwhile wait their turn, as in the module's UART buffer. Garbage and
// packets with a bad checksum are skipped by the reader.
//
// It returns nil when ctx is done, also in the middle of a wait, or the
// error that ended reading or writing; see serveloop.Run for when it waits
// for its reading goroutine.
func (m *Module) Serve(ctx context.Context, rw io.ReadWriter) error {
	r := fpm.NewReader(rw)
	handle := func(p fpm.Packet) [][]byte {
		wire, busy := m.handle(p)
		if wire == nil || busy <= 0 {
			return wire
		}
		select {
		case <-m.cfg.After(busy):
			return wire
		case <-ctx.Done():
			return nil
		}
	}
	if err := serveloop.Run(ctx, rw, r.Next, handle); err != nil {
		return fmt.Errorf("fpmodule: serve: %w", err)
	}
	return nil
}
