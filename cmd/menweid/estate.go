package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"menwei/api"
	"menwei/controller"
	"menwei/controller/alarms"
	"menwei/controller/config"
	"menwei/controller/estate"
	"menwei/controller/eventlog"
	"menwei/controller/store"
)

// estateRun is what the rest of menweid uses of its estate once started:
// at the office, its gates' events, links and alarms for the API; at a
// gate, its directory's applier and answering the office's door commands
// once the API is made.
type estateRun struct {
	// directory is the gate's directory applier (nil: not a gate).
	directory  *estate.Applier
	received   api.Received      // the office's; nil elsewhere
	gateLinks  api.GateCommander // the office's; nil elsewhere
	gateAlarms api.GateAlarms    // the office's; nil elsewhere
	// answer starts answering the office's door commands with h (a gate;
	// nothing elsewhere) until the func it returns is called (the estate's
	// stop calls it too).
	answer func(h estate.CommandHandler) (func(), error)
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

func noAnswer(estate.CommandHandler) (func(), error) { return func() {}, nil }

// startEstate starts this menweid's part in its estate (docs/estate.md):
// the embedded NATS server; for a gate its uploader, its directory's
// applier and (by run.answer) its answering of door commands; for the
// office its applier of the gates' events, its directory's publisher, its
// poll of the gates and the gates' alarm books. stop stops them and waits
// (before the store closes). Without an estate section it does nothing.
func startEstate(ctx context.Context, c config.Estate, st *store.Store, log *slog.Logger) (run *estateRun, stop func(), err error) {
	run = &estateRun{answer: noAnswer}
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
	var (
		cmdMu    sync.Mutex
		commands *estate.Commands // the gate's, once answering
	)
	if o.Role == estate.RoleGate {
		run.answer = func(h estate.CommandHandler) (func(), error) {
			cs, err := estate.ServeCommands(srv.Conn(), c.Gate, h, log)
			if err != nil {
				return nil, err
			}
			cmdMu.Lock()
			commands = cs
			cmdMu.Unlock()
			return cs.Close, nil
		}
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
		cmdMu.Lock()
		if commands != nil {
			commands.Close()
		}
		cmdMu.Unlock()
		cancel()
		wg.Wait()
		srv.Close()
	}, nil
}

// officeAlarms records the office's acknowledgements of its gates' alarms
// in its own log.
type officeAlarms struct {
	books *alarms.GateBooks
	st    *store.Store
}

func (o officeAlarms) Open() ([]alarms.GateAlarm, bool) { return o.books.Open() }

func (o officeAlarms) Ack(ctx context.Context, gate string, seq uint64, account, note string) (eventlog.Event, error) {
	return o.books.Ack(ctx, o.st, gate, seq, account, note, time.Now())
}

// estateParts makes what runs on the estate's server: the gate's uploader
// and directory applier, or the office's events applier, directory
// publisher, poll of its gates and their alarm books.
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
		var (
			slices []estate.GateSlice
			names  []string
		)
		for _, g := range c.Gates {
			slices = append(slices, estate.GateSlice{Name: g.Name, Groups: g.Groups})
			names = append(names, g.Name)
		}
		pub, err := estate.NewPublisher(estate.PublisherOptions{Conn: srv.Conn(), Store: st, Gates: slices, Log: log})
		if err != nil {
			return nil, err
		}
		gates, err := estate.NewGates(estate.GatesOptions{Server: srv, Names: names, Log: log})
		if err != nil {
			return nil, err
		}
		books := alarms.NewGateBooks()
		followAlarms := func(ctx context.Context) error { return books.Follow(ctx, st.Received(), st) }
		run.received, run.gateLinks, run.gateAlarms = st.Received(), gates, officeAlarms{books, st}
		log.Info("estate: the office", "listen", srv.LeafAddr(), "gates", len(c.Gates))
		return []func(context.Context) error{off.Run, pub.Run, gates.Run, followAlarms}, nil
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
