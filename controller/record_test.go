package controller

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/controller/door"
)

// An event that happened is recorded even when the context it came with
// has ended. At a stop, a door's relock from the last tick of the
// supervisor comes with Run's context, already cancelled. The log dropped
// such an event about every other time (a select between a cancelled
// context and a queue with room picks either).
func TestRecordAfterContextEnded(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 20 {
		e.c.record(ctx, Event{Kind: door.EventRelocked, Door: "gate"})
	}
	n := 0
	for _, ev := range e.events() {
		if ev.Kind == door.EventRelocked {
			n++
		}
	}
	assert.Equal(t, 20, n)
}
