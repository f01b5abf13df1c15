package serialporttest

import (
	"os"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// PtyPair opens a pseudo-terminal for the length of the test. The test
// plays the device on master; the code under test opens slavePath
// (/dev/pts/N) like a serial port.
//
// The line is raw (cfmakeraw), so all 256 byte values pass unchanged both
// ways even before anything configures the slave. PtyPair keeps its own
// slave descriptor open, so the master does not read EIO while nothing
// else has the slave open.
//
// Unlike the master creack/pty returns, this one is non-blocking
// underneath: it honours SetReadDeadline, and Close wakes a blocked Read.
// Closing it unplugs the device: the slave is hung up and slavePath
// disappears. t.Cleanup closes both ends.
func PtyPair(t testing.TB) (master *os.File, slavePath string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("serialporttest: open pty: %v", err)
	}
	t.Cleanup(func() { tty.Close() })

	if err := makeRaw(tty); err != nil {
		ptmx.Close()
		t.Fatalf("serialporttest: raw mode on %s: %v", tty.Name(), err)
	}
	master, err = pollable(ptmx)
	if err != nil {
		t.Fatalf("serialporttest: pty master: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	return master, tty.Name()
}

// makeRaw does what cfmakeraw(3) does: no input or output processing, no
// echo, no signals, no canonical lines, 8 bits, no parity.
func makeRaw(f *os.File) error {
	fd := int(f.Fd())
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP |
		unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// pollable replaces f, which creack/pty left in blocking mode (its Fd call
// does that), with a non-blocking duplicate that Go's poller serves. A
// blocking read on a pty master ignores deadlines, and Close cannot
// release it, so a reader goroutine would leak.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}
