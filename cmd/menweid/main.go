// Command menweid is the menwei gate controller daemon: it drives the
// terminals on the configured buses, decides who may pass, keeps the event
// log and serves the HTTP API.
//
//	menweid -config menwei.yaml
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

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := Run(ctx, cfg, log); err != nil {
		log.Error("menweid stopped", "err", err)
		os.Exit(1)
	}
}

const usageLine = "usage: menweid [-config menwei.yaml] [-log-level info]\n"

// flags is menweid's command line.
type flags struct {
	config string
	level  slog.Level
}

// parseFlags reads the command line. For -h or --help it prints the usage
// to stdout and returns flag.ErrHelp, which is not a failure.
func parseFlags(args []string, stdout io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("menweid", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.config, "config", "menwei.yaml", "configuration file (YAML, see docs/config.md)")
	level := fs.String("log-level", "info", "debug, info, warn or error")
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
