package faceterm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The numbers of issue 9 item 7, from the formula: a 1,000-byte fragment's
// frame takes 1.08 s at 9600 baud, a 37 KB capture about 41 s.
func TestWireTime(t *testing.T) {
	frame := time.Duration(DefaultFragment+FragmentOverhead-15) * 10 * time.Second / 9600
	assert.InDelta(t, 1.08, frame.Seconds(), 0.02)
	assert.InDelta(t, 41, WireTime(37000, 0, 9600).Seconds(), 1)
	assert.Greater(t, WireTime(37000, 0, 9600), ReassemblyWindow, "dropped by the window")
	assert.Less(t, WireTime(37000, 0, 115200), ReassemblyWindow)
}

func TestMaxCapture(t *testing.T) {
	for _, baud := range []int{1200, 9600, 19200, 38400, 57600, 115200, 230400} {
		n := MaxCapture(baud)
		assert.LessOrEqual(t, float64(WireTime(n, 0, baud)), float64(ReassemblyWindow)*LineShare, "baud %d", baud)
		assert.Greater(t, float64(WireTime(n+1, 0, baud)), float64(ReassemblyWindow)*LineShare, "baud %d", baud)
		t.Logf("%6d baud: JPEG captures up to %6d bytes", baud, n)
	}
	assert.InDelta(t, 7100, MaxCapture(9600), 200)
}
