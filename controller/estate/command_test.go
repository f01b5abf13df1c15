package estate_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/estate"
	"menwei/controller/estate/estatetest"
	"menwei/controller/eventlog"
)

// doorsT is a gate's doors as its API would answer for them: a mode per
// door, and each change recorded in the gate's log first.
type doorsT struct {
	mu    sync.Mutex
	g     *gateT
	modes map[string]string
}

func (d *doorsT) handle(ctx context.Context, c estate.Command) estate.Reply {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch c.Cmd {
	case estate.CmdMode:
		for _, n := range c.Doors {
			if _, ok := d.modes[n]; !ok {
				return estate.Reply{Status: 404, Code: "not_found", Message: n + ": no such door; no door was changed"}
			}
		}
		for _, n := range c.Doors {
			if _, err := d.g.st.Append(ctx, eventlog.Event{Kind: "door.mode", Door: n, Detail: c.Mode, Reason: c.Reason, Account: c.Account}); err != nil {
				return estate.Reply{Status: 500, Code: "internal", Message: err.Error()}
			}
			d.modes[n] = c.Mode
		}
		fallthrough
	case estate.CmdDoors:
		b, _ := json.Marshal(map[string]any{"doors": d.modes})
		return estate.Reply{Status: 200, Body: b}
	}
	return estate.Reply{Status: 400, Code: "bad_request", Message: "unknown command"}
}

func startGates(t *testing.T, e *estateT, timeout time.Duration) *estate.Gates {
	t.Helper()
	var names []string
	for _, g := range e.gates {
		names = append(names, g.Name)
	}
	gs, err := estate.NewGates(estate.GatesOptions{Server: e.officeSrv, Names: names, Timeout: timeout})
	require.NoError(t, err)
	return gs
}

// answers waits until gate answers the office.
func answers(t *testing.T, gs *estate.Gates, gate string) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, err := gs.Command(context.Background(), gate, estate.Command{Cmd: estate.CmdDoors, Account: "admin"})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "gate %s does not answer", gate)
	require.True(t, gs.Links()[0].Up)
}

func serve(t *testing.T, g *gateT) *doorsT {
	t.Helper()
	d := &doorsT{g: g, modes: map[string]string{"east-1": "normal", "east-2": "normal"}}
	c, err := estate.ServeCommands(g.srv.Conn(), g.name, d.handle, nil)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return d
}

func TestAGateAnswersTheOfficesCommandsAndRecordsThem(t *testing.T) {
	e := newEstate(t, "gate-a")
	e.startOffice()
	g := e.startGate("gate-a", t.TempDir(), "")
	d := serve(t, g)
	gs := startGates(t, e, 0)
	answers(t, gs, "gate-a")

	ctx := context.Background()
	r, err := gs.Command(ctx, "gate-a", estate.Command{Cmd: estate.CmdDoors, Account: "admin"})
	require.NoError(t, err)
	assert.Equal(t, 200, r.Status)
	assert.JSONEq(t, `{"doors":{"east-1":"normal","east-2":"normal"}}`, string(r.Body))

	r, err = gs.Command(ctx, "gate-a", estate.Command{Cmd: estate.CmdMode, Doors: []string{"east-1"}, Mode: "emergency_unlock", Reason: "fire drill", Account: "admin"})
	require.NoError(t, err)
	assert.Equal(t, 200, r.Status)
	d.mu.Lock()
	assert.Equal(t, "emergency_unlock", d.modes["east-1"], "the gate's door changed")
	d.mu.Unlock()
	l := gs.Links()[0]
	assert.JSONEq(t, `{"doors":{"east-1":"emergency_unlock","east-2":"normal"}}`, string(l.Doors), "the office keeps the gate's answer")
	assert.False(t, l.LastSeen.IsZero())

	// The gate's answer to a bad request is passed on as it is.
	r, err = gs.Command(ctx, "gate-a", estate.Command{Cmd: estate.CmdMode, Doors: []string{"west"}, Mode: "lockdown", Account: "admin"})
	require.NoError(t, err)
	assert.Equal(t, estate.Reply{V: estate.CommandVersion, Status: 404, Code: "not_found", Message: "west: no such door; no door was changed"}, r)

	// The gate recorded the change, naming the office's account, and it
	// went up like any other event.
	e.arrived(g, 1)
	evs, err := e.officeSt.Received().Events("gate-a", eventlog.Query{})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "door.mode", evs[0].Kind)
	assert.Equal(t, "admin", evs[0].Account)

	_, err = gs.Command(ctx, "gate-z", estate.Command{Cmd: estate.CmdDoors})
	assert.ErrorIs(t, err, estate.ErrUnknownGate)
}

