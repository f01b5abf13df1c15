package gpio

import (
	"errors"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Chardev opens lines of the Linux GPIO character device (/dev/gpiochip*).
type Chardev struct{}

var _ Opener = Chardev{}

// OpenOutput requests l as an output, inactive.
func (Chardev) OpenOutput(l Line) (Output, error) { return OpenOutput(l) }

// OpenInput requests l as an input with edge events.
func (Chardev) OpenInput(l Line) (Input, error) { return OpenInput(l) }

// requestLine asks l's chip for the line and returns the line's fd.
func requestLine(l Line, output bool) (int, error) {
	if err := l.validate(!output); err != nil {
		return -1, &LineError{Line: l, Op: "open", Err: err}
	}
	chip, err := unix.Open(l.Path(), unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, &LineError{Line: l, Op: "open " + l.Path(), Err: err}
	}
	defer unix.Close(chip)
	req := newRequest(l, output)
	if err := ioctl(chip, ioctlGetLine, unsafe.Pointer(&req)); err != nil {
		return -1, &LineError{Line: l, Op: "request", Err: err}
	}
	return int(req.fd), nil
}

func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if errno != 0 {
		return errno
	}
	return nil
}

func getValue(fd int) (bool, error) {
	v := lineValues{mask: 1}
	if err := ioctl(fd, ioctlGetValues, unsafe.Pointer(&v)); err != nil {
		return false, err
	}
	return v.bits&1 != 0, nil
}

// hint says what usually causes an error at a line.
func hint(err error) string {
	switch {
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return " (the user needs read-write access to the chip: the gpio group or a udev rule, see docs/config.md)"
	case errors.Is(err, unix.EBUSY):
		return " (the line is held by another program or driver: gpioinfo shows which)"
	case errors.Is(err, unix.ENOTTY):
		return " (not a GPIO character device)"
	case errors.Is(err, unix.EINVAL):
		return " (no such line on the chip, or the chip cannot do what was asked: gpioinfo lists its lines)"
	case errors.Is(err, unix.ENOENT):
		return " (no such chip: gpiodetect lists them)"
	}
	return ""
}

// ChipOutput is a line of the character device held as an output.
type ChipOutput struct {
	line Line
	mu   sync.Mutex
	fd   int // -1 once closed
}

var _ Output = (*ChipOutput)(nil)

// OpenOutput requests l as an output whose level is inactive from the
// request on.
func OpenOutput(l Line) (*ChipOutput, error) {
	fd, err := requestLine(l, true)
	if err != nil {
		return nil, err
	}
	return &ChipOutput{line: l, fd: fd}, nil
}

// Set drives the line (GPIO_V2_LINE_SET_VALUES_IOCTL).
func (o *ChipOutput) Set(active bool) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fd < 0 {
		return &LineError{Line: o.line, Op: "set", Err: ErrClosed}
	}
	v := lineValues{mask: 1}
	if active {
		v.bits = 1
	}
	if err := ioctl(o.fd, ioctlSetValues, unsafe.Pointer(&v)); err != nil {
		return &LineError{Line: o.line, Op: "set", Err: err}
	}
	return nil
}

// Close releases the line; the chip's driver decides its level afterwards.
func (o *ChipOutput) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fd < 0 {
		return nil
	}
	err := unix.Close(o.fd)
	o.fd = -1
	return err
}

// ChipInput is a line of the character device held as an input. Its reader
// goroutine, started by OpenInput and stopped by Close, turns the kernel's
// edge events into Changes.
type ChipInput struct {
	line    Line
	f       *os.File // non-blocking, in the runtime's poller: Close ends a Read
	initial bool
	changes chan bool
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	err     error // set by the reader before it closes changes
}

var _ Input = (*ChipInput)(nil)

// OpenInput requests l as an input with both edges, debounced by the
// kernel, reads its level and starts following its edges.
func OpenInput(l Line) (*ChipInput, error) {
	fd, err := requestLine(l, false)
	if err != nil {
		return nil, err
	}
	v, err := getValue(fd)
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		unix.Close(fd)
		return nil, &LineError{Line: l, Op: "read", Err: err}
	}
	in := &ChipInput{line: l, f: os.NewFile(uintptr(fd), l.String()), initial: v,
		changes: make(chan bool, eventBufferSize), stop: make(chan struct{}), done: make(chan struct{})}
	go in.read()
	return in, nil
}

func (in *ChipInput) Initial() bool        { return in.initial }
func (in *ChipInput) Changes() <-chan bool { return in.changes }

// Err is why Changes was closed; nil while it is open and after Close.
func (in *ChipInput) Err() error {
	select {
	case <-in.done:
		return in.err
	default:
		return nil
	}
}

// read is the line's goroutine.
func (in *ChipInput) read() {
	defer close(in.done)
	defer close(in.changes)
	buf := make([]byte, eventSize*eventBufferSize)
	last, seq := in.initial, uint32(0)
	for {
		n, err := in.f.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				in.err = &LineError{Line: in.line, Op: "read", Err: err}
			}
			return
		}
		evs, err := decodeEvents(buf[:n])
		if err != nil {
			in.err = &LineError{Line: in.line, Op: "read", Err: err}
			return
		}
		out := changes(last, evs)
		// A gap in the line's sequence numbers: the kernel dropped edges,
		// so the level is read again rather than trusted to the edges.
		dropped := false
		for _, e := range evs {
			dropped = dropped || (seq != 0 && e.seqno != seq+1)
			seq = e.seqno
		}
		if len(out) > 0 {
			last = out[len(out)-1]
		}
		if dropped {
			if v, err := in.level(); err == nil && v != last {
				out, last = append(out, v), v
			}
		}
		for _, v := range out {
			select {
			case in.changes <- v:
			case <-in.stop:
				return
			}
		}
	}
}

func (in *ChipInput) level() (bool, error) {
	var v bool
	var ierr error
	rc, err := in.f.SyscallConn()
	if err != nil {
		return false, err
	}
	if err := rc.Control(func(fd uintptr) { v, ierr = getValue(int(fd)) }); err != nil {
		return false, err
	}
	return v, ierr
}

// Close releases the line, stops the reader and waits for it.
func (in *ChipInput) Close() error {
	var err error
	in.once.Do(func() {
		close(in.stop)
		err = in.f.Close()
		<-in.done
	})
	return err
}
