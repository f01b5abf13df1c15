package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"menwei/api"
	"menwei/controller/alarms"
	"menwei/controller/config"
	"menwei/controller/estate"
	"menwei/controller/eventlog"
	"menwei/controller/store"
)

// estateParts is what the rest of menweid uses of its estate: at the
// office, its gates' events and links for the API; at a gate, answering
// the office's door commands once the API is made.
type estateParts struct {
	stop       func()
	received   api.Received      // the office's; nil elsewhere
	gateLinks  api.GateCommander // the office's; nil elsewhere
	gateAlarms api.GateAlarms    // the office's; nil elsewhere
	// answer starts answering the office's door commands with h (a gate;
	// nothing elsewhere) until the func it returns is called (stop calls
	// it too).
	answer func(h estate.CommandHandler) (func(), error)
}

// startEstate starts this menweid's part in its estate (docs/estate.md):
// the embedded NATS server, and the gate's uploader or the office's
// applier and its gates' poll. stop stops them and waits (before the
// store closes). Without an estate section it does nothing.
func startEstate(ctx context.Context, c config.Estate, st *store.Store, log *slog.Logger) (parts *estateParts, err error) {
	parts = &estateParts{stop: func() {}, answer: func(estate.CommandHandler) (func(), error) { return func() {}, nil }}
	if !c.Joined() {
		return parts, nil
	}
	log = log.With("part", "estate")
	o := estate.ServerOptions{Role: estate.Role(c.Role), StoreDir: c.StoreDir, Log: log}
	switch o.Role {
	case estate.RoleGate:
		if o.TLS, err = estate.GateTLS(c.TLS.CA); err != nil {
			return nil, fmt.Errorf("estate.tls.ca: %w", err)
		}
		if o.Seed, err = estate.ReadSeed(c.NKeySeedFile); err != nil {
			return nil, fmt.Errorf("estate.nkey_seed_file: %w", err)
		}
		o.Gate, o.OfficeURL = c.Gate, c.OfficeURL
	case estate.RoleOffice:
		if o.TLS, err = estate.OfficeTLS(c.TLS.Cert, c.TLS.Key); err != nil {
			return nil, fmt.Errorf("estate.tls.cert: %w", err)
		}
		o.Listen = c.Listen
		for _, g := range c.Gates {
			o.Gates = append(o.Gates, estate.GateKey{Name: g.Name, NKey: g.NKey})
		}
	}
	// JetStream's files are encrypted like the store (with a key kept in it).
	if o.Key, err = st.EstateStreamKey(); err != nil {
		return nil, err
	}
	srv, err := estate.StartServer(o)
	if err != nil {
		return nil, err
	}
	var (
		run      func(context.Context) error
		commands *estate.Commands
		also     []func(context.Context) error // the office's: run until ctx ends
	)
	switch o.Role {
	case estate.RoleGate:
		up, err := estate.NewUploader(estate.UploaderOptions{Gate: c.Gate, Conn: srv.Conn(), Events: st, Cursor: st, Log: log})
		if err != nil {
			srv.Close()
			return nil, err
		}
		run = up.Run
		parts.answer = func(h estate.CommandHandler) (func(), error) {
			var err error
			if commands, err = estate.ServeCommands(srv.Conn(), c.Gate, h, log); err != nil {
				return nil, err
			}
			return commands.Close, nil
		}
		log.Info("estate: a gate of the office", "gate", c.Gate, "office", c.OfficeURL)
	case estate.RoleOffice:
		off, err := estate.NewOffice(estate.OfficeOptions{Conn: srv.Conn(), Received: st.Received(), Log: log})
		if err != nil {
			srv.Close()
			return nil, err
		}
		var names []string
		for _, g := range c.Gates {
			names = append(names, g.Name)
		}
		gates, err := estate.NewGates(estate.GatesOptions{Server: srv, Names: names, Log: log})
		if err != nil {
			srv.Close()
			return nil, err
		}
		books := alarms.NewGateBooks()
		run = off.Run
		also = append(also, gates.Run, func(ctx context.Context) error {
			err := books.Follow(ctx, st.Received(), st)
			if err != nil {
				log.Error("the gates' alarms stopped being read", "err", err)
			}
			return err
		})
		parts.received, parts.gateLinks, parts.gateAlarms = st.Received(), gates, officeAlarms{books, st}
		log.Info("estate: the office", "listen", srv.LeafAddr(), "gates", len(c.Gates))
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	var others sync.WaitGroup
	for _, f := range also {
		others.Go(func() { f(ctx) })
	}
	go func() {
		defer close(done)
		// Run returns only when ctx ends or the store failed; the gate goes
		// on deciding either way, and the upload is tried again.
		for {
			err := run(ctx)
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
	}()
	parts.stop = func() {
		if commands != nil {
			commands.Close()
		}
		cancel()
		<-done
		others.Wait()
		srv.Close()
	}
	return parts, nil
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
