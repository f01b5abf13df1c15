package serialport

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tarm/serial"
)

// Serial is a serial device opened through tarm/serial. Read and Write may
// be called concurrently with each other and with Close.
type Serial struct {
	dev     string
	port    *serial.Port
	node    os.FileInfo   // the device node as it was at open, to notice a replacement
	timeout time.Duration // how long one read on the device may block

	closed    atomic.Bool
	closeOnce sync.Once
}

var _ Port = (*Serial)(nil)

// hangupReads is how many (0, io.EOF) reads in a row, each returning in
// under half the read timeout, mean the tty is hung up rather than idle.
// A timed-out read never returns early, so noise cannot produce one.
const hangupReads = 3

// Open validates cfg and opens the device 8N1, raw, without flow control.
func Open(cfg Config) (*Serial, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	node, err := os.Stat(cfg.Device)
	if err != nil {
		return nil, opError("open", cfg.Device, err)
	}
	p, err := serial.OpenPort(&serial.Config{
		Name:        cfg.Device,
		Baud:        cfg.Baud,
		ReadTimeout: cfg.ReadTimeout,
	})
	if err != nil {
		return nil, opError("open", cfg.Device, err)
	}
	return &Serial{dev: cfg.Device, port: p, node: node, timeout: cfg.ReadTimeout}, nil
}

// Read blocks until at least one byte arrives and returns it. After Close
// it returns ErrClosed (a Read blocked at the time returns within one
// ReadTimeout); when the device goes away it returns an error matching
// ErrGone. It never returns io.EOF, nor (0, nil) unless p is empty.
func (s *Serial) Read(p []byte) (int, error) {
	quick := 0
	for {
		if s.closed.Load() {
			return 0, ErrClosed
		}
		if len(p) == 0 {
			return 0, nil
		}
		start := time.Now()
		n, err := s.port.Read(p)
		if n > 0 {
			return n, nil
		}
		if s.closed.Load() {
			return 0, ErrClosed
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, s.ioError("read", err)
		}
		// (0, io.EOF): tarm's VTIME timeout, or a hung-up tty.
		if !s.present() {
			return 0, fmt.Errorf("serialport: read %s: %w", s.dev, ErrGone)
		}
		if time.Since(start) >= s.timeout/2 {
			quick = 0
			continue
		}
		if quick++; quick == hangupReads {
			return 0, fmt.Errorf("serialport: read %s: hung up: %w", s.dev, ErrGone)
		}
	}
}

// Write writes p. After Close it returns ErrClosed; when the device went
// away it returns an error matching ErrGone. Close does not wake a Write
// blocked on a full output buffer.
func (s *Serial) Write(p []byte) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	n, err := s.port.Write(p)
	if err != nil {
		return n, s.ioError("write", err)
	}
	return n, nil
}

// Close closes the port. It is idempotent; only the first call can return
// an error. A Read blocked at the time returns ErrClosed within one
// ReadTimeout.
func (s *Serial) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if cerr := s.port.Close(); cerr != nil {
			err = opError("close", s.dev, cerr)
		}
	})
	return err
}

// present reports whether the device node is still the one opened: an
// unplugged adapter's node is removed, and a replugged one is a new node.
// An error other than "does not exist" says nothing, so it counts as
// present.
func (s *Serial) present() bool {
	fi, err := os.Stat(s.dev)
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist)
	}
	return os.SameFile(fi, s.node)
}

// ioError turns an error from the device into ErrClosed, ErrGone or a
// wrapped error naming the operation and device.
func (s *Serial) ioError(op string, err error) error {
	switch {
	case errors.Is(err, os.ErrClosed):
		return ErrClosed
	case errors.Is(err, syscall.EIO), errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.ENODEV):
		return fmt.Errorf("serialport: %s %s: %w", op, s.dev, ErrGone)
	}
	return opError(op, s.dev, err)
}

// opError wraps err as "serialport: op dev: cause", dropping an
// *fs.PathError's own op and path so the device is not named twice.
func opError(op, dev string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("serialport: %s %s: %w", op, dev, err)
}
