package controller

import (
	"context"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/config"
	"menwei/controller/policy"
	"menwei/controller/store"
)

// With the controller's clock moved on: a visitor's face stays through the
// grace after the pass ends and is gone after it (from the store and the
// index), counted; crops of refused faces go when older than max_age, and
// beyond max_count; each deletion is counted once.
func TestRetentionWithAClock(t *testing.T) {
	cfg, err := config.Parse([]byte(engineConfig+"face:\n  crops: { max_count: 3 }\n"), t.TempDir())
	require.NoError(t, err)
	s, err := store.Open(store.Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	now := start
	faces, err := NewFaceIndex(cfg.Face)
	require.NoError(t, err)
	c, err := New(Options{Config: cfg, Store: s, Faces: faces, Now: func() time.Time { return now }})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	var v [128]float32
	v[0], v[5] = 0.2, -0.1
	until := start.Add(2 * time.Hour)
	require.NoError(t, s.PutIdentity(store.Identity{ID: "v1", Kind: policy.Visitor, Name: "Guest", Host: "li",
		Pass: &store.Pass{From: start, Until: until}}))
	consent(t, s, "v1")
	require.NoError(t, c.EnrollDescriptor("v1", "photo", v))
	var w [128]float32
	w[0], w[2] = -0.4, 0.4
	require.NoError(t, s.PutIdentity(store.Identity{ID: "v2", Kind: policy.Visitor, Name: "Later guest",
		Pass: &store.Pass{From: start, Until: start.Add(30 * 24 * time.Hour)}}))
	consent(t, s, "v2")
	require.NoError(t, c.EnrollDescriptor("v2", "photo", w))

	// Five refused faces' crops, one a day.
	ctx := context.Background()
	var seqs []uint64
	for d := range 5 {
		now = start.Add(time.Duration(d) * 24 * time.Hour)
		e, err := s.Append(ctx, c.stamp(Event{Kind: KindDenied, Reason: ReasonUnknownFace}))
		require.NoError(t, err)
		require.NoError(t, s.PutCrop(e.Seq, []byte("jpeg")))
		seqs = append(seqs, e.Seq)
	}
	deleted := func(what string) float64 {
		var m dto.Metric
		require.NoError(t, c.metrics.retained.WithLabelValues(what).Write(&m))
		return m.GetCounter().GetValue()
	}
	crops := func() (left []uint64) {
		for _, q := range seqs {
			if b, err := s.Crop(q); err == nil && b != nil {
				left = append(left, q)
			}
		}
		return left
	}

	now = until.Add(23 * time.Hour)
	c.retain(now)
	assert.Equal(t, "v1", faces.Search(v).Identity, "within the grace: kept")
	assert.Zero(t, deleted("visitor_face"))
	assert.Equal(t, seqs[2:], crops(), "only the newest 3 crops are kept")
	assert.Equal(t, 2.0, deleted("face_crop"))

	now = until.Add(25 * time.Hour)
	c.retain(now)
	assert.Equal(t, "", faces.Search(v).Identity, "after the grace: gone from the index")
	n := 0
	require.NoError(t, s.Faces(func(f store.FaceRecord) bool {
		assert.NotEqual(t, "v1", f.Identity, "and from the store")
		n++
		return true
	}))
	assert.Equal(t, 1, n, "the visitor whose pass runs on keeps theirs")
	assert.Equal(t, "v2", faces.Search(w).Identity)
	assert.Equal(t, 1.0, deleted("visitor_face"))
	_, err = s.Identity("v1")
	assert.NoError(t, err, "the visitor's record stays (the events name them)")

	// Day 9: the crops of days 0-1 are gone already; days 2 (9-2 = 7 days
	// old, the limit) and older go, 3 and 4 stay.
	now = start.Add(9*24*time.Hour + time.Minute)
	c.retain(now)
	assert.Equal(t, seqs[3:], crops())
	assert.Equal(t, 3.0, deleted("face_crop"))
	c.retain(now)
	assert.Equal(t, 3.0, deleted("face_crop"), "nothing counted twice")
	assert.Equal(t, 1.0, deleted("visitor_face"))
}

// The newest event at or before a time, by binary search over seq.
func TestLastSeqAtOrBefore(t *testing.T) {
	e := newEngine(t)
	start := e.now
	ctx := context.Background()
	for i := range 50 {
		e.now = start.Add(time.Duration(i) * time.Minute)
		_, err := e.s.Append(ctx, e.c.stamp(Event{Kind: "test"}))
		require.NoError(t, err)
	}
	for _, tt := range []struct {
		at   time.Time
		want uint64
	}{
		{start.Add(-time.Second), 0},
		{start, 1},
		{start.Add(10*time.Minute + 30*time.Second), 11},
		{start.Add(49 * time.Minute), 50},
		{start.Add(time.Hour), 50},
	} {
		got, err := e.c.lastSeqAtOrBefore(tt.at)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, tt.at.Sub(start))
	}
}

// A crop older than max_age goes however many events came before it (the
// age used to be judged from the first 1,000 events only, so on a busy
// gate old crops stayed for ever).
func TestOldCropsGoOnABusyGate(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	var last uint64
	for range 1200 {
		ev, err := e.s.Append(ctx, e.c.stamp(Event{Kind: KindDenied, Reason: ReasonUnknownFace}))
		require.NoError(t, err)
		last = ev.Seq
	}
	require.NoError(t, e.s.PutCrop(last, []byte("jpeg")))
	e.now = e.now.Add(8 * 24 * time.Hour)
	e.c.retain(e.now)
	_, err := e.s.Crop(last)
	assert.ErrorIs(t, err, store.ErrNotFound, "the 1,200th event's crop is 8 days old: deleted")
}
