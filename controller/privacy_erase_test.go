package controller

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/store"
)

// Erasing a host leaves no record or event naming them: their visitor is
// hosted by the pseudonym, and the visitor's registration mentions the
// pseudonym; the visitor's own name stays, and the chain verifies.
func TestErasePersonReachesTheirVisitors(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	_, err := e.s.Append(ctx, Event{Kind: "visitor.registered", Identity: "v1", Name: "Guest", Mentions: []string{"li"}, Detail: "the host is the first mention"})
	require.NoError(t, err)
	e.card(1, 0, 1, 1) // li at the gate
	e.decision()

	rep, err := e.c.ErasePerson(ctx, "li", "ada")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Visitors)
	v, err := e.s.Identity("v1")
	require.NoError(t, err)
	assert.Equal(t, rep.Pseudonym, v.Host)
	_, err = e.s.Identity("li")
	assert.ErrorIs(t, err, store.ErrNotFound)

	evs, err := e.s.Events(EventQuery{Limit: 100})
	require.NoError(t, err)
	for _, ev := range evs {
		assert.NotContains(t, ev.Mentions, "li", "seq %d", ev.Seq)
		assert.NotEqual(t, "li", ev.Identity, "seq %d", ev.Seq)
		if ev.Kind == "visitor.registered" {
			assert.Equal(t, []string{rep.Pseudonym}, ev.Mentions)
			assert.Equal(t, "Guest", ev.Name)
		}
	}
	_, err = e.s.VerifyChain()
	require.NoError(t, err)
}
