// Command menweid is the menwei gate controller daemon: it drives the
// terminals on the configured buses, decides who may pass, keeps the event
// log and serves the HTTP API.
//
//	menweid -config menwei.yaml
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"menwei/controller"
)

func main() {
	configPath := flag.String("config", "menwei.yaml", "configuration file (YAML, see docs/config.md)")
	level := flag.String("log-level", "info", "debug, info, warn or error")
	flag.Parse()

	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(os.Stderr, "menweid: -log-level %q: %v\n", *level, err)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))

	raw, err := os.ReadFile(*configPath)
	if err != nil {
		log.Error("cannot read configuration", "err", err)
		os.Exit(2)
	}
	abs, _ := filepath.Abs(*configPath)
	cfg, err := controller.ParseConfig(raw, filepath.Dir(abs))
	if err != nil {
		log.Error("invalid configuration", "file", *configPath, "err", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := Run(ctx, cfg, log); err != nil {
		log.Error("menweid stopped", "err", err)
		os.Exit(1)
	}
}
