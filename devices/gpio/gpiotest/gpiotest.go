// Package gpiotest is a fake bank of GPIO lines for tests: it opens lines
// as gpio.Chardev does, refuses what the kernel would refuse (a line held
// twice), and lets a test toggle inputs, fail an output's Set or an open,
// and read what outputs were driven to.
package gpiotest

import (
	"errors"
	"path/filepath"
	"sync"

	"menwei/devices/gpio"
)

// ErrBusy is returned when a line already held is opened again (the
// kernel says EBUSY).
var ErrBusy = errors.New("gpiotest: line busy")

// Bank is a set of fake chips. Lines are named by chip (as in gpio.Line,
// "gpiochip0" and "/dev/gpiochip0" are the same) and offset.
type Bank struct {
	mu    sync.Mutex
	lines map[key]*line
	open  map[key]bool
	fail  map[key]error // open fails
}

type key struct {
	chip   string
	offset int
}

func keyOf(chip string, offset int) key {
	if !filepath.IsAbs(chip) {
		chip = "/dev/" + chip
	}
	return key{chip, offset}
}

type line struct {
	cfg     gpio.Line
	active  bool   // the level (output: as last Set; input: as last toggled)
	sets    []bool // every Set that succeeded
	setErr  error  // Set fails with it
	changes chan bool
}

var _ gpio.Opener = (*Bank)(nil)

// New returns an empty bank: any line opens, inactive.
func New() *Bank { return &Bank{lines: map[key]*line{}, open: map[key]bool{}, fail: map[key]error{}} }

func (b *Bank) get(chip string, offset int) *line {
	k := keyOf(chip, offset)
	l := b.lines[k]
	if l == nil {
		l = &line{}
		b.lines[k] = l
	}
	return l
}

func (b *Bank) take(l gpio.Line) (*line, error) {
	k := keyOf(l.Chip, l.Offset)
	switch {
	case b.fail[k] != nil:
		return nil, &gpio.LineError{Line: l, Op: "request", Err: b.fail[k]}
	case b.open[k]:
		return nil, &gpio.LineError{Line: l, Op: "request", Err: ErrBusy}
	}
	b.open[k] = true
	ln := b.get(l.Chip, l.Offset)
	ln.cfg = l
	return ln, nil
}

// OpenOutput opens a line as an output, inactive.
func (b *Bank) OpenOutput(l gpio.Line) (gpio.Output, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ln, err := b.take(l)
	if err != nil {
		return nil, err
	}
	ln.active = false
	return &output{b: b, k: keyOf(l.Chip, l.Offset), l: ln}, nil
}

// OpenInput opens a line as an input at its current level.
func (b *Bank) OpenInput(l gpio.Line) (gpio.Input, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ln, err := b.take(l)
	if err != nil {
		return nil, err
	}
	ln.changes = make(chan bool, 64)
	return &input{b: b, k: keyOf(l.Chip, l.Offset), initial: ln.active, changes: ln.changes}, nil
}

// FailOpen makes opening the line fail with err (nil: open again).
func (b *Bank) FailOpen(chip string, offset int, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail[keyOf(chip, offset)] = err
}

// FailSet makes every Set of the line fail with err (nil: succeed again).
func (b *Bank) FailSet(chip string, offset int, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.get(chip, offset).setErr = err
}

// Toggle sets an input's level, delivering a change if it is an open input
// and the level changes (what the kernel reports after debouncing). It
// blocks once 64 changes wait unread.
func (b *Bank) Toggle(chip string, offset int, active bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ln := b.get(chip, offset)
	if ln.active == active {
		return
	}
	ln.active = active
	if ln.changes != nil {
		ln.changes <- active
	}
}

// Active is a line's level: for an output, as last Set.
func (b *Bank) Active(chip string, offset int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.get(chip, offset).active
}

// Sets is every level an output was set to, in order.
func (b *Bank) Sets(chip string, offset int) []bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]bool(nil), b.get(chip, offset).sets...)
}

// Open reports whether the line is held.
func (b *Bank) Open(chip string, offset int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open[keyOf(chip, offset)]
}

// Config is how the line was last opened.
func (b *Bank) Config(chip string, offset int) gpio.Line {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.get(chip, offset).cfg
}

type output struct {
	b      *Bank
	k      key
	l      *line
	closed bool
}

func (o *output) Set(active bool) error {
	o.b.mu.Lock()
	defer o.b.mu.Unlock()
	switch {
	case o.closed:
		return &gpio.LineError{Line: o.l.cfg, Op: "set", Err: gpio.ErrClosed}
	case o.l.setErr != nil:
		return &gpio.LineError{Line: o.l.cfg, Op: "set", Err: o.l.setErr}
	}
	o.l.active = active
	o.l.sets = append(o.l.sets, active)
	return nil
}

func (o *output) Close() error {
	o.b.mu.Lock()
	defer o.b.mu.Unlock()
	if !o.closed {
		o.closed = true
		delete(o.b.open, o.k)
	}
	return nil
}

type input struct {
	b       *Bank
	k       key
	initial bool
	changes chan bool
	closed  bool
}

func (in *input) Initial() bool        { return in.initial }
func (in *input) Changes() <-chan bool { return in.changes }
func (in *input) Err() error           { return nil }

func (in *input) Close() error {
	in.b.mu.Lock()
	defer in.b.mu.Unlock()
	if !in.closed {
		in.closed = true
		delete(in.b.open, in.k)
		if ln := in.b.lines[in.k]; ln != nil && ln.changes == in.changes {
			ln.changes = nil
		}
		close(in.changes)
	}
	return nil
}
