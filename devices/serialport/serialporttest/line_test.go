package serialporttest_test

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/serialport/serialporttest"
)

func TestLineCarriesEveryByteInOrder(t *testing.T) {
	a, b := serialporttest.NewLine(115200)
	defer a.Close()
	_, err := a.Write(allBytes())
	require.NoError(t, err)
	_, err = a.Write([]byte{1, 2, 3})
	require.NoError(t, err)
	got := make([]byte, 259)
	_, err = io.ReadFull(b, got)
	require.NoError(t, err)
	assert.Equal(t, append(allBytes(), 1, 2, 3), got)
	assert.Zero(t, a.Collisions(), "one end's writes queue, they do not collide")
	assert.Len(t, a.Writes(), 2)
}

func TestLineHalfDuplexCollision(t *testing.T) {
	a, b := serialporttest.NewLine(1200) // 100 bytes: most of a second on the wire
	defer a.Close()
	msg := make([]byte, 100)
	_, err := a.Write(msg)
	require.NoError(t, err)
	_, err = b.Write(msg) // b talks while a is still sending
	require.NoError(t, err)
	assert.Equal(t, 1, a.Collisions())
	got := make([]byte, 100)
	_, err = io.ReadFull(a, got)
	require.NoError(t, err)
	assert.NotEqual(t, msg, got, "b's bytes arrive corrupted")
}

func TestLineCloseWakesReader(t *testing.T) {
	a, b := serialporttest.NewLine(9600)
	done := make(chan error)
	go func() {
		_, err := b.Read(make([]byte, 1))
		done <- err
	}()
	require.NoError(t, a.Close())
	assert.ErrorIs(t, <-done, io.EOF)
}

// The line is never faster than the wire: a byte is read no sooner than
// its last bit has arrived, 10 bit times per byte after the one before.
// (How soon after is for the benchmarks to see.)
func TestLineNeverDeliversEarly(t *testing.T) {
	const baud = 115200
	byteTime := 10 * time.Second / baud
	a, b := serialporttest.NewLine(baud)
	defer a.Close()
	start := time.Now()
	_, err := a.Write(allBytes())
	require.NoError(t, err)
	n := 0
	for n < 256 {
		got := make([]byte, 256)
		k, err := b.Read(got)
		require.NoError(t, err)
		n += k
		assert.GreaterOrEqual(t, time.Since(start), time.Duration(n)*byteTime, "%d bytes read", n)
	}
}
