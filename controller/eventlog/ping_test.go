package eventlog

import (
	"context"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Ping answers while the writer turns, writes nothing, and does not answer
// while the writer is stuck in a write: what the service watchdog relies on.
func TestPing(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	ctx := t.Context()
	require.NoError(t, s.Ping(ctx))
	first, last := s.Stats()
	_, err := s.Append(ctx, Event{Kind: kindStart})
	require.NoError(t, err)
	require.NoError(t, s.Ping(ctx))
	_, last2 := s.Stats()
	assert.Equal(t, last+1, last2, "a ping writes no event (first %d)", first)

	// A write that does not come back holds the writer up: no answer.
	writing, release := make(chan struct{}), make(chan struct{})
	go s.submit(context.Background(), &appendReq{ev: Event{Kind: kindStart}, done: make(chan appendResult, 1),
		also: func(*badger.Txn, Event) error { close(writing); <-release; return nil }})
	<-writing
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, s.Ping(short), context.DeadlineExceeded, "a stuck writer does not answer")
	close(release)
	require.NoError(t, s.Ping(ctx), "answers again once the write is done")

	s.Log.Close()
	assert.ErrorIs(t, s.Ping(ctx), ErrClosed)
}
