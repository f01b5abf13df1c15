//go:build !linux

package gpio

import "errors"

// Chardev opens lines of the Linux GPIO character device; elsewhere every
// open fails.
type Chardev struct{}

var _ Opener = Chardev{}

var errNotLinux = errors.New("the GPIO character device is Linux only")

func (Chardev) OpenOutput(l Line) (Output, error) {
	return nil, &LineError{Line: l, Op: "open", Err: errNotLinux}
}

func (Chardev) OpenInput(l Line) (Input, error) {
	return nil, &LineError{Line: l, Op: "open", Err: errNotLinux}
}

func hint(error) string { return "" }
