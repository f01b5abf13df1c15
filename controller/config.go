package controller

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is menweid's configuration file (YAML). Zero values take the
// defaults named in the comments; see docs/config.md.
type Config struct {
	DataDir string       `yaml:"data_dir"` // "" = ./data
	HTTP    HTTPConfig   `yaml:"http"`
	Store   StoreConfig  `yaml:"store"`
	Buses   []BusConfig  `yaml:"buses"`
	Doors   []DoorConfig `yaml:"doors"`
}

// HTTPConfig is the API server.
type HTTPConfig struct {
	Listen string `yaml:"listen"` // "" = 127.0.0.1:8080
}

// StoreConfig is the embedded Badger store.
type StoreConfig struct {
	Dir string `yaml:"dir"` // "" = <data_dir>/store
}

// BusConfig is one RS-485 line with its OSDP peripheral devices.
type BusConfig struct {
	Name         string        `yaml:"name"`
	Device       string        `yaml:"device"`        // serial device or pty link
	Baud         int           `yaml:"baud"`          // 0 = 9600
	PollInterval time.Duration `yaml:"poll_interval"` // 0 = 50ms
	ReplyTimeout time.Duration `yaml:"reply_timeout"` // 0 = 200ms
	PDs          []PDConfig    `yaml:"pds"`
}

// PDConfig is one OSDP peripheral device (reader, terminal, I/O board).
type PDConfig struct {
	Name    string `yaml:"name"`    // unique across the file; doors refer to it
	Address *int   `yaml:"address"` // 0..126, required
	// SCBK is the secure channel base key, 32 hex digits. With a key the PD
	// is only ever used over the secure channel. SCBKFile reads it from a file.
	SCBK     string `yaml:"scbk"`
	SCBKFile string `yaml:"scbk_file"`
	// Install: the PD is new and still has the default key; menwei opens a
	// session with SCBK-D and installs SCBK with KEYSET. Remove afterwards.
	Install  bool `yaml:"install"`
	Checksum bool `yaml:"checksum"` // 8-bit checksum instead of CRC-16
	// LibosdpStatusQuirk accepts status replies sealed as SCS_15, as
	// libosdp 3.2.0 PDs send them.
	LibosdpStatusQuirk bool `yaml:"libosdp_status_quirk"`

	key []byte
}

// DoorConfig is one door: where credentials are read and which output
// drives its lock.
type DoorConfig struct {
	Name    string        `yaml:"name"`
	Reader  ReaderRef     `yaml:"reader"`
	Lock    OutputRef     `yaml:"lock"`
	Contact *InputRef     `yaml:"contact"` // optional door contact
	Pulse   time.Duration `yaml:"pulse"`   // 0 = 3s, how long the lock is released
}

// ReaderRef names a reader on a PD.
type ReaderRef struct {
	PD     string `yaml:"pd"`
	Reader int    `yaml:"reader"` // 0 = the PD's first reader
}

// OutputRef names a PD output.
type OutputRef struct {
	PD     string `yaml:"pd"`
	Output int    `yaml:"output"`
}

// InputRef names a PD input.
type InputRef struct {
	PD    string `yaml:"pd"`
	Input int    `yaml:"input"`
}

// ConfigError names the field that is wrong.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("config: %s: %s", e.Field, e.Reason) }

// ParseConfig decodes a YAML configuration strictly (unknown fields are
// errors), applies defaults and validates it. Relative paths are taken from
// baseDir.
func ParseConfig(data []byte, baseDir string) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c.setDefaults(baseDir)
	if err := c.validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c *Config) setDefaults(baseDir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(baseDir, p)
	}
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	c.DataDir = abs(c.DataDir)
	if c.HTTP.Listen == "" {
		c.HTTP.Listen = "127.0.0.1:8080"
	}
	if c.Store.Dir == "" {
		c.Store.Dir = filepath.Join(c.DataDir, "store")
	}
	c.Store.Dir = abs(c.Store.Dir)
	for i := range c.Buses {
		b := &c.Buses[i]
		b.Device = abs(b.Device)
		if b.Baud == 0 {
			b.Baud = 9600
		}
		for j := range b.PDs {
			b.PDs[j].SCBKFile = abs(b.PDs[j].SCBKFile)
		}
	}
	for i := range c.Doors {
		if c.Doors[i].Pulse == 0 {
			c.Doors[i].Pulse = 3 * time.Second
		}
	}
}

