package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"menwei/api"
	"menwei/biometric/face"
	"menwei/controller"
	"menwei/controller/config"
	"menwei/controller/estate"
	"menwei/controller/store"
)

// Options lets tests replace how bus lines are opened and learn the address.
type Options struct {
	OpenPort func(config.Bus) (io.ReadWriteCloser, error)
	Ready    func(httpAddr string) // called once the API is listening
	// Controller, for tests, is handed the controller once built.
	Controller func(*controller.Controller)
	// Store, for tests, is handed the store once open.
	Store func(*store.Store)
	// Notify and WatchdogInterval reach the service manager (sd_notify,
	// $WATCHDOG_USEC); nil = systemd's (tests replace them).
	Notify           notifier
	WatchdogInterval func() (time.Duration, error)
}

// Run starts the store, the controller and the API, and stops them in
// order when ctx ends: no new requests, buses stopped, store closed.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Options) error {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Notify == nil {
		o.Notify = sdNotify
	}
	if o.WatchdogInterval == nil {
		o.WatchdogInterval = watchdogInterval
	}
	key, err := store.PlanKey(cfg.Store.KeyFile, cfg.Store.Dir, cfg.Store.KeyExplicit, true)
	if err != nil {
		return fmt.Errorf("store.key_file: %w", err)
	}
	switch {
	case key.Created:
		log.Warn("new store: its encryption key was written to the key file; keep a copy of it apart from the data (without it the store cannot be read)", "key_file", key.Path)
	case key.Key == nil:
		log.Warn("the store is not encrypted at rest (made before encryption); stop menweid and run menweictl store encrypt", "store", cfg.Store.Dir)
	}
	// An upgrade may move every event (a minute for a few million): the
	// service manager is told, and gives the start more time each time.
	upgrading := func(status string) {
		if _, err := o.Notify("EXTEND_TIMEOUT_USEC=120000000\nSTATUS=" + status); err != nil {
			log.Warn("telling the service manager", "status", status, "err", err)
		}
	}
	st, err := store.Open(store.Options{Dir: cfg.Store.Dir, Key: key.Key, KeyRotation: cfg.Store.KeyRotation, Log: log, Upgrading: upgrading})
	if errors.Is(err, store.ErrWrongKey) {
		if _, serr := os.Stat(key.Path + ".new"); serr == nil {
			return fmt.Errorf("store.key_file %s: %w (a key rotation was interrupted: the store may open with %s.new; rename it over the key file)", key.Path, err, key.Path)
		}
		return fmt.Errorf("store.key_file %s: %w", key.Path, err)
	}
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("closing store", "err", err)
		}
	}()
	if o.Store != nil {
		o.Store(st)
	}
	est, stopEstate, err := startEstate(ctx, cfg.Estate, st, log)
	if err != nil {
		return err
	}
	defer stopEstate() // before the store closes
	faces, err := controller.NewFaceIndex(cfg.Face)
	if err != nil {
		return err
	}
	copts := controller.Options{Config: cfg, Store: st, OpenPort: o.OpenPort, Log: log, Faces: faces,
		// The face index between starts (encrypted; rebuilt from the store
		// whenever it is not the index of the store's faces).
		FaceSnapshot: filepath.Join(cfg.DataDir, "faceindex.snap")}
	if cfg.Face.Models != "" {
		e, err := face.Open(face.Config{ModelDir: cfg.Face.Models, MaxBytes: cfg.Face.MaxPhoto})
		if err != nil {
			return fmt.Errorf("face.models: %w", err)
		}
		defer e.Close()
		copts.Embedder = e
	} else {
		log.Info("face.models not set: photos are not embedded (descriptor-mode terminals only)")
	}
	ctl, err := controller.New(copts)
	if err != nil {
		return err
	}
	defer ctl.Close() // before the store closes (deferred after it, so run first)
	setMemoryLimit(cfg.MemoryLimitMiB, faces, log)
	if o.Controller != nil {
		o.Controller(ctl)
	}

	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	apiSrv := api.New(api.Options{Events: st, PDs: ctl.PDs, Doors: ctl, Auth: st, Audit: st, Phones: st, Opener: ctl, People: st, Enroller: ctl, Alarms: ctl, Accounts: st, Capture: ctl, Backup: st, Log: log,
		Received: est.received, GateLinks: est.gateLinks, GateAlarms: est.gateAlarms,
		Metrics: promhttp.HandlerFor(ctl.Metrics(), promhttp.HandlerOpts{}),
		Health: func() controller.Health {
			h := ctl.Health()
			h.Directory = est.directoryHealth()
			return h
		},
		DirectoryAtOffice: cfg.Estate.Role == string(estate.RoleGate),
		SecureCookies:     cfg.HTTP.Cert != "", OpensPerMinute: cfg.HTTP.OpensPerMinute, Timezone: zoneName(cfg.Timezone)})
	// A gate answers the office's door commands through its API's own
	// paths, and stops before the controller closes.
	stopAnswering, err := est.answer(apiSrv.GateCommand)
	if err != nil {
		return err
	}
	defer stopAnswering()
	srv := &http.Server{
		Handler:           apiSrv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	httpErr := make(chan error, 1)
	scheme := "http"
	if cfg.HTTP.Cert != "" {
		scheme = "https"
		srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		go func() { httpErr <- srv.ServeTLS(ln, cfg.HTTP.Cert, cfg.HTTP.Key) }()
	} else {
		go func() { httpErr <- srv.Serve(ln) }()
	}
	log.Info("menweid started", "api", scheme+"://"+ln.Addr().String()+"/api/v1/", "store", cfg.Store.Dir, "buses", len(cfg.Buses))
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ctlErr := make(chan error, 1)
	go func() { ctlErr <- ctl.Run(ctx) }()
	notify := func(state string) {
		if _, err := o.Notify(state); err != nil {
			log.Warn("telling the service manager", "state", state, "err", err)
		}
	}

	var runErr error
	started := ctl.Started()
wait:
	for {
		select {
		case <-started:
			// The store is open, the buses' loops run, the API listens.
			started = nil
			notify(daemon.SdNotifyReady + "\nSTATUS=ready: " + fmt.Sprintf("%d buses, %d doors", len(cfg.Buses), len(cfg.Doors)))
			every, err := o.WatchdogInterval()
			if err != nil {
				log.Warn("service watchdog", "err", err)
			}
			if every > 0 {
				tick := time.NewTicker(every / 2) // fed twice per period, as systemd advises
				defer tick.Stop()
				go watchdog(ctx, tick.C, every/4, ctl.Alive, o.Notify, log)
				log.Info("service watchdog on", "every", every)
			}
		case <-ctx.Done():
			log.Info("stopping")
			break wait
		case err := <-httpErr:
			runErr = fmt.Errorf("http: %w", err)
			break wait
		case err := <-ctlErr:
			ctlErr <- err
			runErr = err
			break wait
		}
	}
	notify(daemon.SdNotifyStopping)
	cancel()
	shutCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http shutdown", "err", err)
	}
	if err := <-ctlErr; err != nil && runErr == nil {
		runErr = err
	}
	log.Info("menweid stopped cleanly")
	return runErr
}

