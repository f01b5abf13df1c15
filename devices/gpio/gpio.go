package gpio

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// Consumer is the label the kernel shows for lines menwei holds (gpioinfo).
const Consumer = "menwei"

// MaxOffset is the highest line offset a chip can have (gpio_chip.ngpio
// is 16 bits).
const MaxOffset = 1<<16 - 1

// MaxDebounce bounds an input's debounce period.
const MaxDebounce = time.Second

// Line names one line of a GPIO chip and how it is wired.
type Line struct {
	// Chip is the chip's name under /dev (gpiochip0) or an absolute path
	// to its character device.
	Chip string
	// Offset is the line's number on the chip (not a header pin number).
	Offset int
	// ActiveLow: the line is active when its level is low.
	ActiveLow bool
	// Debounce is an input's debounce period; 0 = none. At most MaxDebounce.
	Debounce time.Duration
}

// Path is the chip's character device.
func (l Line) Path() string {
	if filepath.IsAbs(l.Chip) {
		return l.Chip
	}
	return "/dev/" + l.Chip
}

// String names the line as errors and events do: "gpiochip0 line 17".
func (l Line) String() string { return fmt.Sprintf("%s line %d", l.Chip, l.Offset) }

func (l Line) validate(input bool) error {
	switch {
	case l.Chip == "":
		return errors.New("no chip")
	case l.Offset < 0 || l.Offset > MaxOffset:
		return fmt.Errorf("line %d out of range", l.Offset)
	case l.Debounce < 0 || l.Debounce > MaxDebounce:
		return fmt.Errorf("debounce %v out of range 0…%v", l.Debounce, MaxDebounce)
	case !input && l.Debounce != 0:
		return errors.New("debounce is for inputs")
	}
	return nil
}

// Output is a line driving something: a lock's relay. Active is released.
type Output interface {
	// Set drives the line active or inactive; an error means the line may
	// not be at that level.
	Set(active bool) error
	// Close releases the line. Idempotent.
	Close() error
}

// Input is a line reporting something: a door contact, a REX button, a fire
// alarm contact. Active is open, pressed, in alarm.
type Input interface {
	// Initial is the level read when the line was opened.
	Initial() bool
	// Changes delivers each debounced change after Initial, strictly
	// alternating; it is closed when the line is closed or fails (Err).
	Changes() <-chan bool
	// Err is why Changes was closed (nil after Close).
	Err() error
	// Close releases the line and closes Changes. Idempotent.
	Close() error
}

// Opener opens lines: Chardev on a box, gpiotest.Bank in tests.
type Opener interface {
	OpenOutput(Line) (Output, error)
	OpenInput(Line) (Input, error)
}

// ErrClosed is returned by Set on a closed line.
var ErrClosed = errors.New("gpio: line closed")

// LineError is a failure at one line, naming the chip and the line.
type LineError struct {
	Line Line
	Op   string // "open", "request", "read", "set"
	Err  error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("gpio: %s: %s: %v%s", e.Line, e.Op, e.Err, hint(e.Err))
}

func (e *LineError) Unwrap() error { return e.Err }
