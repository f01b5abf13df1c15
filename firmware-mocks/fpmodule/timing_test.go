package fpmodule_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/fpm"
	"menwei/devices/serialport"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/fpmodule"
)

// clock is an After whose timers fire when the test says so.
type clock struct {
	asked chan time.Duration
	fire  chan time.Time
}

func newClock() *clock {
	return &clock{asked: make(chan time.Duration, 16), fire: make(chan time.Time)}
}

func (c *clock) After(d time.Duration) <-chan time.Time {
	c.asked <- d
	return c.fire
}

// busy waits for the module to start working and returns for how long.
func (c *clock) busy(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-c.asked:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("the module started no wait")
	}
	return 0
}

// servedLine starts m on a pseudo-terminal and returns the host's line and
// stop, which cancels Serve and returns what it returned (once; later calls
// return the same).
func servedLine(t *testing.T, m *fpmodule.Module) (*line, func() error) {
	t.Helper()
	master, slave := serialporttest.PtyPair(t)
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- m.Serve(ctx, master) }()
	port, err := serialport.Open(serialport.Config{Device: slave, Baud: 57600})
	require.NoError(t, err)
	l := startLine(t, port)
	stop := sync.OnceValue(func() error {
		cancel()
		return <-served
	})
	t.Cleanup(func() {
		assert.NoError(t, stop())
		_ = port.Close()
		for range l.answers {
		}
	})
	return l, stop
}

func TestServeTakesTheModulesTime(t *testing.T) {
	clk := newClock()
	tm := fpmodule.R307Timing()
	m := newModule(t, fpmodule.Config{Timing: tm, After: clk.After})
	l, _ := servedLine(t, m)

	step := func(name string, c fpm.Command, want time.Duration, code fpm.Code) {
		t.Helper()
		l.send(c)
		assert.Equal(t, want, clk.busy(t), name)
		select {
		case p := <-l.answers:
			t.Fatalf("%s: answered %v before its time", name, p)
		default:
		}
		clk.fire <- time.Time{}
		assert.Equal(t, byte(code), l.expect().Data[0], name)
	}
	step("GenImg, no finger", fpm.GenImg{}, 50*time.Millisecond, fpm.CodeNoFinger)
	m.PutFinger(7)
	step("GenImg", fpm.GenImg{}, 300*time.Millisecond, fpm.CodeOK)
	step("Img2Tz", fpm.Img2Tz{Buffer: fpm.CharBuffer1}, 200*time.Millisecond, fpm.CodeOK)
	step("Search of 300 empty pages", fpm.Search{Buffer: fpm.CharBuffer1, Count: 300}, 300*time.Millisecond, fpm.CodeNotFound)
	step("GenImg again", fpm.GenImg{}, 300*time.Millisecond, fpm.CodeOK)
	step("Img2Tz 2", fpm.Img2Tz{Buffer: fpm.CharBuffer2}, 200*time.Millisecond, fpm.CodeOK)
	step("Match", fpm.Match{}, 50*time.Millisecond, fpm.CodeOK)
	step("RegModel", fpm.RegModel{}, 100*time.Millisecond, fpm.CodeOK)
	step("Store", fpm.Store{Buffer: fpm.CharBuffer1, Page: 9}, 30*time.Millisecond, fpm.CodeOK)
	step("Search found at page 9", fpm.Search{Buffer: fpm.CharBuffer1, Count: 300}, 155*time.Millisecond, fpm.CodeOK)
	step("HighSpeedSearch found at page 9", fpm.HighSpeedSearch{Buffer: fpm.CharBuffer1, Count: 300}, 155*time.Millisecond, fpm.CodeOK)
	step("TemplateNum", fpm.TemplateNum{}, 5*time.Millisecond, fpm.CodeOK)
	step("Store to a page beyond the library", fpm.Store{Buffer: fpm.CharBuffer1, Page: 300}, 5*time.Millisecond, fpm.CodeBadPage)
	m.BadImage()
	step("GenImg spoilt", fpm.GenImg{}, 300*time.Millisecond, fpm.CodeDisorderly)
	step("Img2Tz without an image", fpm.Img2Tz{Buffer: fpm.CharBuffer1}, 5*time.Millisecond, fpm.CodeNoImage)
}

func TestZeroTimingAnswersAtOnce(t *testing.T) {
	m := newModule(t, fpmodule.Config{After: func(d time.Duration) <-chan time.Time {
		t.Errorf("waited %v", d)
		return time.After(0)
	}})
	l, _ := servedLine(t, m)
	m.PutFinger(7)
	l.send(fpm.GenImg{})
	assert.Equal(t, []byte{0}, l.expect().Data)
}

func TestServeStopsWhileBusy(t *testing.T) {
	clk := newClock()
	m := newModule(t, fpmodule.Config{Timing: fpmodule.Timing{GenImg: time.Hour}, After: clk.After})
	l, stop := servedLine(t, m)
	m.PutFinger(7)
	l.send(fpm.GenImg{})
	assert.Equal(t, time.Hour, clk.busy(t))
	require.NoError(t, stop(), "Serve ends in the middle of a wait")
}

func TestHandleNeverWaits(t *testing.T) {
	m := newModule(t, fpmodule.Config{Timing: fpmodule.Timing{GenImg: time.Hour}, After: func(time.Duration) <-chan time.Time {
		t.Error("Handle waited")
		return nil
	}})
	m.PutFinger(7)
	assert.Equal(t, fpm.CodeOK, newHost(t, m).code(fpm.GenImg{}))
}

func TestTimingValidation(t *testing.T) {
	_, err := fpmodule.New(fpmodule.Config{Timing: fpmodule.Timing{Search: -time.Millisecond}})
	assert.Error(t, err)
}
