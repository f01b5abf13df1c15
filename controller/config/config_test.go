package config

import (
	"fmt"
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
	c, err := Parse([]byte(goodConfig), "/etc/menwei")
	require.NoError(t, err)
	assert.Equal(t, "/etc/menwei/data", c.DataDir)
	assert.Equal(t, "/etc/menwei/data/store", c.Store.Dir)
	assert.Equal(t, "127.0.0.1:8080", c.HTTP.Listen)
	assert.Equal(t, "/etc/menwei/tty-gate", c.Buses[0].Device)
	assert.Equal(t, 9600, c.Buses[0].Baud)
	assert.Equal(t, 3*time.Second, c.Doors[0].Pulse)
	assert.Len(t, c.Buses[0].PDs[0].Key(), 16)
	assert.Empty(t, c.Doors[0].DisplayName, "no display name: the pages show the name")
}

// Display names are what a person reads (Chinese, up to 64 characters);
// the names stay the keys.
func TestParseConfigDisplayNames(t *testing.T) {
	edit := strings.Replace(goodConfig, "  - name: main\n", "  - name: main\n    display_name: 东门\n", 1)
	edit = strings.Replace(edit, "address: 101", "address: 101\n        display_name: 3号楼大堂 "+strings.Repeat("门", 58), 1)
	c, err := Parse([]byte(edit), "/etc/menwei")
	require.NoError(t, err)
	assert.Equal(t, "东门", c.Doors[0].DisplayName)
	assert.Equal(t, "main", c.Doors[0].Name)
	assert.Equal(t, "3号楼大堂 "+strings.Repeat("门", 58), c.Buses[0].PDs[0].DisplayName, "64 characters, more bytes")
}

