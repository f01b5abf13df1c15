package serialport_test

import (
	"errors"
	"log/slog"
	"os"

	"menwei/devices/serialport"
)

func ExampleOpen() {
	port, err := serialport.Open(serialport.Config{Device: "/dev/ttyUSB0", Baud: 115200})
	if err != nil {
		slog.Error("open reader bus", "err", err)
		return
	}
	defer port.Close()

	buf := make([]byte, 256)
	for {
		n, err := port.Read(buf)
		if errors.Is(err, serialport.ErrGone) {
			slog.Warn("reader bus unplugged", "err", err)
			return
		}
		if err != nil {
			return // serialport.ErrClosed
		}
		os.Stdout.Write(buf[:n])
	}
}

func ExampleNewReopener() {
	log := slog.Default().With("bus", "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0")
	cfg := serialport.Config{Device: "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0", Baud: 9600}
	port := serialport.NewReopener(serialport.ReopenConfig{
		Open: func() (serialport.Port, error) { return serialport.Open(cfg) },
		OnState: func(up bool, err error) {
			if up {
				log.Info("bus up")
			} else {
				log.Warn("bus down", "err", err)
			}
		},
	})
	defer port.Close()

	// Hand port to the poll loop. A write while the adapter is unplugged
	// fails at once with an error matching serialport.ErrGone: a missed
	// reply, not a stall.
	if _, err := port.Write([]byte{0xff, 0x53}); errors.Is(err, serialport.ErrGone) {
		log.Debug("poll missed: bus down")
	}
}
