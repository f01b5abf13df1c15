package serialport_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"menwei/devices/serialport"
	"menwei/devices/serialport/serialporttest"
)

// openPty opens the slave of a new pty through Open and returns the master
// that plays the device.
func openPty(t *testing.T) (master *os.File, path string, s *serialport.Serial) {
	t.Helper()
	master, path = serialporttest.PtyPair(t)
	s, err := serialport.Open(serialport.Config{Device: path})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return master, path, s
}

func TestSerialPassesBytesUnchanged(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
	}{
		{"text", []byte("hello")},
		{"one byte", []byte{0x53}},
		{"all byte values", allBytes()},
		{"line and flow control bytes", []byte{0x0d, 0x0a, 0x03, 0x11, 0x13, 0x7f, 0x00, 0x1a, 0x04, 0x1c}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/device to port", func(t *testing.T) {
			master, _, s := openPty(t)
			_, err := master.Write(tt.payload)
			require.NoError(t, err)
			assert.Equal(t, tt.payload, readN(t, s, len(tt.payload)))
		})
		t.Run(tt.name+"/port to device", func(t *testing.T) {
			master, _, s := openPty(t)
			n, err := s.Write(tt.payload)
			require.NoError(t, err)
			assert.Equal(t, len(tt.payload), n)
			assert.Equal(t, tt.payload, readMaster(t, master, len(tt.payload)))
		})
	}
}

func TestSerialReadWaitsAcrossTimeouts(t *testing.T) {
	master, _, s := openPty(t)
	got := readLater(s, 1)
	// Several of tarm's 100 ms (0, io.EOF) timeouts pass; Read must not
	// return any of them. Noise can only make this wait longer.
	select {
	case res := <-got:
		t.Fatalf("Read returned (%q, %v) with nothing sent", res.b, res.err)
	case <-time.After(500 * time.Millisecond):
	}
	_, err := master.Write([]byte{0x7e})
	require.NoError(t, err)
	assert.Equal(t, []byte{0x7e}, receive(t, got))
}

func TestSerialEmptyRead(t *testing.T) {
	_, _, s := openPty(t)
	n, err := s.Read(nil)
	assert.Equal(t, 0, n)
	assert.NoError(t, err)
}

func TestSerialCloseWakesRead(t *testing.T) {
	_, _, s := openPty(t)
	errc := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 1))
		errc <- err
	}()
	time.Sleep(150 * time.Millisecond) // let Read block; passes either way
	require.NoError(t, s.Close())
	select {
	case err := <-errc:
		assert.ErrorIs(t, err, serialport.ErrClosed)
	case <-time.After(patience):
		t.Fatal("Read still blocked after Close")
	}
}

func TestSerialAfterClose(t *testing.T) {
	_, _, s := openPty(t)
	require.NoError(t, s.Close())
	assert.NoError(t, s.Close(), "second Close")

	_, err := s.Read(make([]byte, 1))
	assert.ErrorIs(t, err, serialport.ErrClosed)
	_, err = s.Write([]byte{1})
	assert.ErrorIs(t, err, serialport.ErrClosed)
	assert.EqualError(t, serialport.ErrClosed, "serialport: port closed")
}

func TestSerialDeviceGone(t *testing.T) {
	read := func(s *serialport.Serial) error {
		_, err := s.Read(make([]byte, 1))
		return err
	}
	write := func(s *serialport.Serial) error {
		_, err := s.Write([]byte{0x53})
		return err
	}
	tests := []struct {
		name    string
		op      func(*serialport.Serial) error
		blocked bool // start op before the device goes
		wantMsg string
	}{
		{"read after", read, false, "serialport: read %s: serialport: device gone"},
		{"read blocked", read, true, "serialport: read %s: serialport: device gone"},
		{"write after", write, false, "serialport: write %s: serialport: device gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			master, path, s := openPty(t)
			errc := make(chan error, 1)
			start := func() { go func() { errc <- tt.op(s) }() }
			if tt.blocked {
				start()
				time.Sleep(150 * time.Millisecond) // passes either way
			}
			require.NoError(t, master.Close()) // unplug
			if !tt.blocked {
				start()
			}
			var err error
			select {
			case err = <-errc:
			case <-time.After(patience):
				t.Fatal("still blocked after the device went away")
			}
			assert.ErrorIs(t, err, serialport.ErrGone)
			assert.EqualError(t, err, strings.ReplaceAll(tt.wantMsg, "%s", path))
		})
	}
}

func TestSerialHungUp(t *testing.T) {
	// A hung-up tty whose node stays: its reads return (0, io.EOF) at once.
	_, path, s := openPty(t)
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	defer f.Close()
	conn, err := f.SyscallConn()
	require.NoError(t, err)
	var herr error
	require.NoError(t, conn.Control(func(fd uintptr) {
		herr = unix.IoctlSetInt(int(fd), unix.TIOCVHANGUP, 0)
	}))
	if errors.Is(herr, syscall.EPERM) {
		t.Skip("TIOCVHANGUP needs CAP_SYS_ADMIN")
	}
	require.NoError(t, herr)
	_, err = os.Stat(path)
	require.NoError(t, err, "the node should stay")

	err = within(t, "read on a hung-up tty", func() error {
		_, err := s.Read(make([]byte, 1))
		return err
	})
	assert.ErrorIs(t, err, serialport.ErrGone)
	assert.Contains(t, err.Error(), "hung up")

	_, err = s.Write([]byte{1})
	assert.ErrorIs(t, err, serialport.ErrGone)
}

func TestSerialNodeRemovedOrReplaced(t *testing.T) {
	// /dev/serial/by-id links disappear on unplug and point at a new node
	// on replug, while the old descriptor still looks alive.
	tests := []struct {
		name   string
		change func(t *testing.T, link string)
	}{
		{"removed", func(t *testing.T, link string) {
			require.NoError(t, os.Remove(link))
		}},
		{"replaced", func(t *testing.T, link string) {
			_, other := serialporttest.PtyPair(t)
			require.NoError(t, os.Remove(link))
			require.NoError(t, os.Symlink(other, link))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, path := serialporttest.PtyPair(t)
			link := filepath.Join(t.TempDir(), "usb-FTDI_FT232R-if00-port0")
			require.NoError(t, os.Symlink(path, link))
			s, err := serialport.Open(serialport.Config{Device: link})
			require.NoError(t, err)
			defer s.Close()

			tt.change(t, link)
			err = within(t, "read", func() error {
				_, err := s.Read(make([]byte, 1))
				return err
			})
			assert.ErrorIs(t, err, serialport.ErrGone)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	notTTY := filepath.Join(t.TempDir(), "regular")
	require.NoError(t, os.WriteFile(notTTY, nil, 0o600))

	tests := []struct {
		name    string
		cfg     serialport.Config
		wantIs  error
		wantMsg string
	}{
		{"invalid config", serialport.Config{Device: "/dev/null", Baud: 12345}, nil,
			"serialport: baud 12345: not a standard rate (1200…230400)"},
		{"missing device", serialport.Config{Device: "/dev/nonexistent-tty"}, fs.ErrNotExist,
			"serialport: open /dev/nonexistent-tty: no such file or directory"},
		{"not a tty", serialport.Config{Device: notTTY}, syscall.ENOTTY,
			"serialport: open " + notTTY + ": inappropriate ioctl for device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := serialport.Open(tt.cfg)
			assert.Nil(t, s)
			assert.EqualError(t, err, tt.wantMsg)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
		})
	}
}