// zoneName is the name of the controller's time zone for the pages: the
// configured one, else the machine's local zone as Go finds it (TZ, then
// /etc/localtime), or "" when it has no name (the pages use the browser's).
func zoneName(configured string) string {
	if configured != "" {
		return configured
	}
	if tz, ok := os.LookupEnv("TZ"); ok {
		if tz == "" {
			return "UTC" // Go's rule for an empty TZ
		}
		if _, err := time.LoadLocation(tz); err == nil && !strings.HasPrefix(tz, ":") {
			return tz
		}
		return ""
	}
	if dest, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(dest, "/zoneinfo/"); ok {
			if _, err := time.LoadLocation(name); err == nil {
				return name
			}
		}
	}
	return ""
}

// setMemoryLimit sets the Go runtime's soft memory limit: memory_limit_mib,
// or when that is 0, 64 MiB plus one and a half times what the face index
// holds (about 580 bytes a face). The collector then works harder before
// the daemon's Go memory passes it instead of doubling the heap (a memtable
// flush allocates in bursts), which bounds the peak on a box of 512 MB.
// It is a soft limit: live memory above it is kept (the collector does
// not spend more than about half the CPU trying). GOMEMLIMIT, when set,
// wins.
func setMemoryLimit(mib int, faces controller.FaceIndex, log *slog.Logger) {
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		log.Info("go memory limit from GOMEMLIMIT", "limit", v)
		return
	}
	if mib == 0 {
		n := 0
		if l, ok := faces.(interface{ Len() int }); ok {
			n = l.Len()
		}
		mib = 64 + n*faceindexBytes*3/2>>20
	}
	debug.SetMemoryLimit(int64(mib) << 20)
	log.Info("go memory limit", "mib", mib)
}

// faceindexBytes is what the face index holds per face (docs/performance.md).
const faceindexBytes = 584
