package controller

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openTestStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenStore(StoreOptions{Dir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestResidentsAndCards(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	require.NoError(t, s.PutResident(Resident{ID: "r1", Name: "Li Wei", Unit: "3-201", Cards: []string{"1:1234"}}))
	card, err := ParseCard("h10301:1:1234")
	require.NoError(t, err)
	r, err := s.ResidentByCard(card)
	require.NoError(t, err)
	assert.Equal(t, "Li Wei", r.Name)
	assert.Equal(t, []string{"h10301:1:1234"}, r.Cards)

	err = s.PutResident(Resident{ID: "r2", Name: "Wang Fang", Cards: []string{"1:1234"}})
	assert.ErrorIs(t, err, ErrCardInUse)

	// Replacing the card frees the old one.
	require.NoError(t, s.PutResident(Resident{ID: "r1", Name: "Li Wei", Cards: []string{"1:999"}}))
	_, err = s.ResidentByCard(card)
	assert.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, s.PutResident(Resident{ID: "r2", Name: "Wang Fang", Cards: []string{"1:1234"}}))

	require.NoError(t, s.DeleteResident("r2"))
	_, err = s.ResidentByCard(card)
	assert.ErrorIs(t, err, ErrNotFound)
	all, err := s.Residents()
	require.NoError(t, err)
	assert.Len(t, all, 1)

	for _, bad := range []Resident{{ID: "", Name: "x"}, {ID: "a b", Name: "x"}, {ID: "ok"}, {ID: "ok", Name: "x", Cards: []string{"nonsense"}}} {
		assert.ErrorIs(t, s.PutResident(bad), ErrBadRequest, "%+v", bad)
	}
}

func TestStoreLockedByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	openTestStore(t, dir)
	_, err := OpenStore(StoreOptions{Dir: dir})
	assert.ErrorContains(t, err, "in use by another process")
}
