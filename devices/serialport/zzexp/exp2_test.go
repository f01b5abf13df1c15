package zzexp

import (
	"os"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

func TestExp2(t *testing.T) {
	m, s, _ := pty.Open()
	s.Close()
	buf := make([]byte, 10)
	n, err := m.Read(buf)
	t.Logf("master read with no slave: %d %v", n, err)
	err = m.SetReadDeadline(time.Now().Add(time.Second))
	t.Logf("setdeadline: %v", err)

	fd, _ := unix.Dup(int(m.Fd()))
	m.Close()
	unix.SetNonblock(fd, true)
	m2 := os.NewFile(uintptr(fd), "ptmx")
	s, _ = os.OpenFile(s.Name(), os.O_RDWR|unix.O_NOCTTY, 0)
	err = m2.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	st := time.Now()
	n, err = m2.Read(buf)
	t.Logf("m2 deadline read: %d %v after %v", n, err, time.Since(st))
	m2.SetReadDeadline(time.Time{})
	done := make(chan struct{})
	go func() {
		n, err := m2.Read(buf)
		t.Logf("m2 blocked read: %d %v", n, err)
		close(done)
	}()
	time.Sleep(100 * time.Millisecond)
	m2.Close()
	select {
	case <-done:
		t.Log("close woke reader")
	case <-time.After(2 * time.Second):
		t.Log("close did NOT wake reader")
	}
	s.Close()
}
