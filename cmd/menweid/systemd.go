package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// menweid under systemd (Type=notify, WatchdogSec=): it says READY=1 only
// once its store is open, its controller has started every bus loop and its
// API listens, and it feeds the watchdog only while the goroutines the doors
// depend on still turn (controller.Alive), so a stuck loop gets the process
// restarted (Restart=always) instead of a gate that looks up and opens
// nothing. Outside systemd (no NOTIFY_SOCKET) all of this does nothing.

// notifier sends one state to the service manager (sd_notify); false, nil
// when there is none.
type notifier func(state string) (bool, error)

// sdNotify is the service manager's notify socket ($NOTIFY_SOCKET).
func sdNotify(state string) (bool, error) { return daemon.SdNotify(false, state) }

// watchdogInterval is the watchdog's period asked for by the service
// manager ($WATCHDOG_USEC), 0 when there is no watchdog.
func watchdogInterval() (time.Duration, error) { return daemon.SdWatchdogEnabled(false) }

// watchdog feeds the service manager's watchdog on every tick on which
// alive answers nil within timeout, until ctx ends. A tick on which it does
// not is not fed, and the reason is logged once when it starts and once
// when it ends: systemd kills and restarts menweid if it stays so for the
// whole WatchdogSec.
func watchdog(ctx context.Context, ticks <-chan time.Time, timeout time.Duration, alive func(context.Context) error, notify notifier, log *slog.Logger) {
	var failing error
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
		actx, cancel := context.WithTimeout(ctx, timeout)
		err := alive(actx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		switch {
		case err != nil && failing == nil:
			log.Error("not alive: the service watchdog is no longer fed (systemd restarts menweid if this lasts)", "err", err)
		case err == nil && failing != nil:
			log.Info("alive again: the service watchdog is fed")
		}
		failing = err
		if err != nil {
			continue
		}
		if _, nerr := notify(daemon.SdNotifyWatchdog); nerr != nil {
			log.Warn("feeding the service watchdog", "err", nerr)
		}
	}
}
