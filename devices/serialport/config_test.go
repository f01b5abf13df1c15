package serialport

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // "" for valid
	}{
		{"defaults", Config{Device: "/dev/ttyUSB0"}, ""},
		{"every field", Config{Device: "/dev/ttyS0", Baud: 115200, ReadTimeout: time.Second}, ""},
		{"slowest standard rate", Config{Device: "/dev/ttyS0", Baud: 1200}, ""},
		{"fastest standard rate", Config{Device: "/dev/ttyS0", Baud: 230400}, ""},
		{"longest timeout", Config{Device: "/dev/ttyS0", ReadTimeout: 25500 * time.Millisecond}, ""},
		{"no device", Config{}, "serialport: device: empty path"},
		{"odd rate", Config{Device: "/dev/ttyS0", Baud: 12345}, "serialport: baud 12345: not a standard rate (1200…230400)"},
		{"rate below range", Config{Device: "/dev/ttyS0", Baud: 300}, "serialport: baud 300: not a standard rate (1200…230400)"},
		{"rate above range", Config{Device: "/dev/ttyS0", Baud: 460800}, "serialport: baud 460800: not a standard rate (1200…230400)"},
		{"negative rate", Config{Device: "/dev/ttyS0", Baud: -9600}, "serialport: baud -9600: not a standard rate (1200…230400)"},
		{"negative timeout", Config{Device: "/dev/ttyS0", ReadTimeout: -time.Second}, "serialport: read timeout -1s: negative"},
		{"timeout too long", Config{Device: "/dev/ttyS0", ReadTimeout: 25501 * time.Millisecond}, "serialport: read timeout 25.501s: above 25.5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestConfigWithDefaults(t *testing.T) {
	tests := []struct {
		name        string
		baud        int
		timeout     time.Duration
		wantBaud    int
		wantTimeout time.Duration
	}{
		{"zero values", 0, 0, 9600, 100 * time.Millisecond},
		{"kept", 19200, 300 * time.Millisecond, 19200, 300 * time.Millisecond},
		{"below one step rounds up", 0, time.Millisecond, 9600, 100 * time.Millisecond},
		{"rounds up, not down", 0, 150 * time.Millisecond, 9600, 200 * time.Millisecond},
		{"just over a step", 0, 100*time.Millisecond + 1, 9600, 200 * time.Millisecond},
		{"longest", 0, 25500 * time.Millisecond, 9600, 25500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Config{Device: "/dev/ttyS0", Baud: tt.baud, ReadTimeout: tt.timeout}.withDefaults()
			assert.Equal(t, tt.wantBaud, got.Baud)
			assert.Equal(t, tt.wantTimeout, got.ReadTimeout)
		})
	}
}
