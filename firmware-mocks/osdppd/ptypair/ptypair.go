package ptypair

import (
	"errors"
	"fmt"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Pair is an open pseudo-terminal.
type Pair struct {
	Master *os.File // the emulator's end; deadlines work
	Slave  *os.File // held open so the master never sees EIO when a client closes
	Path   string   // the slave device, e.g. /dev/pts/3
}

// Open opens a pair with both ends in raw mode.
func Open() (*Pair, error) {
	m, s, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("ptypair: open: %w", err)
	}
	master, err := nonBlocking(m)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	p := &Pair{Master: master, Slave: s, Path: s.Name()}
	if err := MakeRaw(s); err != nil {
		_ = p.Close()
		return nil, err
	}
	if err := MakeRaw(master); err != nil {
		_ = p.Close()
		return nil, err
	}
	return p, nil
}

// nonBlocking replaces f by a non-blocking duplicate that Go's poller
// manages, and closes f.
func nonBlocking(f *os.File) (*os.File, error) {
	defer f.Close()
	var fd int
	var derr error
	if err := control(f, func(raw int) { fd, derr = unix.Dup(raw) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, fmt.Errorf("ptypair: dup %s: %w", f.Name(), derr)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("ptypair: non-blocking %s: %w", f.Name(), err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// Close closes both ends. It is safe to call more than once.
func (p *Pair) Close() error {
	err := p.Master.Close()
	if e := p.Slave.Close(); err == nil {
		err = e
	}
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}

// MakeRaw puts a terminal in raw mode, like cfmakeraw(3): no echo, no line
// editing, no signals, no CR/LF translation, no flow control, 8 bits, reads
// return as soon as one byte is there. It keeps f's blocking mode (it does
// not call f.Fd).
func MakeRaw(f *os.File) error {
	var err error
	cerr := control(f, func(fd int) {
		var t *unix.Termios
		if t, err = unix.IoctlGetTermios(fd, unix.TCGETS); err != nil {
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF | unix.IXANY
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ECHOE | unix.ECHOK | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL
		t.Cc[unix.VMIN] = 1
		t.Cc[unix.VTIME] = 0
		err = unix.IoctlSetTermios(fd, unix.TCSETS, t)
	})
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return fmt.Errorf("ptypair: raw mode %s: %w", f.Name(), err)
	}
	return nil
}

func control(f *os.File, fn func(fd int)) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("ptypair: %s: %w", f.Name(), err)
	}
	if err := rc.Control(func(fd uintptr) { fn(int(fd)) }); err != nil {
		return fmt.Errorf("ptypair: %s: %w", f.Name(), err)
	}
	return nil
}
