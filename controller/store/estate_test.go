package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUploadCursorIsDurableAndAChange(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	var seen []Change
	cancel := s.SubscribeChanges(func(c Change) { seen = append(seen, c) })
	defer cancel()

	seq, err := s.UploadCursor("events")
	require.NoError(t, err)
	assert.Zero(t, seq)
	require.NoError(t, s.SetUploadCursor("events", 42))
	require.Error(t, s.SetUploadCursor("", 1))
	assert.Equal(t, []Change{{Kind: EstateCursorSet, ID: "events", Value: "42"}}, seen)

	require.NoError(t, s.Close())
	s = openTestStore(t, dir)
	seq, err = s.UploadCursor("events")
	require.NoError(t, err)
	assert.Equal(t, uint64(42), seq)
	other, err := s.UploadCursor("other")
	require.NoError(t, err)
	assert.Zero(t, other)
}
