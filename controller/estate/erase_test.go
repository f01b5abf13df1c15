package estate_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/estate"
	"menwei/controller/eventlog"
	"menwei/controller/store"
)

// A person erased at a gate after their events reached the office is
// erased at the office too, through the real stream: the office's copies
// end byte for byte the gate's, its copy of the chain verifies, and the
// gate sending its whole log again (past the stream's dedup window) is
// no conflict.
func TestAPersonErasedAtAGateIsErasedAtTheOffice(t *testing.T) {
	e := newEstate(t, "gate-a")
	e.dupWindow = 200 * time.Millisecond
	e.startOffice()
	dir := t.TempDir()
	g := e.startGate("gate-a", dir, "")
	ctx := context.Background()
	for _, ev := range []eventlog.Event{
		{Kind: "access.granted", Door: "east", Identity: "li", Name: "Li Wei", Card: "****1234"},
		{Kind: "visitor.registered", Identity: "v1", Name: "Guest Zhang", Mentions: []string{"li"}},
		{Kind: "access.granted", Door: "east", Identity: "wang", Name: "Wang Fang"},
	} {
		_, err := g.st.Append(ctx, ev)
		require.NoError(t, err)
	}
	e.arrived(g, 3)
	held := officeJSON(t, e, g.name)
	assert.Contains(t, held, "Li Wei", "the office held the name (the checks below can fail)")

	res, err := g.st.Erase(ctx, "li", "erased-1", "ada")
	require.NoError(t, err)
	require.Equal(t, []uint64{4}, res.Erasures)
	e.arrived(g, 4) // the erasure is applied in the transaction that stores it
	checkSameAsGate(t, e, g)

	// The gate loses its cursor and sends everything again, after the
	// stream's dedup window: the erased events are the office's copies.
	g.stop()
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "store")})
	require.NoError(t, err)
	require.NoError(t, st.SetUploadCursor(estate.CursorEvents, 0))
	require.NoError(t, st.Close())
	time.Sleep(300 * time.Millisecond) // past the window (not an assertion)
	g = e.startGate("gate-a", dir, "")
	require.Eventually(t, func() bool { return e.streamMsgs() == 8 }, 30*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool { return e.office.Through() == 8 }, 30*time.Second, 10*time.Millisecond)
	assert.NotContains(t, e.officeLog.String(), "a gate sent another event", "no conflict")
	assert.Contains(t, e.officeLog.String(), "pseudonymised the office's copies", "the office logged (the check above can fail)")
	assert.Equal(t, uint64(4), e.office.Applied())
	checkSameAsGate(t, e, g)
}

// officeJSON is the office's copies of gate's events, as stored.
func officeJSON(t *testing.T, e *estateT, gate string) string {
	t.Helper()
	evs, err := e.officeSt.Received().Events(gate, eventlog.Query{Limit: eventlog.MaxLimit})
	require.NoError(t, err)
	b, err := json.Marshal(evs)
	require.NoError(t, err)
	return string(b)
}

func checkSameAsGate(t *testing.T, e *estateT, g *gateT) {
	t.Helper()
	want, err := g.st.Events(eventlog.Query{Limit: eventlog.MaxLimit})
	require.NoError(t, err)
	wb, err := json.Marshal(want)
	require.NoError(t, err)
	got := officeJSON(t, e, g.name)
	assert.Equal(t, string(wb), got, "the office's copies are the gate's, byte for byte")
	assert.NotContains(t, got, "Li Wei")
	assert.NotContains(t, got, `"li"`)
	n, err := e.officeSt.Received().Verify(g.name)
	require.NoError(t, err, "the office's copy of the chain verifies whole")
	assert.EqualValues(t, len(want), n)
}
