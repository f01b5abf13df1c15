package serialport_test

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// patience is how long a test waits for something that should happen
// promptly. It is generous: machines are noisy.
const patience = 2 * time.Second

// within runs f on another goroutine and returns its result, failing the
// test if f has not returned within patience.
func within[T any](t *testing.T, what string, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(patience):
		t.Fatalf("%s: still blocked after %v", what, patience)
		var zero T
		return zero
	}
}

// readN reads exactly n bytes from r, which need not support deadlines.
func readN(t *testing.T, r io.Reader, n int) []byte {
	t.Helper()
	return receive(t, readLater(r, n))
}

// readLater starts reading exactly n bytes from r on another goroutine;
// receive collects them. The goroutine ends when r fails, so closing r
// ends it if the test gives up first.
func readLater(r io.Reader, n int) <-chan readResult {
	got := make(chan readResult, 1)
	go func() {
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		got <- readResult{b, err}
	}()
	return got
}

type readResult struct {
	b   []byte
	err error
}

// receive waits for the bytes readLater read.
func receive(t *testing.T, got <-chan readResult) []byte {
	t.Helper()
	select {
	case res := <-got:
		require.NoError(t, res.err)
		return res.b
	case <-time.After(patience):
		t.Fatalf("read: still blocked after %v", patience)
		return nil
	}
}

// readMaster reads exactly n bytes from a pty master.
func readMaster(t *testing.T, master *os.File, n int) []byte {
	t.Helper()
	require.NoError(t, master.SetReadDeadline(time.Now().Add(patience)))
	b := make([]byte, n)
	_, err := io.ReadFull(master, b)
	require.NoError(t, err)
	return b
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
