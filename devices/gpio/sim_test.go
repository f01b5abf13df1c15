//go:build linux

package gpio

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The kernel's GPIO simulator, driven through configfs
// (Documentation/admin-guide/gpio/gpio-sim.rst): a chip made for the test,
// whose inputs the test pulls up and down and whose outputs it reads in
// sysfs. See docs/config.md for how to run this on a box.
const simConfigfs = "/sys/kernel/config/gpio-sim"

type simChip struct {
	t    *testing.T
	dir  string // configfs device
	chip string // gpiochipN
	sys  string // /sys/devices/platform/<dev_name>/<chip>
}

func newSimChip(t *testing.T, lines int) *simChip {
	t.Helper()
	if _, err := os.Stat(simConfigfs); err != nil {
		t.Skipf("gpio-sim not available: %s missing (needs configfs mounted at /sys/kernel/config and the gpio-sim module: "+
			"modprobe gpio-sim, then run as root; see docs/config.md)", simConfigfs)
	}
	if os.Geteuid() != 0 {
		t.Skip("gpio-sim needs root: making a simulated chip in configfs and pulling its lines in sysfs")
	}
	s := &simChip{t: t, dir: filepath.Join(simConfigfs, fmt.Sprintf("menwei-test-%d", os.Getpid()))}
	require.NoError(t, os.Mkdir(s.dir, 0o755))
	t.Cleanup(s.remove)
	bank := filepath.Join(s.dir, "gpio-bank0")
	require.NoError(t, os.Mkdir(bank, 0o755))
	s.write(filepath.Join(bank, "num_lines"), fmt.Sprint(lines))
	s.write(filepath.Join(s.dir, "live"), "1")
	s.chip = s.read(filepath.Join(bank, "chip_name"))
	s.sys = filepath.Join("/sys/devices/platform", s.read(filepath.Join(s.dir, "dev_name")), s.chip)
	return s
}

func (s *simChip) write(path, v string) {
	s.t.Helper()
	require.NoError(s.t, os.WriteFile(path, []byte(v), 0o644))
}

func (s *simChip) read(path string) string {
	s.t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(s.t, err)
	return strings.TrimSpace(string(b))
}

func (s *simChip) remove() {
	os.WriteFile(filepath.Join(s.dir, "live"), []byte("0"), 0o644)
	os.Remove(filepath.Join(s.dir, "gpio-bank0"))
	os.Remove(s.dir)
}

// pull sets an input's physical level; value reads a line's.
func (s *simChip) pull(offset int, high bool) {
	v := "pull-down"
	if high {
		v = "pull-up"
	}
	s.write(filepath.Join(s.sys, fmt.Sprintf("sim_gpio%d", offset), "pull"), v)
}

func (s *simChip) value(offset int) string {
	return s.read(filepath.Join(s.sys, fmt.Sprintf("sim_gpio%d", offset), "value"))
}

func next(t *testing.T, in Input) bool {
	t.Helper()
	select {
	case v, ok := <-in.Changes():
		require.True(t, ok, "changes closed: %v", in.Err())
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("no change reported")
	}
	return false
}

func TestGPIOSim(t *testing.T) {
	s := newSimChip(t, 8)

	t.Run("output", func(t *testing.T) {
		o, err := OpenOutput(Line{Chip: s.chip, Offset: 0})
		require.NoError(t, err)
		defer o.Close()
		assert.Equal(t, "0", s.value(0), "inactive from the request on")
		require.NoError(t, o.Set(true))
		assert.Equal(t, "1", s.value(0))
		require.NoError(t, o.Set(false))
		assert.Equal(t, "0", s.value(0))

		_, err = OpenOutput(Line{Chip: s.chip, Offset: 0})
		assert.ErrorContains(t, err, s.chip+" line 0: request", "a line is held once")
	})

	t.Run("active_low output", func(t *testing.T) {
		o, err := OpenOutput(Line{Chip: "/dev/" + s.chip, Offset: 1, ActiveLow: true})
		require.NoError(t, err)
		defer o.Close()
		assert.Equal(t, "1", s.value(1), "inactive is high")
		require.NoError(t, o.Set(true))
		assert.Equal(t, "0", s.value(1), "active is low")
		require.NoError(t, o.Close())
		assert.ErrorIs(t, o.Set(true), ErrClosed)
	})

	t.Run("input", func(t *testing.T) {
		s.pull(2, false)
		in, err := OpenInput(Line{Chip: s.chip, Offset: 2})
		require.NoError(t, err)
		defer in.Close()
		assert.False(t, in.Initial())
		s.pull(2, true)
		assert.True(t, next(t, in))
		s.pull(2, false)
		assert.False(t, next(t, in))
	})

	t.Run("active_low input", func(t *testing.T) {
		s.pull(3, true)
		in, err := OpenInput(Line{Chip: s.chip, Offset: 3, ActiveLow: true})
		require.NoError(t, err)
		defer in.Close()
		assert.False(t, in.Initial(), "high is inactive")
		s.pull(3, false)
		assert.True(t, next(t, in), "low is active")
	})

	t.Run("debounce", func(t *testing.T) {
		const window = 200 * time.Millisecond
		s.pull(4, false)
		in, err := OpenInput(Line{Chip: s.chip, Offset: 4, Debounce: window})
		require.NoError(t, err)
		defer in.Close()
		// A contact bouncing: five edges well within the window (sysfs
		// writes take microseconds), settling high.
		for _, high := range []bool{true, false, true, false, true} {
			s.pull(4, high)
		}
		assert.True(t, next(t, in), "one change once the line settled")
		select {
		case v := <-in.Changes():
			t.Fatalf("a bounce came through: %v", v)
		case <-time.After(3 * window): // the kernel reports a settled level within one window
		}
	})

	t.Run("close ends changes", func(t *testing.T) {
		in, err := OpenInput(Line{Chip: s.chip, Offset: 5})
		require.NoError(t, err)
		require.NoError(t, in.Close())
		_, ok := <-in.Changes()
		assert.False(t, ok)
		assert.NoError(t, in.Err())
		assert.NoError(t, in.Close(), "idempotent")
	})
}
