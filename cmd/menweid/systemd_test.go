package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/firmware-mocks/osdppd"
)

// The watchdog is fed on a tick only when the controller is alive; while it
// is not, nothing is sent and the reason is logged once.
func TestWatchdogFedOnlyWhileAlive(t *testing.T) {
	ticks := make(chan time.Time)
	sent := make(chan string, 10)
	aliveErr := make(chan error)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchdog(ctx, ticks, time.Second, func(ctx context.Context) error {
			select {
			case err := <-aliveErr:
				return err
			case <-ctx.Done():
				return ctx.Err()
			}
		},
			func(s string) (bool, error) { sent <- s; return true, nil }, log)
	}()
	// Each tick's outcome is known once the loop takes the next tick (the
	// channel is unbuffered): what it sent is then in sent.
	fed := func(err error) string {
		aliveErr <- err
		ticks <- time.Now()
		select {
		case s := <-sent:
			return s
		default:
			return ""
		}
	}
	ticks <- time.Now()
	assert.Equal(t, "WATCHDOG=1", fed(nil))
	stuck := errors.New("bus gate: loop does not answer")
	assert.Equal(t, "", fed(stuck), "not fed while not alive")
	assert.Equal(t, "", fed(stuck), "nor on the next tick")
	assert.Equal(t, "WATCHDOG=1", fed(nil), "fed again once alive")
	assert.Equal(t, 1, strings.Count(logs.String(), "not alive"), "logged once: %s", logs.String())
	assert.Contains(t, logs.String(), "bus gate: loop does not answer")
	assert.Contains(t, logs.String(), "alive again")
	cancel()
	<-done
}

// Under systemd (NOTIFY_SOCKET, WATCHDOG_USEC) the real menweid says
// READY=1 only once its controller has started, feeds the watchdog while it
// runs, and says STOPPING=1 when asked to stop.
func TestSystemdNotifyAndWatchdog(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	require.NoError(t, err)
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "400000") // fed every 200 ms

	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: pd, seed: true})
	read := func() string {
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
		buf := make([]byte, 512)
		n, err := conn.Read(buf)
		require.NoError(t, err, "a notification")
		return string(buf[:n])
	}
	first := read()
	assert.True(t, strings.HasPrefix(first, "READY=1\nSTATUS=ready: 1 buses, 1 doors"), first)
	select {
	case <-g.ctl.Started():
	default:
		t.Fatal("READY=1 before the controller started")
	}
	for range 3 {
		assert.Equal(t, "WATCHDOG=1", read())
	}
	g.shutdown()
	for {
		s := read()
		if s != "WATCHDOG=1" {
			assert.Equal(t, "STOPPING=1", s)
			break
		}
	}
}
