package fpmodule

import (
	"context"
	"fmt"
	"io"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/serveloop"
)

// Serve runs the module on a serial line: it reads packets from rw, hands
// each to Handle, and writes what Handle returns. Garbage and packets with
// a bad checksum are skipped by the reader.
//
// It returns nil when ctx is done, or the error that ended reading or
// writing; see serveloop.Run for when it waits for its reading goroutine.
func (m *Module) Serve(ctx context.Context, rw io.ReadWriter) error {
	r := fpm.NewReader(rw)
	if err := serveloop.Run(ctx, rw, r.Next, m.Handle); err != nil {
		return fmt.Errorf("fpmodule: serve: %w", err)
	}
	return nil
}
