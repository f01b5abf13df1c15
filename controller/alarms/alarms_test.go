package alarms

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/eventlog"
)

func openLog(t *testing.T, dir string) (*eventlog.Log, func()) {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil).WithSyncWrites(true))
	require.NoError(t, err)
	l, err := eventlog.Open(db, nil)
	require.NoError(t, err)
	return l, func() { l.Close(); db.Close() }
}

// follow runs b.Follow on l until stop (or the test's end).
func follow(t *testing.T, b *Book, l *eventlog.Log) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Follow(ctx, l) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); require.NoError(t, <-done) }) }
	t.Cleanup(stop)
	require.Eventually(t, func() bool { _, ok := b.Open(); return ok }, 5*time.Second, time.Millisecond)
	return stop
}

func seqs(as []Alarm) []uint64 {
	var out []uint64
	for _, a := range as {
		out = append(out, a.Event.Seq)
	}
	return out
}

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// Alarms open, clear by themselves where their condition ends, close only
// by acknowledgement, and the same comes back from reading the log again
// (a restart).
func TestOpenClearAckAndReadAgain(t *testing.T) {
	dir := t.TempDir()
	l, closeLog := openLog(t, dir)
	ctx := context.Background()
	add := func(e eventlog.Event) uint64 {
		e.Time = t0
		got, err := l.Append(ctx, e)
		require.NoError(t, err)
		return got.Seq
	}
	add(eventlog.Event{Kind: "access.granted", Door: "east"})
	forced := add(eventlog.Event{Kind: "door.forced_open", Door: "east", Alarm: true})
	add(eventlog.Event{Kind: "alert.door_forced", Door: "east", Alarm: true}) // the watcher's copy: not a second alarm
	tamper := add(eventlog.Event{Kind: "pd.tamper", PD: "east-reader", Alarm: true})
	offline := add(eventlog.Event{Kind: "pd.offline", PD: "west-reader", Alarm: true})
	burst := add(eventlog.Event{Kind: "alert.denial_burst", Door: "west", Alarm: true})
	add(eventlog.Event{Kind: "door.closed", Door: "west"})           // another door: clears nothing
	closed := add(eventlog.Event{Kind: "door.closed", Door: "east"}) // ends the forced-open condition
	add(eventlog.Event{Kind: "pd.online", PD: "east-reader"})        // another terminal

	b := NewBook()
	stop := follow(t, b, l)
	open, _ := b.Open()
	assert.Equal(t, []uint64{forced, tamper, offline, burst}, seqs(open))
	require.NotNil(t, open[0].Cleared, "the door closed again")
	assert.Equal(t, closed, open[0].Cleared.Seq)
	for _, a := range open[1:] {
		assert.Nil(t, a.Cleared, "%s has not cleared", a.Event.Kind)
	}

	// Live: a new alarm appears, the terminal comes back.
	duress := add(eventlog.Event{Kind: "alarm.duress", Door: "west", Alarm: true})
	online := add(eventlog.Event{Kind: "pd.online", PD: "west-reader"})
	require.Eventually(t, func() bool { o, _ := b.Open(); return len(o) == 5 && o[2].Cleared != nil }, 5*time.Second, time.Millisecond)
	open, _ = b.Open()
	assert.Equal(t, online, open[2].Cleared.Seq)
	assert.Equal(t, duress, open[4].Event.Seq)

	// Acknowledge: recorded with who and the note, closed at once.
	ack, err := b.Ack(ctx, l, forced, "gus", "checked, a delivery", t0)
	require.NoError(t, err)
	assert.Equal(t, Acknowledged, ack.Kind)
	assert.Equal(t, forced, ack.Ref)
	assert.Equal(t, "gus", ack.Account)
	assert.Equal(t, "checked, a delivery", ack.Detail)
	assert.Equal(t, "east", ack.Door)
	open, _ = b.Open()
	assert.Equal(t, []uint64{tamper, offline, burst, duress}, seqs(open))

	// Refusals record nothing.
	head := ack.Seq
	_, err = b.Ack(ctx, l, forced, "gus", "again", t0)
	assert.ErrorIs(t, err, ErrAcknowledged)
	_, err = b.Ack(ctx, l, closed, "gus", "", t0)
	assert.ErrorIs(t, err, ErrNotAlarm)
	_, err = b.Ack(ctx, l, forced+1, "gus", "", t0) // the watcher's copy
	assert.ErrorIs(t, err, ErrNotAlarm)
	_, err = b.Ack(ctx, l, 99999, "gus", "", t0)
	assert.ErrorIs(t, err, ErrNotFound)
	evs, err := l.Events(eventlog.Query{After: head})
	require.NoError(t, err)
	assert.Empty(t, evs, "a refused acknowledgement records nothing")
	_, err = l.VerifyChain()
	require.NoError(t, err)

	// A restart reads the log again: the same open alarms.
	stop()
	closeLog()
	l2, closeLog2 := openLog(t, dir)
	defer closeLog2()
	b2 := NewBook()
	stop2 := follow(t, b2, l2)
	defer stop2() // before the log closes: a follower reading a closed log fails
	again, _ := b2.Open()
	assert.Equal(t, open, again)
}

// A book that falls behind the live stream is dropped by the log; Follow
// subscribes again and reads the gap, so it misses nothing.
func TestFollowSurvivesBeingDropped(t *testing.T) {
	l, closeLog := openLog(t, t.TempDir())
	defer closeLog()
	b := NewBook()
	b.mu.Lock() // hold the book: the stream fills and drops it
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Follow(ctx, l) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	var want []uint64
	for i := range 3000 {
		e, err := l.Append(context.Background(), eventlog.Event{Time: t0, Kind: "pd.tamper", PD: "p", Alarm: i%3 == 0})
		require.NoError(t, err)
		if i%3 == 0 {
			want = append(want, e.Seq)
		}
	}
	b.mu.Unlock()
	require.Eventually(t, func() bool { o, _ := b.Open(); return len(o) == len(want) }, 10*time.Second, 5*time.Millisecond)
	o, _ := b.Open()
	assert.Equal(t, want, seqs(o))
}

func TestAckBeforeReady(t *testing.T) {
	l, closeLog := openLog(t, t.TempDir())
	defer closeLog()
	_, err := NewBook().Ack(context.Background(), l, 1, "gus", "", t0)
	assert.ErrorIs(t, err, ErrNotReady)
}
