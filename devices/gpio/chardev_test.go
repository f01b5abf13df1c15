//go:build linux

package gpio

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Opening a line of a chip that is not there fails naming the chip and the
// line, for real (this machine has no /dev/gpiochip99).
func TestOpenMissingChip(t *testing.T) {
	chip := filepath.Join(t.TempDir(), "gpiochip99")
	_, err := OpenOutput(Line{Chip: chip, Offset: 17})
	require.Error(t, err)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), chip+" line 17")
	assert.Contains(t, err.Error(), "no such chip")
	var le *LineError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, 17, le.Line.Offset)

	_, err = Chardev{}.OpenInput(Line{Chip: "gpiochip-menwei-none", Offset: 5})
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.Contains(t, err.Error(), "gpio: gpiochip-menwei-none line 5: open /dev/gpiochip-menwei-none: ")
}

// A file that is not a GPIO chip refuses the line request (ENOTTY), for
// real, and the error says so.
func TestOpenNotAChip(t *testing.T) {
	f := filepath.Join(t.TempDir(), "not-a-chip")
	require.NoError(t, os.WriteFile(f, nil, 0o600))
	_, err := OpenInput(Line{Chip: f, Offset: 3})
	require.Error(t, err)
	assert.ErrorIs(t, err, unix.ENOTTY)
	assert.Contains(t, err.Error(), f+" line 3: request")
	assert.Contains(t, err.Error(), "not a GPIO character device")

	_, err = OpenOutput(Line{Chip: f, Offset: 3, Debounce: 1})
	assert.ErrorContains(t, err, "debounce is for inputs", "checked before the chip is touched")
}
