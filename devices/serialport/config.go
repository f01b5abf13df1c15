package serialport

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Config says which device to open and how. Zero values are the defaults.
type Config struct {
	// Device is the path of the device node: /dev/ttyUSB0,
	// /dev/serial/by-id/..., or a pty slave such as /dev/pts/3.
	Device string

	// Baud is the line rate; 0 means 9600. It must be one of the standard
	// rates 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200 or 230400.
	// A pty ignores it.
	Baud int

	// ReadTimeout is how long a single read on the device waits before Read
	// checks whether the port was closed or the device node vanished; it
	// bounds how long Close takes to wake a blocked Read. It is not a read
	// deadline: Read keeps waiting for data. 0 means 100 ms; it is rounded
	// up to a multiple of 100 ms (the termios VTIME unit) and must not
	// exceed 25.5 s.
	ReadTimeout time.Duration
}

const (
	defaultBaud    = 9600
	timeoutStep    = 100 * time.Millisecond // one VTIME unit
	maxReadTimeout = 255 * timeoutStep      // VTIME is a byte
)

// standardBauds are the rates Config accepts.
var standardBauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400}

// validate reports the first field that is out of range. Zero values are
// valid: they stand for defaults.
func (c Config) validate() error {
	switch {
	case c.Device == "":
		return errors.New("serialport: device: empty path")
	case c.Baud != 0 && !slices.Contains(standardBauds, c.Baud):
		return fmt.Errorf("serialport: baud %d: not a standard rate (1200…230400)", c.Baud)
	case c.ReadTimeout < 0:
		return fmt.Errorf("serialport: read timeout %v: negative", c.ReadTimeout)
	case c.ReadTimeout > maxReadTimeout:
		return fmt.Errorf("serialport: read timeout %v: above %v", c.ReadTimeout, maxReadTimeout)
	}
	return nil
}

// withDefaults fills in zero values and rounds ReadTimeout up to a whole
// number of VTIME units. Call it after validate.
func (c Config) withDefaults() Config {
	if c.Baud == 0 {
		c.Baud = defaultBaud
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = timeoutStep
	}
	c.ReadTimeout = (c.ReadTimeout + timeoutStep - 1) / timeoutStep * timeoutStep
	return c
}
