package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"menwei/controller"
	"menwei/controller/config"
	"menwei/controller/estate"
	"menwei/controller/store"
)

// estateRun is this menweid's part in its estate once started.
type estateRun struct {
	// directory is the gate's directory applier (nil: not a gate).
	directory *estate.Applier
}

// directoryHealth is the gate's directory for /readyz (nil: not a gate).
// It never makes the gate not ready: a gate that has not reached the
// office since it started decides from its own copy, as it does offline.
func (e *estateRun) directoryHealth() *controller.DirectoryHealth {
	if e == nil || e.directory == nil {
		return nil
	}
	s := e.directory.Status()
	h := &controller.DirectoryHealth{Revision: s.Revision, Pending: s.Pending}
	if !s.Last.IsZero() {
		h.LastApply = &s.Last
	}
	return h
}

// startEstate starts this menweid's part in its estate (docs/estate.md):
// the embedded NATS server; for a gate its uploader and its directory's
// applier, for the office its applier of the gates' events and its
// directory's publisher. stop stops them and waits (before the store
// closes). Without an estate section it does nothing.
func startEstate(ctx context.Context, c config.Estate, st *store.Store, log *slog.Logger) (run *estateRun, stop func(), err error) {
	run = &estateRun{}
	if !c.Joined() {
		return run, func() {}, nil
	}
	log = log.With("part", "estate")
	o := estate.ServerOptions{Role: estate.Role(c.Role), StoreDir: c.StoreDir, Log: log}
	switch o.Role {
	case estate.RoleGate:
		if o.TLS, err = estate.GateTLS(c.TLS.CA); err != nil {
			return nil, nil, fmt.Errorf("estate.tls.ca: %w", err)
		}
		if o.Seed, err = estate.ReadSeed(c.NKeySeedFile); err != nil {
			return nil, nil, fmt.Errorf("estate.nkey_seed_file: %w", err)
		}
		o.Gate, o.OfficeURL = c.Gate, c.OfficeURL
	case estate.RoleOffice:
		if o.TLS, err = estate.OfficeTLS(c.TLS.Cert, c.TLS.Key); err != nil {
			return nil, nil, fmt.Errorf("estate.tls.cert: %w", err)
		}
		o.Listen = c.Listen
		for _, g := range c.Gates {
			o.Gates = append(o.Gates, estate.GateKey{Name: g.Name, NKey: g.NKey})
		}
	}
	// JetStream's files are encrypted like the store (with a key kept in it).
	if o.Key, err = st.EstateStreamKey(); err != nil {
		return nil, nil, err
	}
	srv, err := estate.StartServer(o)
	if err != nil {
		return nil, nil, err
	}
	parts, err := estateParts(c, srv, st, run, log)
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Go(func() { keepRunning(ctx, p, log) })
	}
	return run, func() {
		cancel()
		wg.Wait()
		srv.Close()
	}, nil
}

// estateParts makes what runs on the estate's server: the gate's uploader
// and directory applier, or the office's events applier and directory
// publisher.
func estateParts(c config.Estate, srv *estate.Server, st *store.Store, run *estateRun, log *slog.Logger) ([]func(context.Context) error, error) {
	switch estate.Role(c.Role) {
	case estate.RoleGate:
		up, err := estate.NewUploader(estate.UploaderOptions{Gate: c.Gate, Conn: srv.Conn(), Events: st, Cursor: st, Log: log})
		if err != nil {
			return nil, err
		}
		dir, err := estate.NewApplier(estate.ApplierOptions{Gate: c.Gate, Conn: srv.Conn(), Store: st, Link: srv.LeafLink, Log: log})
		if err != nil {
			return nil, err
		}
		run.directory = dir
		log.Info("estate: a gate of the office", "gate", c.Gate, "office", c.OfficeURL, "directory_revision", dir.Revision())
		return []func(context.Context) error{up.Run, dir.Run}, nil
	case estate.RoleOffice:
		off, err := estate.NewOffice(estate.OfficeOptions{Conn: srv.Conn(), Received: st.Received(), Log: log})
		if err != nil {
			return nil, err
		}
		var slices []estate.GateSlice
		for _, g := range c.Gates {
			slices = append(slices, estate.GateSlice{Name: g.Name, Groups: g.Groups})
		}
		pub, err := estate.NewPublisher(estate.PublisherOptions{Conn: srv.Conn(), Store: st, Gates: slices, Log: log})
		if err != nil {
			return nil, err
		}
		log.Info("estate: the office", "listen", srv.LeafAddr(), "gates", len(c.Gates))
		return []func(context.Context) error{off.Run, pub.Run}, nil
	}
	return nil, fmt.Errorf("estate.role: %q", c.Role)
}

// keepRunning runs part until ctx ends. A part returns only when ctx ends
// or the store failed; the gate goes on deciding either way, and the part
// is started again.
func keepRunning(ctx context.Context, part func(context.Context) error, log *slog.Logger) {
	for {
		err := part(ctx)
		if ctx.Err() != nil {
			return
		}
		log.Error("estate replication stopped; starting it again in 10 s", "err", err)
		select {
		case <-time.After(10 * time.Second):
		case <-ctx.Done():
			return
		}
	}
}
