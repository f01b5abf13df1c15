package osdp_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// gatedPort is a line whose port is not open until open is closed, as a
// serialport.Reopener at start-up: writes fail at once meanwhile.
type gatedPort struct {
	net.Conn
	open chan struct{}

	mu        sync.Mutex
	downWrite int
}

func (g *gatedPort) Ready() <-chan struct{} { return g.open }

func (g *gatedPort) Write(b []byte) (int, error) {
	select {
	case <-g.open:
		return g.Conn.Write(b)
	default:
		g.mu.Lock()
		g.downWrite++
		g.mu.Unlock()
		return 0, errors.New("serialport: write: reopening: serialport: device gone")
	}
}

func (g *gatedPort) writesWhileDown() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.downWrite
}

// waitEvent reads loop events until one of kind arrives.
func waitEvent(t *testing.T, events <-chan osdp.Event, kind osdp.EventKind) osdp.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-events:
			require.True(t, ok, "loop stopped")
			if e.Kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("no %v event", kind)
		}
	}
}

// At start-up the loop waits for its port: the first ID goes out once the
// port is open, and no connection attempt is lost to a port not open yet.
func TestLoopWaitsForThePortBeforeTheFirstID(t *testing.T) {
	cpEnd, pdEnd := net.Pipe()
	port := &gatedPort{Conn: cpEnd, open: make(chan struct{})}
	pd, err := osdppd.New(osdppd.Config{Addr: 3})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	defer pdEnd.Close()
	wg.Add(1)
	go func() { defer wg.Done(); osdppd.Serve(ctx, pdEnd, pd) }()

	loop, err := osdp.NewLoop(osdp.LoopConfig{Bus: osdp.BusConfig{PDs: []osdp.PDConfig{{Addr: 3}}}, Port: port})
	require.NoError(t, err)
	wg.Add(1)
	go func() { defer wg.Done(); loop.Run(ctx) }()
	// Status is served by the loop goroutine: once it answers, the loop
	// has been through its first round.
	_, err = loop.Status(ctx)
	require.NoError(t, err)
	assert.Zero(t, port.writesWhileDown(), "nothing written before the port is open")

	close(port.open)
	waitEvent(t, loop.Events(), osdp.EventOnline)
	assert.Zero(t, port.writesWhileDown())
	ids := 0
	for _, m := range pd.Commands() {
		if m.Code() == osdp.CmdID {
			ids++
		}
	}
	assert.Equal(t, 1, ids, "online at the first attempt")
}
