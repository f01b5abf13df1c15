package controller

import (
	"context"
	"errors"
	"io"

	"menwei/controller/config"
	"menwei/controller/policy"
	"menwei/devices/osdp"
	"menwei/devices/serialport"
	"menwei/devices/wiegand"
)

// A Wiegand converter is addressed like a PD on a bus of its own.

// openConverter opens a converter's serial port, reopening it when it goes away.
func (c *Controller) openConverter(cv config.Converter) io.ReadWriteCloser {
	cfg := serialport.Config{Device: cv.Device, Baud: cv.Baud}
	log := c.log.With("converter", cv.Name, "device", cv.Device)
	return serialport.NewReopener(serialport.ReopenConfig{
		Open: func() (serialport.Port, error) { return serialport.Open(cfg) },
		OnState: func(up bool, err error) {
			c.setPort("converter/"+cv.Name, up, err)
			if up {
				log.Info("converter port open")
			} else {
				log.Warn("converter port unavailable; retrying", "err", err)
			}
		},
	})
}

// runConverter reads card reads from a converter until ctx ends.
func (c *Controller) runConverter(ctx context.Context, cv config.Converter, port io.ReadWriteCloser) {
	src := converterSource(cv.Name)
	stop := context.AfterFunc(ctx, func() { port.Close() })
	defer stop()
	defer port.Close()
	lr := wiegand.NewLineReader(port, wiegand.Framer{Framing: cv.Framing, Bits: cv.Bits})
	for {
		bits, data, err := lr.Next()
		switch {
		case errors.Is(err, wiegand.ErrFrame):
			c.badRead(ctx, src, err)
		case err != nil:
			if ctx.Err() == nil {
				c.log.Error("converter stopped", "converter", cv.Name, "err", err)
			}
			return
		default:
			c.cardRead(ctx, src, osdp.Raw{Format: osdp.RawFormatWiegand, Bits: uint16(bits), Data: data})
		}
	}
}

// badRead records a garbled read at a reader as a denial.
func (c *Controller) badRead(ctx context.Context, src source, err error) {
	d, r := c.readerAt(src, 0)
	if d == nil {
		return
	}
	c.log.Info("garbled card read", "reader", c.sourceName(src), "err", err)
	d.mu.Lock()
	defer d.mu.Unlock()
	c.conclude(ctx, d, r, Decision{Decision: policy.Decision{Reason: ReasonBadRead}, Factors: "card"})
}
