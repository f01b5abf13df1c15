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

func TestEstateStreamKeyIsKeptAndOnlyForAnEncryptedStore(t *testing.T) {
	plain := openTestStore(t, t.TempDir())
	k, err := plain.EstateStreamKey()
	require.NoError(t, err)
	assert.Nil(t, k, "a plaintext store: plaintext JetStream files")

	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, Key: testKey(t, 1)})
	require.NoError(t, err)
	var seen []Change
	cancel := s.SubscribeChanges(func(c Change) { seen = append(seen, c) })
	k1, err := s.EstateStreamKey()
	require.NoError(t, err)
	require.Len(t, k1, 32)
	k2, err := s.EstateStreamKey()
	require.NoError(t, err)
	assert.Equal(t, k1, k2)
	cancel()
	assert.Empty(t, seen, "a secret, not a change")
	require.NoError(t, s.Close())
	s, err = Open(Options{Dir: dir, Key: testKey(t, 1)})
	require.NoError(t, err)
	defer s.Close()
	k3, err := s.EstateStreamKey()
	require.NoError(t, err)
	assert.Equal(t, k1, k3, "the same after a restart")
}
