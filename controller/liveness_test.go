package controller

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/firmware-mocks/osdppd"
)

// Alive holds while the controller runs, and names the bus whose event
// goroutine is stuck (here in a decision that does not return), so that the
// service watchdog stops being fed and the process is restarted.
func TestAliveNamesAStuckGoroutine(t *testing.T) {
	c, s, pdEnd := pipeController(t, `
buses:
  - name: b
    device: /dev/null
    pds: [{ name: gate-r, address: 1 }]
doors:
  - name: gate
    readers: [{ pd: gate-r }]
    lock: { pd: gate-r, output: 0 }
`)
	require.NoError(t, s.PutIdentity(store.Identity{ID: "li", Kind: policy.Resident, Name: "Li Wei"}))
	require.NoError(t, s.AddCredential(store.Credential{Kind: policy.Card, Key: "1:1", Identity: "li"}))
	pd, err := osdppd.New(osdppd.Config{Addr: 1})
	require.NoError(t, err)
	c.beatStale = 300 * time.Millisecond
	stuck, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c.decided = func(Event) { once.Do(func() { close(stuck); <-release }) }

	assert.ErrorContains(t, c.Alive(t.Context()), "controller not started")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); nakISTAT(ctx, pdEnd, pd, 0, new(int), new(sync.Mutex)) }()
	go func() { defer wg.Done(); c.Run(ctx) }()
	defer func() { cancel(); pdEnd.Close(); wg.Wait() }()

	<-c.Started()
	require.Eventually(t, func() bool { return c.Alive(t.Context()) == nil }, 10*time.Second, 20*time.Millisecond,
		"alive once running")

	pd.PresentWiegand26(1, 1) // its decision never returns: the bus's event goroutine is stuck
	<-stuck
	require.Eventually(t, func() bool {
		err := c.Alive(t.Context())
		return err != nil && assert.ErrorContains(t, err, "bus b: event goroutine: no turn for")
	}, 10*time.Second, 20*time.Millisecond, "a stuck event goroutine is not alive")
	err = c.Alive(t.Context())
	assert.NotContains(t, err.Error(), "supervisor", "only the stuck part is named")
	assert.NotContains(t, err.Error(), "event writer")

	close(release)
	require.Eventually(t, func() bool { return c.Alive(t.Context()) == nil }, 10*time.Second, 20*time.Millisecond,
		"alive again once it turns")
}