var standardBauds = map[int]bool{1200: true, 2400: true, 4800: true, 9600: true, 19200: true, 38400: true, 57600: true, 115200: true, 230400: true}

func (c *Config) validate() error {
	bad := func(field, format string, args ...any) error {
		return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if len(c.Buses) == 0 {
		return bad("buses", "at least one bus is needed")
	}
	pds := map[string]*PDConfig{}
	busNames := map[string]bool{}
	for i := range c.Buses {
		b := &c.Buses[i]
		f := fmt.Sprintf("buses[%d]", i)
		switch {
		case b.Name == "":
			return bad(f+".name", "required")
		case busNames[b.Name]:
			return bad(f+".name", "%q used twice", b.Name)
		case b.Device == "":
			return bad(f+".device", "required (a serial device such as /dev/ttyUSB0)")
		case !standardBauds[b.Baud]:
			return bad(f+".baud", "%d is not a standard rate (1200…230400)", b.Baud)
		case b.PollInterval < 0 || b.ReplyTimeout < 0:
			return bad(f, "durations must not be negative")
		case len(b.PDs) == 0:
			return bad(f+".pds", "at least one pd is needed")
		}
		busNames[b.Name] = true
		addrs := map[int]bool{}
		for j := range b.PDs {
			p := &b.PDs[j]
			pf := fmt.Sprintf("%s.pds[%d]", f, j)
			switch {
			case p.Name == "":
				return bad(pf+".name", "required")
			case pds[p.Name] != nil:
				return bad(pf+".name", "%q used twice", p.Name)
			case p.Address == nil:
				return bad(pf+".address", "required (0…126)")
			case *p.Address < 0 || *p.Address > 126:
				return bad(pf+".address", "%d out of range 0…126", *p.Address)
			case addrs[*p.Address]:
				return bad(pf+".address", "%d used twice on bus %q", *p.Address, b.Name)
			case p.SCBK != "" && p.SCBKFile != "":
				return bad(pf+".scbk", "give scbk or scbk_file, not both")
			}
			addrs[*p.Address] = true
			pds[p.Name] = p
			key := p.SCBK
			if p.SCBKFile != "" {
				raw, err := os.ReadFile(p.SCBKFile)
				if err != nil {
					return bad(pf+".scbk_file", "%v", err)
				}
				key = strings.TrimSpace(string(raw))
			}
			if key != "" {
				k, err := hex.DecodeString(key)
				if err != nil || len(k) != 16 {
					return bad(pf+".scbk", "must be 32 hex digits (a 128-bit key)")
				}
				p.key = k
			}
			if p.Install && p.key == nil {
				return bad(pf+".install", "install mode needs the scbk to install")
			}
		}
	}
	doorNames := map[string]bool{}
	for i, d := range c.Doors {
		f := fmt.Sprintf("doors[%d]", i)
		switch {
		case d.Name == "":
			return bad(f+".name", "required")
		case doorNames[d.Name]:
			return bad(f+".name", "%q used twice", d.Name)
		case pds[d.Reader.PD] == nil:
			return bad(f+".reader.pd", "no pd named %q", d.Reader.PD)
		case d.Reader.Reader < 0 || d.Reader.Reader > 255:
			return bad(f+".reader.reader", "%d out of range 0…255", d.Reader.Reader)
		case pds[d.Lock.PD] == nil:
			return bad(f+".lock.pd", "no pd named %q", d.Lock.PD)
		case d.Lock.Output < 0 || d.Lock.Output > 255:
			return bad(f+".lock.output", "%d out of range 0…255", d.Lock.Output)
		case d.Pulse < 100*time.Millisecond || d.Pulse > 6000*time.Second:
			return bad(f+".pulse", "%v out of range 100ms…100m", d.Pulse)
		case d.Contact != nil && pds[d.Contact.PD] == nil:
			return bad(f+".contact.pd", "no pd named %q", d.Contact.PD)
		case d.Contact != nil && (d.Contact.Input < 0 || d.Contact.Input > 255):
			return bad(f+".contact.input", "%d out of range 0…255", d.Contact.Input)
		}
		doorNames[d.Name] = true
	}
	return nil
}

// Key is the PD's secure channel base key, or nil for a plaintext PD.
func (p *PDConfig) Key() []byte { return p.key }