func TestParseConfigErrorsNameTheField(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.key"), []byte("xyz\n"), 0o600))
	tests := []struct {
		name, edit, want string
	}{
		{"unknown field", "buses:\n  - name: gate\n    devise: x\n", "field devise not found"},
		{"no buses", "doors: []\n", "buses: at least one bus"},
		{"memory limit", "memory_limit_mib: -5\n" + goodConfig, "memory_limit_mib: -5: must not be negative"},
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
		{"door display name control", strings.Replace(goodConfig, "  - name: main\n", "  - name: main\n    display_name: \"东门\\n\"\n", 1), "doors[0].display_name: "},
		{"door display name long", strings.Replace(goodConfig, "  - name: main\n", "  - name: main\n    display_name: "+strings.Repeat("门", 65)+"\n", 1), "doors[0].display_name: 65 characters: at most 64"},
		{"pd display name control", strings.Replace(goodConfig, "address: 101", "address: 101\n        display_name: \"a\\tb\"", 1), "buses[0].pds[0].display_name: "},
		{"duplicate pd", strings.Replace(goodConfig, "doors:", "  - name: b2\n    device: x\n    pds:\n      - name: r1\n        address: 1\ndoors:", 1), `buses[1].pds[0].name: "r1" used twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.edit), dir)
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
		_, err := Parse([]byte(withPD(tt.baud, pd)), t.TempDir())
		if tt.want == "" {
			assert.NoError(t, err, "%d baud, %s", tt.baud, tt.pd)
			continue
		}
		require.Error(t, err, "%d baud, %s", tt.baud, tt.pd)
		assert.Contains(t, err.Error(), tt.want)
	}
}

// Every configuration error names the field path, says what form the value
// takes, and gives the line. goodConfig's lines: 2 buses, 3 - name: gate,
// 4 device, 5 pds, 6 - name: r1, 7 address, 8 scbk, 9 doors, 10 - name:
// main, 11 readers, 12 lock; an edit inserts lines after them.
func TestParseConfigErrorsSayFieldFormAndLine(t *testing.T) {
	afterDevice := func(s string) string {
		return strings.Replace(goodConfig, "device: tty-gate", "device: tty-gate\n    "+s, 1)
	}
	afterLock := func(s string) string { return strings.Replace(goodConfig, "output: 0 }", "output: 0 }\n    "+s, 1) }
	for _, tt := range []struct {
		name, config, field, form string
		line                      int
	}{
		{"word for a number", afterDevice("baud: fast"), "buses[0].baud", "a whole number", 5},
		{"word for a duration", afterDevice("poll_interval: fast"), "buses[0].poll_interval", "a duration such as 3s or 500ms", 5},
		{"duration in words", afterLock("pulse: 3 seconds"), "doors[0].pulse", "a duration such as 3s or 500ms", 13},
		{"duration without unit", afterLock("pulse: 3"), "doors[0].pulse", "a duration such as 3s or 500ms", 13},
		{"negative duration", afterDevice("reply_timeout: -5ms"), "buses[0].reply_timeout", "a duration such as 200ms", 5},
		{"idle poll gap above the poll interval", afterDevice("idle_poll_gap: 80ms"), "buses[0].idle_poll_gap", "from 1ms to the poll interval 50ms (0 = 10ms)", 5},
		{"pulse out of range", afterLock("pulse: 1ms"), "doors[0].pulse", "a duration such as 3s", 13},
		{"word for a bool", afterLock("fail_safe: maybe"), "doors[0].fail_safe", "true or false", 13},
		{"word for an address", strings.Replace(goodConfig, "address: 101", "address: abc", 1), "buses[0].pds[0].address", "a whole number", 7},
		{"list for an address", strings.Replace(goodConfig, "address: 101", "address: [1]", 1), "buses[0].pds[0].address", "a whole number expected, not a list", 7},
		{"missing address", strings.Replace(goodConfig, "address: 101", "checksum: false", 1), "buses[0].pds[0].address", "required: a whole number 0…126", 6},
		{"text for a list", afterLock("policy: { factors: card }"), "doors[0].policy.factors", "a list expected", 13},
		{"unknown factor", afterLock("policy: { factors: [card+iris] }"), "doors[0].policy.factors", "factors are card, pin, face, finger, phone and code", 13},
		{"scalar for a mapping", strings.Replace(goodConfig, "lock: { pd: r1, output: 0 }", "lock: r1", 1), "doors[0].lock", "a set of fields (name: value) expected", 12},
		{"unknown field", afterDevice("speed: 9600"), "buses[0].speed", "the fields in buses[0] are name, device, baud, poll_interval, idle_poll_gap, reply_timeout, pds", 5},
		{"negative count", "events: { max_count: -1 }\n" + goodConfig, "events.max_count", "a whole number, 0 or more", 1},
		{"negative opens", "http: { opens_per_minute: -1 }\n" + goodConfig, "http.opens_per_minute", "must not be negative (a whole number of opens a minute per phone", 1},
		{"word for opens", "http: { opens_per_minute: many }\n" + goodConfig, "http.opens_per_minute", "a whole number", 1},
		{"word for a float", goodConfig + "face: { threshold: high }\n", "face.threshold", "a number such as 0.5", 13},
		{"bad time zone", goodConfig + "timezone: Mars/Olympus\n", "timezone", "a name such as Asia/Shanghai", 13},
		{"short retention", goodConfig + "events:\n  max_age: 10m\n", "events.max_age", "a duration such as 8760h", 14},
		{"alert count", goodConfig + "alerts:\n  wrong_pin: { count: -1 }\n", "alerts.wrong_pin.count", "a whole number, at least 1", 14},
		{"door pd", strings.Replace(goodConfig, "lock: { pd: r1", "lock: { pd: r9", 1), "doors[0].lock.pd", `no pd named "r9"`, 12},
		{"given twice", afterLock("readers: []"), "doors[0].readers", "given twice (first on line 11)", 13},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.config), t.TempDir())
			require.Error(t, err)
			var ce *FieldError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field)
			assert.Equal(t, tt.line, ce.Line)
			assert.Contains(t, err.Error(), fmt.Sprintf("line %d: %s: ", tt.line, tt.field))
			assert.Contains(t, err.Error(), tt.form)
			assert.NotContains(t, err.Error(), "!!str", "no YAML tags in place of words")
		})
	}
	// A YAML syntax error has the line too.
	_, err := Parse([]byte("buses:\n  - name: a\n    device: [b\n"), t.TempDir())
	var ce *FieldError
	require.ErrorAs(t, err, &ce)
	assert.Positive(t, ce.Line)
	assert.Contains(t, err.Error(), "not valid YAML")
}

// A door that only a face or a finger opens must name a way in without a
// biometric; the message names the door. The alternative itself is not
// biometric and uses a reader the door has, and it is accepted as one
// more combination.
func TestEveryDoorHasAWayInWithoutABiometric(t *testing.T) {
	withPolicy := func(policy string) string {
		return strings.Replace(goodConfig, "output: 0 }", "output: 0 }\n    policy: "+policy, 1)
	}
	fingerOnly := strings.Replace(goodConfig, "doors:", "fingerprint_modules: [{ name: fp1, device: tty-fp }]\ndoors:", 1)
	fingerOnly = strings.Replace(fingerOnly, "readers: [{ pd: r1 }]", "readers: [{ fingerprint: fp1 }]", 1)
	for _, tt := range []struct {
		name, config, want string
	}{
		{"any credential", goodConfig, ""},
		{"card or face", withPolicy("{ factors: [card, face] }"), ""},
		{"face only", withPolicy("{ factors: [face] }"), `doors[0].policy.alternative: door "main" opens only with a face or a finger`},
		{"face or finger", withPolicy("{ factors: [face, finger, card+face] }"), `door "main" opens only with a face or a finger`},
		{"face, or card+pin for those who declined", withPolicy("{ factors: [face], alternative: card+pin }"), ""},
		{"face, or the guard opens", withPolicy("{ factors: [face], alternative: guard }"), ""},
		{"a biometric alternative", withPolicy("{ factors: [face], alternative: finger }"), "the alternative is for people without a biometric"},
		{"an unknown alternative", withPolicy("{ factors: [face], alternative: iris }"), `"iris": factors are card, pin`},
		{"only a fingerprint module", fingerOnly, `door "main" opens only with a face or a finger`},
		{"only a fingerprint module, phone", strings.Replace(fingerOnly, "output: 0 }", "output: 0 }\n    policy: { alternative: phone }", 1), ""},
		{"only a fingerprint module, card", strings.Replace(fingerOnly, "output: 0 }", "output: 0 }\n    policy: { alternative: card }", 1), "has no card reader or keypad for card"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.config), t.TempDir())
			if tt.want != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
				return
			}
			require.NoError(t, err)
			combos, err := c.Doors[0].Policy.Combinations()
			require.NoError(t, err)
			if alt := c.Doors[0].Policy.Alternative; alt != "" && alt != AlternativeGuard && len(c.Doors[0].Policy.Factors) > 0 {
				assert.Len(t, combos, len(c.Doors[0].Policy.Factors)+1, "the alternative is accepted too")
			}
		})
	}
}

const gpioConfig = `
buses:
  - name: gate
    device: tty-gate
    pds: [{ name: r1, address: 1 }]
doors:
  - name: east-gate
    readers: [{ pd: r1 }]
    lock:    { gpio: { chip: gpiochip0, line: 17, active_low: true } }
    contact: { gpio: { chip: gpiochip0, line: 22, debounce: 50ms } }
    rex:     { gpio: { chip: /dev/gpiochip0, line: 23 } }
  - name: west-gate
    readers: [{ pd: r1, reader: 1 }]
    lock:    { pd: r1, output: 1 }
    contact: { pd: r1, input: 1 }
emergency:
  fire_inputs: [ { gpio: { chip: gpiochip0, line: 5, active_low: true, debounce: 0s } }, { pd: r1, input: 3 } ]
`

// GPIO lines of the box sit beside PD outputs and inputs.
func TestParseConfigGPIO(t *testing.T) {
	c, err := Parse([]byte(gpioConfig), "/etc/menwei")
	require.NoError(t, err)
	d := c.Doors[0]
	require.NotNil(t, d.Lock.GPIO)
	assert.Equal(t, "gpiochip0", d.Lock.GPIO.Chip)
	assert.Equal(t, 17, d.Lock.GPIO.Offset())
	assert.True(t, d.Lock.GPIO.ActiveLow)
	assert.Equal(t, "/dev/gpiochip0", d.Lock.GPIO.Path())
	assert.Equal(t, "gpiochip0 line 17", d.Lock.GPIO.String())
	assert.Equal(t, 50*time.Millisecond, d.Contact.GPIO.DebouncePeriod())
	assert.Equal(t, DefaultDebounce, d.REX.GPIO.DebouncePeriod(), "absent: the default")
	assert.Equal(t, "/dev/gpiochip0", d.REX.GPIO.Path())
	assert.Zero(t, c.Emergency.FireInputs[0].GPIO.DebouncePeriod(), "0: none")
	assert.Nil(t, c.Doors[1].Lock.GPIO, "a PD lock as before")
	assert.Equal(t, "r1", c.Emergency.FireInputs[1].PD)
}

func TestParseConfigGPIOErrorsNameTheField(t *testing.T) {
	lock := "lock:    { gpio: { chip: gpiochip0, line: 17, active_low: true } }"
	contact := "contact: { gpio: { chip: gpiochip0, line: 22, debounce: 50ms } }"
	edit := func(old, new string) string {
		require.Contains(t, gpioConfig, old)
		return strings.Replace(gpioConfig, old, new, 1)
	}
	for _, tt := range []struct {
		name, config, field, want string
	}{
		{"pd and gpio lock", edit(lock, "lock: { pd: r1, gpio: { chip: gpiochip0, line: 17 } }"), "doors[0].lock", "give pd (with output) or gpio, not both"},
		{"output with gpio", edit(lock, "lock: { output: 2, gpio: { chip: gpiochip0, line: 17 } }"), "doors[0].lock.output", "only with pd"},
		{"neither", edit(lock, "lock: { output: 0 }"), "doors[0].lock", "required: the lock's output"},
		{"no chip", edit(lock, "lock: { gpio: { line: 17 } }"), "doors[0].lock.gpio.chip", "required: the GPIO chip"},
		{"relative chip path", edit(lock, "lock: { gpio: { chip: dev/gpiochip0, line: 17 } }"), "doors[0].lock.gpio.chip", `"dev/gpiochip0": a name under /dev`},
		{"no line", edit(lock, "lock: { gpio: { chip: gpiochip0 } }"), "doors[0].lock.gpio.line", "required: the line's offset"},
		{"negative line", edit(lock, "lock: { gpio: { chip: gpiochip0, line: -1 } }"), "doors[0].lock.gpio.line", "-1 out of range"},
		{"line too high", edit(lock, "lock: { gpio: { chip: gpiochip0, line: 70000 } }"), "doors[0].lock.gpio.line", "70000 out of range 0…65535"},
		{"debounce on a lock", edit(lock, "lock: { gpio: { chip: gpiochip0, line: 17, debounce: 20ms } }"), "doors[0].lock.gpio.debounce", "only for inputs"},
		{"debounce too long", edit(contact, "contact: { gpio: { chip: gpiochip0, line: 22, debounce: 2s } }"), "doors[0].contact.gpio.debounce", "2s out of range 0…1s"},
		{"negative debounce", edit(contact, "contact: { gpio: { chip: gpiochip0, line: 22, debounce: -1ms } }"), "doors[0].contact.gpio.debounce", "a duration"},
		{"pd and gpio input", edit(contact, "contact: { pd: r1, gpio: { chip: gpiochip0, line: 22 } }"), "doors[0].contact", "give pd (with input) or gpio, not both"},
		{"input number with gpio", edit(contact, "contact: { input: 2, gpio: { chip: gpiochip0, line: 22 } }"), "doors[0].contact.input", "only with pd"},
		{"input without either", edit(contact, "contact: { input: 2 }"), "doors[0].contact", "give pd (with input) or gpio"},
		{"word for a line", edit(contact, "contact: { gpio: { chip: gpiochip0, line: twenty } }"), "doors[0].contact.gpio.line", "a whole number"},
		{"unknown gpio field", edit(contact, "contact: { gpio: { chip: gpiochip0, pin: 22 } }"), "doors[0].contact.gpio.pin", "the fields in doors[0].contact.gpio are chip, line, active_low, debounce"},
		{"line used twice", edit(contact, "contact: { gpio: { chip: gpiochip0, line: 17 } }"), "doors[0].contact.gpio",
			"gpiochip0 line 17 is already used by doors[0].lock.gpio"},
		{"line used twice, other spelling", edit("line: 23", "line: 22"), "doors[0].rex.gpio",
			"/dev/gpiochip0 line 22 is already used by doors[0].contact.gpio"},
		{"fire line used by a door", edit("line: 5,", "line: 23,"), "emergency.fire_inputs[0].gpio",
			"gpiochip0 line 23 is already used by doors[0].rex.gpio"},
		{"fire input bad chip", edit("chip: gpiochip0, line: 5,", "chip: '', line: 5,"), "emergency.fire_inputs[0].gpio.chip", "required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.config), t.TempDir())
			require.Error(t, err)
			var ce *FieldError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tt.field, ce.Field, err.Error())
			assert.Contains(t, err.Error(), tt.field+": ")
			assert.Contains(t, err.Error(), tt.want)
			assert.Positive(t, ce.Line, "the line of the file")
		})
	}
}
