package fpm_test

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"menwei/devices/fpm"
	"menwei/devices/serialport"
)

// Enrol a finger at page 5: two captures, merged, stored.
func ExampleModule() {
	port, err := serialport.Open(serialport.Config{Device: "/dev/ttyUSB0", Baud: 57600})
	if err != nil {
		slog.Error("open fingerprint module", "err", err)
		return
	}
	m, err := fpm.New(fpm.Config{Port: port, Timeout: time.Second})
	if err != nil {
		port.Close()
		return
	}
	defer m.Close()

	ctx := context.Background()
	if _, err := m.Handshake(ctx); err != nil {
		slog.Warn("fingerprint module not answering", "err", err)
		return
	}
	for _, buf := range []fpm.Buffer{fpm.CharBuffer1, fpm.CharBuffer2} {
		for {
			err := m.Capture(ctx)
			if errors.Is(err, fpm.ErrNoFinger) { // poll the sensor
				select {
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			if err != nil {
				return
			}
			break
		}
		if err := m.ToBuffer(ctx, buf); err != nil {
			return // fpm.ErrBadImage: ask for the finger again
		}
	}
	if err := m.Merge(ctx); err != nil {
		return // fpm.ErrMergeFailed: two different fingers
	}
	if err := m.Store(ctx, fpm.CharBuffer1, 5); err != nil {
		return
	}
}
