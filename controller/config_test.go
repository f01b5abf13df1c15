package controller

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goodConfig = `
buses:
  - name: gate
    device: tty-gate
    pds:
      - name: r1
        address: 101
        scbk: 0102030405060708090a0b0c0d0e0f10
doors:
  - name: main
    readers: [{ pd: r1 }]
    lock: { pd: r1, output: 0 }
`

func TestParseConfigDefaults(t *testing.T) {
	c, err := ParseConfig([]byte(goodConfig), "/etc/menwei")
	require.NoError(t, err)
	assert.Equal(t, "/etc/menwei/data", c.DataDir)
	assert.Equal(t, "/etc/menwei/data/store", c.Store.Dir)
	assert.Equal(t, "127.0.0.1:8080", c.HTTP.Listen)
	assert.Equal(t, "/etc/menwei/tty-gate", c.Buses[0].Device)
	assert.Equal(t, 9600, c.Buses[0].Baud)
	assert.Equal(t, 3*time.Second, c.Doors[0].Pulse)
	assert.Len(t, c.Buses[0].PDs[0].Key(), 16)
}

func TestParseConfigErrorsNameTheField(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.key"), []byte("xyz\n"), 0o600))
	tests := []struct {
		name, edit, want string
	}{
		{"unknown field", "buses:\n  - name: gate\n    devise: x\n", "field devise not found"},
		{"no buses", "doors: []\n", "buses: at least one bus"},
		{"bad baud", strings.Replace(goodConfig, "device: tty-gate", "device: tty-gate\n    baud: 12345", 1), "buses[0].baud: 12345"},
		{"no address", strings.Replace(goodConfig, "address: 101", "", 1), "buses[0].pds[0].address: required"},
		{"address range", strings.Replace(goodConfig, "address: 101", "address: 127", 1), "buses[0].pds[0].address: 127 out of range"},
		{"short key", strings.Replace(goodConfig, "0102030405060708090a0b0c0d0e0f10", "0102", 1), "buses[0].pds[0].scbk: must be 32 hex digits"},
		{"key file bad", strings.Replace(goodConfig, "scbk: 0102030405060708090a0b0c0d0e0f10", "scbk_file: bad.key", 1), "buses[0].pds[0].scbk: must be 32 hex"},
		{"key file missing", strings.Replace(goodConfig, "scbk: 0102030405060708090a0b0c0d0e0f10", "scbk_file: none.key", 1), "buses[0].pds[0].scbk_file:"},
		{"install without key", strings.Replace(goodConfig, "scbk: 0102030405060708090a0b0c0d0e0f10", "install: true", 1), "buses[0].pds[0].install"},
		{"door pd", strings.Replace(goodConfig, "lock: { pd: r1", "lock: { pd: r9", 1), `doors[0].lock.pd: no pd named "r9"`},
		{"pulse", strings.Replace(goodConfig, "output: 0 }", "output: 0 }\n    pulse: 1ms", 1), "doors[0].pulse"},
		{"wrong type", strings.Replace(goodConfig, "address: 101", "address: abc", 1), "cannot unmarshal"},
		{"duplicate pd", strings.Replace(goodConfig, "doors:", "  - name: b2\n    device: x\n    pds:\n      - name: r1\n        address: 1\ndoors:", 1), `buses[1].pds[0].name: "r1" used twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.edit), dir)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// Which face modes, capture sizes and rates work: a JPEG capture must cross
// the line within the reassembly window; descriptors work at every rate.
func TestParseConfigFaceTerminalFitsItsLine(t *testing.T) {
	withPD := func(baud int, pd string) string {
		c := strings.Replace(goodConfig, "device: tty-gate", "device: tty-gate\n    baud: "+strconv.Itoa(baud), 1)
		return strings.Replace(c, "scbk: 0102030405060708090a0b0c0d0e0f10", "scbk: 0102030405060708090a0b0c0d0e0f10\n        "+pd, 1)
	}
	for _, tt := range []struct {
		baud int
		pd   string
		want string // "" = accepted
	}{
		{9600, "face: descriptor", ""},
		{1200, "face: descriptor", ""},
		{9600, "face: jpeg", ""}, // 6 KiB default
		{9600, "{face: jpeg, face_max_bytes: 37000}", "buses[0].pds[0].face_max_bytes: a 37000-byte JPEG capture takes 41.2s on a 9600-baud line"},
		{115200, "{face: jpeg, face_max_bytes: 37000}", ""},
		{1200, "face: jpeg", "at 1200 baud JPEG captures up to 891 bytes work"},
		{9600, "face: png", `buses[0].pds[0].face: "png": descriptor or jpeg`},
		{9600, "face_max_bytes: 100", "buses[0].pds[0].face_max_bytes: only for face: jpeg"},
	} {
		pd := tt.pd
		if strings.HasPrefix(pd, "{") { // flow style: spell the keys out
			pd = strings.NewReplacer("{", "", "}", "", ", ", "\n        ").Replace(pd)
		}
		_, err := ParseConfig([]byte(withPD(tt.baud, pd)), t.TempDir())
		if tt.want == "" {
			assert.NoError(t, err, "%d baud, %s", tt.baud, tt.pd)
			continue
		}
		require.Error(t, err, "%d baud, %s", tt.baud, tt.pd)
		assert.Contains(t, err.Error(), tt.want)
	}
}
