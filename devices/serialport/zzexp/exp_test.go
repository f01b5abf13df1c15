package zzexp

import (
	"os"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/tarm/serial"
	"golang.org/x/sys/unix"
)

func TestExp(t *testing.T) {
	m, s, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	path := s.Name()
	p, err := serial.OpenPort(&serial.Config{Name: path, Baud: 9600, ReadTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	st := time.Now()
	n, err := p.Read(buf)
	t.Logf("idle read: %d %v after %v", n, err, time.Since(st))
	m.Write([]byte{0x03, 0x0d, 0x0a, 0x7f})
	n, err = p.Read(buf)
	t.Logf("data read: %x %v", buf[:n], err)
	m.Close()
	_, serr := os.Stat(path)
	t.Logf("stat after master close: %v", serr)
	st = time.Now()
	n, err = p.Read(buf)
	t.Logf("read after master close: %d %#v %v after %v", n, err, err, time.Since(st))
	n, err = p.Write([]byte("x"))
	t.Logf("write after master close: %d %#v %v", n, err, err)
	s.Close()
	p.Close()

	// hangup
	m, s, _ = pty.Open()
	path = s.Name()
	p, _ = serial.OpenPort(&serial.Config{Name: path, Baud: 9600, ReadTimeout: 100 * time.Millisecond})
	err = unix.IoctlSetInt(int(s.Fd()), unix.TIOCVHANGUP, 0)
	t.Logf("vhangup: %v", err)
	for i := 0; i < 3; i++ {
		st = time.Now()
		n, err = p.Read(buf)
		t.Logf("read after hangup: %d %v after %v", n, err, time.Since(st))
	}
	n, err = p.Write([]byte("x"))
	t.Logf("write after hangup: %d %v", n, err)
	_, serr = os.Stat(path)
	t.Logf("stat after hangup: %v", serr)
	p.Close()
	m.Close()
	s.Close()
}
