package serialporttest_test

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"menwei/devices/serialport/serialporttest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// allBytes is 0x00..0xFF, including the bytes a cooked tty would eat or
// rewrite: ^C, CR, LF, XON, XOFF, DEL.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// readFull reads len(want) bytes from f, failing the test after 2 s.
func readFull(t *testing.T, f *os.File, n int) []byte {
	t.Helper()
	require.NoError(t, f.SetReadDeadline(time.Now().Add(2*time.Second)))
	got := make([]byte, n)
	_, err := io.ReadFull(f, got)
	require.NoError(t, err)
	return got
}

func TestPtyPairIsRaw(t *testing.T) {
	master, path := serialporttest.PtyPair(t)
	slave, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	defer slave.Close()

	tests := []struct {
		name     string
		from, to *os.File
	}{
		{"master to slave", master, slave},
		{"slave to master", slave, master},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.from.Write(allBytes())
			require.NoError(t, err)
			assert.Equal(t, allBytes(), readFull(t, tt.to, 256))
		})
	}
}

func TestPtyPairMasterHonoursDeadline(t *testing.T) {
	master, _ := serialporttest.PtyPair(t)
	require.NoError(t, master.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
	_, err := master.Read(make([]byte, 1))
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
}

func TestPtyPairCloseWakesMasterReader(t *testing.T) {
	master, _ := serialporttest.PtyPair(t)
	done := make(chan error)
	go func() {
		_, err := master.Read(make([]byte, 1))
		done <- err
	}()
	require.NoError(t, master.Close())
	select {
	case err := <-done:
		assert.ErrorIs(t, err, os.ErrClosed)
	case <-time.After(2 * time.Second):
		t.Fatal("Read on the master still blocked after Close")
	}
}

func TestPtyPairCloseRemovesSlave(t *testing.T) {
	master, path := serialporttest.PtyPair(t)
	_, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, master.Close())
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist)
}
