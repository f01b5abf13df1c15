// Command menweid is the menwei gate controller daemon: it drives the
// terminals on the configured buses, decides who may pass, keeps the event
// log and serves the HTTP API.
//
//	menweid -config menwei.yaml
//	menweid -check -config menwei.yaml   # validate the configuration and exit
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
	"path/filepath"
	"strings"
	"syscall"

	"menwei/controller/config"
)

func main() {
	f, err := parseFlags(os.Args[1:], os.Stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0) // the usage is on standard output
	case err != nil:
		fmt.Fprintf(os.Stderr, "menweid: %v\n%s", err, usageLine)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: f.level}))

	raw, err := os.ReadFile(f.config)
	if err != nil {
		log.Error("cannot read configuration", "err", err)
		os.Exit(2)
	}
	abs, _ := filepath.Abs(f.config)
	cfg, err := config.Parse(raw, filepath.Dir(abs))
	if err != nil {
		log.Error("invalid configuration", "file", f.config, "err", err)
		os.Exit(2)
	}
	if f.check {
		fmt.Fprint(os.Stdout, checkReport(f.config, cfg))
		os.Exit(0)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := Run(ctx, cfg, log); err != nil {
		log.Error("menweid stopped", "err", err)
		os.Exit(1)
	}
}

const usageLine = "usage: menweid [-config menwei.yaml] [-log-level info] [-check]\n"

// flags is menweid's command line.
type flags struct {
	config string
	level  slog.Level
	check  bool // validate the configuration and exit
}

// parseFlags reads the command line. For -h or --help it prints the usage
// to stdout and returns flag.ErrHelp, which is not a failure.
func parseFlags(args []string, stdout io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("menweid", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.config, "config", "menwei.yaml", "configuration file (YAML, see docs/config.md)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&f.check, "check", false, "validate the configuration file and exit: 0 if valid, 2 with the field named if not")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usageLine)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
		}
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected %q (menweid takes only flags)", fs.Args())
	}
	if err := f.level.UnmarshalText([]byte(*level)); err != nil {
		return f, fmt.Errorf("-log-level %q: debug, info, warn or error", *level)
	}
	return f, nil
}

// checkReport is what -check prints for a valid configuration: what it
// describes, and what it names that is not there on this machine (serial
// devices and face models are warnings: an installer checks a config before
// the adapters are plugged in or the models package is installed).
func checkReport(file string, cfg config.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: valid (%d doors, %d buses, %d converters, %d fingerprint modules; store %s)\n",
		file, len(cfg.Doors), len(cfg.Buses), len(cfg.Converters), len(cfg.Fingerprints), cfg.Store.Dir)
	missing := func(what, path string) {
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(&b, "warning: %s %s is not there yet\n", what, path)
		}
	}
	for _, bus := range cfg.Buses {
		missing("bus "+bus.Name+": serial device", bus.Device)
	}
	for _, c := range cfg.Converters {
		missing("converter "+c.Name+": serial device", c.Device)
	}
	for _, f := range cfg.Fingerprints {
		missing("fingerprint "+f.Name+": serial device", f.Device)
	}
	if cfg.Face.Models != "" {
		missing("face.models: model", filepath.Join(cfg.Face.Models, "dlib_face_recognition_resnet_model_v1.dat"))
	}
	return b.String()
}
