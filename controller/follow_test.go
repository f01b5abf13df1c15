package controller

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/config"
	"menwei/controller/policy"
	"menwei/controller/store"
)

// A face written to the store by any path (here straight to the store, as
// replication from the office will) is in the face index once the write
// returns; deleting the faces or the person takes it out again.
func TestFaceIndexFollowsTheStore(t *testing.T) {
	cfg, err := config.Parse([]byte(engineConfig), t.TempDir())
	require.NoError(t, err)
	s, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	require.NoError(t, s.PutIdentity(store.Identity{ID: "li", Kind: "resident", Name: "Li Wei"}))
	consent(t, s, "li")
	faces, err := NewFaceIndex(config.Face{})
	require.NoError(t, err)
	c, err := New(Options{Config: cfg, Store: s, Faces: faces})
	require.NoError(t, err)

	var v [128]float32
	v[0], v[1] = 0.3, 0.1
	assert.Equal(t, "", faces.Search(v).Identity, "nothing enrolled")
	require.NoError(t, s.PutFace(store.FaceRecord{Identity: "li", ID: "front", Vector: v}))
	assert.Equal(t, "li", faces.Search(v).Identity, "written to the store: indexed")
	_, err = s.DeleteFaces("li")
	require.NoError(t, err)
	assert.Equal(t, "", faces.Search(v).Identity, "faces deleted: gone from the index")

	require.NoError(t, c.EnrollDescriptor("li", "front", v))
	assert.Equal(t, "li", faces.Search(v).Identity, "enrolled through the controller")
	require.NoError(t, s.DeleteIdentity("li"))
	assert.Equal(t, "", faces.Search(v).Identity, "the person removed: gone from the index")

	var bad [128]float32
	bad[3] = float32(1e9)
	require.NoError(t, s.PutIdentity(store.Identity{ID: "wang", Kind: "resident", Name: "Wang Fang"}))
	consent(t, s, "wang")
	assert.Error(t, c.EnrollDescriptor("wang", "f", bad), "a descriptor the index refuses")
	n := 0
	require.NoError(t, s.Faces(func(store.FaceRecord) bool { n++; return true }))
	assert.Zero(t, n, "…is not stored either")

	c.Close()
	require.NoError(t, s.PutIdentity(store.Identity{ID: "li", Kind: "resident", Name: "Li Wei"}))
	consent(t, s, "li")
	require.NoError(t, s.PutFace(store.FaceRecord{Identity: "li", ID: "front", Vector: v}))
	assert.Equal(t, "", faces.Search(v).Identity, "after Close the controller no longer follows")
}

// consent records that the person agreed to their face being used.
func consent(t *testing.T, s *store.Store, id string) {
	t.Helper()
	require.NoError(t, s.GiveConsent(store.Consent{Identity: id, Biometric: policy.Face, Text: "face-v1", Account: "test"}))
}

// A schedule written to the store is used by the next decision without
// waiting for the minute's reload.
func TestScheduleChangeReloadsAtOnce(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.c.supervise(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	e.card(3, 1, 1, 3)
	assert.Equal(t, ReasonNoSchedule, e.decision().Reason, "a missing schedule fails closed")
	require.NoError(t, e.s.PutSchedule(store.Schedule{ID: "office-hours", Periods: []string{"mon-fri 08:00-18:00"}}))
	deadline := time.Now().Add(10 * time.Second)
	for e.c.schedule("office-hours") == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	e.card(3, 1, 1, 3)
	assert.Equal(t, KindGranted, e.decision().Kind, "staff in office hours, with the schedule just written")
}
