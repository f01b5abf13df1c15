package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"menwei/devices/fpm"
	"menwei/devices/osdp"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "menwei-emu:", err)
		os.Exit(2)
	}
	cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		cfg.Log.Error("menwei-emu stopped", "err", err)
		stop()
		os.Exit(1)
	}
}

// parseFlags reads the command line into a config.
func parseFlags(args []string, out io.Writer) (config, error) {
	cfg := config{}
	fs := flag.NewFlagSet("menwei-emu", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&cfg.Link, "link", "", "make a symlink `PATH` to the pseudo-terminal the CP opens")
	fs.StringVar(&cfg.Control, "control", "127.0.0.1:7071", "HTTP control surface `address` (empty: none)")
	fs.StringVar(&cfg.KeyDir, "key-dir", "", "keep each PD's key after KEYSET in `DIR`")
	fs.StringVar(&cfg.Wiegand, "wiegand", "", "a Wiegand converter on its own pty: `LINK:FRAMING` (hex-cr, dec-crlf, stx-etx)")
	fs.StringVar(&cfg.Fingerprint, "fingerprint", "", "a fingerprint module on its own pty, linked at `LINK`")
	cfg.FingerAddr = fpm.DefaultAddr
	fs.Func("fingerprint-addr", "the fingerprint module's `ADDRESS`, 32 bits, decimal or 0x-hex (default 0xffffffff)", func(s string) error {
		a, err := strconv.ParseUint(s, 0, 32)
		if err != nil || a == 0 {
			return errors.New("an address is 1..0xffffffff")
		}
		cfg.FingerAddr = uint32(a)
		return nil
	})
	fs.Func("fingerprint-password", "the fingerprint module's handshake `PASSWORD`, 32 bits, decimal or 0x-hex (default 0: none)", func(s string) error {
		p, err := strconv.ParseUint(s, 0, 32)
		if err != nil {
			return errors.New("a password is 0..0xffffffff")
		}
		cfg.FingerPassword = uint32(p)
		return nil
	})
	fs.IntVar(&cfg.FingerPacketSize, "fingerprint-packet-size", 128, "the fingerprint module's data packet size in `BYTES`: 32, 64, 128 or 256")
	fs.StringVar(&cfg.FingerTiming, "fingerprint-timing", "r307", "how long the fingerprint module takes: `r307` (a real module's: capture 300 ms, search 150-300 ms...) or instant")
	fs.StringVar(&cfg.Models, "models", "", "dlib face models `DIR`: face terminals compute descriptors, and in JPEG mode send crops of the face")
	fs.IntVar(&cfg.Baud, "baud", 9600, "the `RATE` of the RS-485 line the PDs stand for: JPEG face crops are capped to what it carries in time")
	fs.Func("pd", "a PD: `ADDR[:SCBKHEX][:install][:face-jpeg|:face-descriptor]` (repeatable)", func(s string) error {
		spec, err := parsePDSpec(s)
		if err == nil {
			cfg.PDs = append(cfg.PDs, spec)
		}
		return err
	})
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return cfg, cfg.validate()
}

// parsePDSpec reads ADDR[:SCBKHEX][:install]. The address is decimal or
// 0x-prefixed hex.
func parsePDSpec(s string) (pdSpec, error) {
	parts := strings.Split(s, ":")
	a, err := strconv.ParseUint(parts[0], 0, 8)
	if err != nil || a >= osdp.Broadcast {
		return pdSpec{}, fmt.Errorf("-pd %q: address must be 0..126", s)
	}
	spec := pdSpec{Addr: byte(a)}
	for _, p := range parts[1:] {
		switch {
		case p == "":
		case p == "install":
			spec.Install = true
		case p == "face-jpeg" || p == "face-descriptor":
			spec.Face = strings.TrimPrefix(p, "face-")
		case spec.SCBK == nil:
			key, err := parseKey(p)
			if err != nil {
				return pdSpec{}, fmt.Errorf("-pd %q: %w", s, err)
			}
			spec.SCBK = key
		default:
			return pdSpec{}, fmt.Errorf("-pd %q: unexpected %q", s, p)
		}
	}
	return spec, nil
}
