package alarms

import (
	"context"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/eventlog"
)

// TestGateBooksFollowEveryGatesAlarms: an office's books of two gates'
// alarms — opened as they arrive, a late arrival read once its gap fills,
// closed by the gate's own acknowledgement or by the office's (naming the
// gate), and the same again from the stores (a restart of the office).
func TestGateBooksFollowEveryGatesAlarms(t *testing.T) {
	ctx := context.Background()
	gateLog := func(evs ...eventlog.Event) []eventlog.Event {
		l, closeLog := openLog(t, t.TempDir())
		defer closeLog()
		for _, e := range evs {
			e.Time = t0
			_, err := l.Append(ctx, e)
			require.NoError(t, err)
		}
		out, err := l.Events(eventlog.Query{Limit: eventlog.MaxLimit})
		require.NoError(t, err)
		return out
	}
	a := gateLog(
		eventlog.Event{Kind: "access.granted", Door: "east"},
		eventlog.Event{Kind: "door.forced_open", Door: "east", Alarm: true}, // 2
		eventlog.Event{Kind: "alarm.duress", Door: "east", Alarm: true},     // 3
		eventlog.Event{Kind: Acknowledged, Ref: 3, Account: "guard-a"},      // 4: the gate's own guard
		eventlog.Event{Kind: "pd.tamper", PD: "r1", Alarm: true},            // 5
	)
	b := gateLog(eventlog.Event{Kind: "emergency.fire", Alarm: true}) // 1

	db, err := badger.Open(badger.DefaultOptions(t.TempDir()).WithLogger(nil).WithSyncWrites(true))
	require.NoError(t, err)
	defer db.Close()
	r := eventlog.OpenReceived(db)
	own, closeOwn := openLog(t, t.TempDir())
	defer closeOwn()

	g := NewGateBooks()
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- g.Follow(fctx, r, own) }()
	require.Eventually(t, func() bool { _, ok := g.Open(); return ok }, 5*time.Second, time.Millisecond)

	open := func() []string {
		as, _ := g.Open()
		var out []string
		for _, x := range as {
			out = append(out, x.Gate+":"+x.Event.Kind)
		}
		return out
	}
	// gate-a's 1, 2, 4, 5 arrive; 3 (the duress) is late.
	_, err = r.Apply("gate-a", []eventlog.Event{a[0], a[1], a[3], a[4]})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(open()) == 1 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, []string{"gate-a:door.forced_open"}, open(), "read up to the gap only")
	_, err = r.Apply("gate-a", []eventlog.Event{a[2]})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(open()) == 2 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, []string{"gate-a:door.forced_open", "gate-a:pd.tamper"}, open(), "the duress was acknowledged at the gate")
	_, err = r.Apply("gate-b", b)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(open()) == 3 }, 5*time.Second, time.Millisecond)

	// The office acknowledges gate-b's fire: its own event, naming the gate.
	ev, err := g.Ack(ctx, own, "gate-b", 1, "ada", "checked with the gate by phone", t0)
	require.NoError(t, err)
	assert.Equal(t, "gate-b", ev.AtGate)
	assert.Equal(t, uint64(1), ev.Ref)
	assert.Equal(t, []string{"gate-a:door.forced_open", "gate-a:pd.tamper"}, open())
	_, err = g.Ack(ctx, own, "gate-b", 1, "ada", "again", t0)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = g.Ack(ctx, own, "gate-a", 3, "ada", "acknowledged at the gate already", t0)
	assert.ErrorIs(t, err, ErrNotFound)
	// An office's acknowledgement of a gate's seq does not close the
	// office's own alarm with that seq.
	ownBook := NewBook()
	ownBook.Observe(eventlog.Event{Seq: 1, Kind: "door.held_open", Alarm: true})
	ownBook.Observe(eventlog.Event{Seq: 2, Kind: Acknowledged, AtGate: "gate-b", Ref: 1})
	ownOpen, _ := ownBook.Open()
	assert.Len(t, ownOpen, 1)

	cancel()
	require.NoError(t, <-done)
	// A restart: the same from the stores.
	g2 := NewGateBooks()
	fctx, cancel = context.WithCancel(ctx)
	defer cancel()
	go func() { done <- g2.Follow(fctx, r, own) }()
	require.Eventually(t, func() bool { _, ok := g2.Open(); return ok }, 5*time.Second, time.Millisecond)
	before, _ := g.Open()
	after, _ := g2.Open()
	assert.Equal(t, before, after)
	cancel()
	require.NoError(t, <-done)
}
