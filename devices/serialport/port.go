package serialport

import (
	"errors"
	"io"
)

// Port is what a driver needs from a serial line. A pty, an io.Pipe (or
// net.Pipe) and a real UART all satisfy it; drivers accept a Port so their
// tests can use a pipe.
type Port interface {
	io.ReadWriteCloser
}

var (
	// ErrClosed is returned by Read and Write after Close, like
	// io.ErrClosedPipe for a pipe.
	ErrClosed = errors.New("serialport: port closed")

	// ErrGone means the device went away: unplugged, its pty master closed,
	// or its tty hung up. The port is useless; close it and open again.
	ErrGone = errors.New("serialport: device gone")
)