func TestACutLinkMakesTheGateUnreachable(t *testing.T) {
	e := newEstate(t, "gate-a")
	e.startOffice()
	link := estatetest.NewLink(t, e.listen)
	g := e.startGate("gate-a", t.TempDir(), link.Addr())
	d := serve(t, g)
	gs := startGates(t, e, 500*time.Millisecond)
	answers(t, gs, "gate-a")

	link.Cut()
	start := time.Now()
	require.Eventually(t, func() bool {
		_, err := gs.Command(context.Background(), "gate-a", estate.Command{Cmd: estate.CmdDoors, Account: "admin"})
		return err != nil
	}, 10*time.Second, 10*time.Millisecond)
	l := gs.Links()[0]
	assert.False(t, l.Up)
	assert.False(t, l.LastSeen.IsZero(), "last seen stays")
	_, err := gs.Command(context.Background(), "gate-a", estate.Command{Cmd: estate.CmdMode, Doors: []string{"east-1"}, Mode: "lockdown", Account: "admin"})
	require.Error(t, err)
	assert.True(t, errors.Is(err, estate.ErrUnreachable) || errors.Is(err, estate.ErrNoAnswer), "%v", err)
	assert.Less(t, time.Since(start), 5*time.Second)
	d.mu.Lock()
	assert.Equal(t, "normal", d.modes["east-1"], "nothing reached the gate")
	d.mu.Unlock()

	link.Restore()
	require.Eventually(t, func() bool {
		_, err := gs.Command(context.Background(), "gate-a", estate.Command{Cmd: estate.CmdDoors, Account: "admin"})
		return err == nil
	}, 20*time.Second, 50*time.Millisecond)
}

// TestAGateCannotCommandNorReadAnothersCommands: gate-b's key (stolen,
// with a server and client under the thief's control) subscribes to
// gate-a's commands and publishes on gate-a's subject; it receives none
// and reaches nobody, and on the wire the office refuses both.
func TestAGateCannotCommandNorReadAnothersCommands(t *testing.T) {
	e := newEstate(t, "gate-a", "gate-b")
	e.startOffice()
	a := e.startGate("gate-a", t.TempDir(), "")
	serve(t, a)
	gs := startGates(t, e, time.Second)
	thief, err := estate.StartServer(estate.ServerOptions{Role: estate.RoleGate, Gate: "gate-b", StoreDir: t.TempDir(),
		TLS: e.pki.Client, OfficeURL: "tls://" + e.listen, Seed: e.keys["gate-b"]})
	require.NoError(t, err)
	defer thief.Close()
	require.Eventually(t, func() bool { return thief.Leaves() == 1 }, 10*time.Second, 10*time.Millisecond)
	nc := thief.Conn()
	spy, err := nc.SubscribeSync(estate.CommandSubject("gate-a"))
	require.NoError(t, err)
	spyAll, err := nc.SubscribeSync("menwei.cmd.>")
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	// gate-a's own subscription at gate-a sees what the thief sends on
	// its subject, if anything gets through.
	heard, err := a.srv.Conn().SubscribeSync(estate.CommandSubject("gate-a"))
	require.NoError(t, err)
	require.NoError(t, a.srv.Conn().Flush())

	answers(t, gs, "gate-a")
	for i := range 3 {
		_, err := gs.Command(context.Background(), "gate-a", estate.Command{Cmd: estate.CmdDoors, Account: "admin"})
		require.NoError(t, err, "command %d", i)
	}
	n, _, err := heard.Pending()
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 3, "gate-a got its commands (the test can fail)")
	heardBefore := n
	require.NoError(t, nc.Flush())
	for name, s := range map[string]*nats.Subscription{"gate-a's commands": spy, "any command": spyAll} {
		n, _, err := s.Pending()
		require.NoError(t, err)
		assert.Zero(t, n, "the thief read %s", name)
	}
	// Its wildcard subscription looks like interest, but an answer is
	// what makes a gate up: gate-b (which does not answer) is down.
	_, err = gs.Command(context.Background(), "gate-b", estate.Command{Cmd: estate.CmdDoors, Account: "admin"})
	assert.ErrorIs(t, err, estate.ErrNoAnswer)
	assert.False(t, gs.Links()[1].Up)

	require.NoError(t, nc.Publish(estate.CommandSubject("gate-a"), []byte(`{"v":1,"cmd":"mode","doors":["east-1"],"mode":"emergency_unlock"}`)))
	require.NoError(t, nc.Flush())
	time.Sleep(200 * time.Millisecond) // what would arrive, arrives on the link within this
	n, _, err = heard.Pending()
	require.NoError(t, err)
	assert.Equal(t, heardBefore, n, "the thief's command reached gate-a")

	// A modified gate on the wire: refused by the office.
	errLine := estatetest.LeafPublish(t, e.listen, e.pki.Client, e.keys["gate-b"], estate.CommandSubject("gate-a"), []byte(`{"v":1,"cmd":"doors"}`))
	assert.Equal(t, `-ERR 'Permissions Violation for Publish to "menwei.cmd.gate-a"'`, errLine)
	errLine = estatetest.LeafPublish(t, e.listen, e.pki.Client, e.keys["gate-b"], "_INBOX.anything", []byte(`{}`))
	assert.Equal(t, `-ERR 'Permissions Violation for Publish to "_INBOX.anything"'`, errLine, "a reply to no request of its own")
}
