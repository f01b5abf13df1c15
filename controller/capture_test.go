package controller

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/policy"
	"menwei/controller/store"
)

// waitCapturing waits until a capture waits at the reader.
func (e *engine) waitCapturing(pd byte, reader int) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		e.c.captureMu.Lock()
		defer e.c.captureMu.Unlock()
		_, ok := e.c.captures[captureKey{pdSource(pdKey{"b", pd}), reader}]
		return ok
	}, 5*time.Second, time.Millisecond)
}

// A card read at a capturing reader goes to the capture, is not judged
// (no grant, no denial, the door stays shut) and is logged by its hint;
// the next read at that reader is judged again.
func TestCaptureCard(t *testing.T) {
	e := newEngine(t)
	type result struct {
		card store.Card
		err  error
	}
	got := make(chan result, 1)
	go func() {
		c, err := e.c.CaptureCard(context.Background(), "gate-in", 0, 10*time.Second)
		got <- result{c, err}
	}()
	e.waitCapturing(1, 0)
	_, err := e.c.CaptureCard(context.Background(), "gate-in", 0, time.Second)
	assert.ErrorIs(t, err, ErrCaptureBusy, "one capture per reader")

	e.card(1, 0, 1, 1) // Li Wei's card: would be granted
	r := <-got
	require.NoError(t, r.err)
	assert.Equal(t, "h10301:1:1", r.card.String())
	evs := e.events()
	require.Len(t, evs, 1, "no decision: %v", kinds(evs))
	assert.Equal(t, KindCardCaptured, evs[0].Kind)
	assert.Equal(t, "gate-in", evs[0].PD)
	assert.Equal(t, r.card.Hint(), evs[0].Card)
	assert.Equal(t, r.card.Ref(), evs[0].CardRef)
	assert.NotContains(t, evs[0].Detail, "1:1")
	assert.Empty(t, evs[0].Identity)

	e.card(1, 0, 1, 1)
	assert.Equal(t, KindGranted, e.decision().Kind, "the next read is an access attempt again")

	// Another reader is not captured; the wait ends.
	go func() {
		c, err := e.c.CaptureCard(context.Background(), "lobby-r", 1, time.Second)
		got <- result{c, err}
	}()
	e.waitCapturing(3, 1)
	e.card(1, 0, 1, 2)
	assert.Equal(t, KindGranted, e.decision().Kind)
	r = <-got
	assert.ErrorIs(t, r.err, ErrCaptureTimeout)
	e.c.captureMu.Lock()
	assert.Empty(t, e.c.captures, "a finished capture leaves nothing behind")
	e.c.captureMu.Unlock()

	_, err = e.c.CaptureCard(context.Background(), "nowhere", 0, time.Second)
	assert.ErrorIs(t, err, store.ErrNotFound)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.c.CaptureCard(ctx, "gate-in", 0, time.Second)
	assert.ErrorIs(t, err, context.Canceled)
}

// A person's own schedule limits them at every door; a schedule that does
// not exist fails closed.
func TestPersonSchedule(t *testing.T) {
	e := newEngine(t)
	li, err := e.s.Identity("li")
	require.NoError(t, err)
	li.Schedule = "evenings"
	require.NoError(t, e.s.PutIdentity(li))
	e.card(1, 0, 1, 1)
	assert.Equal(t, ReasonNoSchedule, e.decision().Reason)

	require.NoError(t, e.s.PutSchedule(store.Schedule{ID: "evenings", Periods: []string{"mon-sun 18:00-23:00"}}))
	require.NoError(t, e.c.ReloadSchedules())
	e.card(1, 0, 1, 1) // 09:00
	assert.Equal(t, policy.OutsideSchedule, e.decision().Reason)
	e.now = e.now.Add(10 * time.Hour) // 19:00
	e.card(1, 0, 1, 1)
	assert.Equal(t, KindGranted, e.decision().Kind)
	e.card(1, 0, 1, 2)
	assert.Equal(t, KindGranted, e.decision().Kind, "Wang Fang has no schedule of her own")
}
