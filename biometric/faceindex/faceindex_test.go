package faceindex

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// at returns a descriptor at position p on the first axis: the distance
// between at(a) and at(b) is |a − b|.
func at(p float32) Descriptor {
	var d Descriptor
	d[0] = p
	return d
}

var inf = float32(math.Inf(1))

func TestOpenSet(t *testing.T) {
	tests := []struct {
		name           string
		cfg            Config
		enrol          []Entry
		remove         []string
		removeIdentity []string
		query          Descriptor
		want           Result
	}{{
		name:  "empty index",
		query: at(0),
		want:  Result{Distance: inf, RunnerDistance: inf, Reason: ReasonNoEnrolment},
	}, {
		name:  "match",
		enrol: []Entry{{"alice", "a1", at(0)}, {"bob", "b1", at(1)}},
		query: at(0.1),
		want:  Result{Identity: "alice", Nearest: "alice", Distance: 0.1, Runner: "bob", RunnerDistance: 0.9, Reason: ReasonMatch},
	}, {
		name:  "stranger is too far from the nearest resident",
		enrol: []Entry{{"alice", "a1", at(0)}, {"bob", "b1", at(1.2)}},
		query: at(0.55),
		want:  Result{Nearest: "alice", Distance: 0.55, Runner: "bob", RunnerDistance: 0.65, Reason: ReasonTooFar},
	}, {
		name:  "threshold is exclusive",
		cfg:   Config{Threshold: 0.25},
		enrol: []Entry{{"alice", "a1", at(0)}, {"bob", "b1", at(1)}},
		query: at(0.25),
		want:  Result{Nearest: "alice", Distance: 0.25, Runner: "bob", RunnerDistance: 0.75, Reason: ReasonTooFar},
	}, {
		name:  "ambiguous between two identities",
		enrol: []Entry{{"alice", "a1", at(0)}, {"bob", "b1", at(0.5)}},
		query: at(0.22),
		want:  Result{Nearest: "alice", Distance: 0.22, Runner: "bob", RunnerDistance: 0.28, Reason: ReasonAmbiguous},
	}, {
		name:  "wider margin makes a match ambiguous",
		cfg:   Config{Margin: 0.9},
		enrol: []Entry{{"alice", "a1", at(0)}, {"bob", "b1", at(1)}},
		query: at(0.1),
		want:  Result{Nearest: "alice", Distance: 0.1, Runner: "bob", RunnerDistance: 0.9, Reason: ReasonAmbiguous},
	}, {
		name: "own descriptors never count as runner",
		enrol: []Entry{
			{"alice", "a1", at(0)}, {"alice", "a2", at(0.04)}, {"alice", "a3", at(0.06)},
			{"bob", "b1", at(0.9)},
		},
		query: at(0.03),
		want:  Result{Identity: "alice", Nearest: "alice", Distance: 0.01, Runner: "bob", RunnerDistance: 0.87, Reason: ReasonMatch},
	}, {
		name:  "only one identity enrolled",
		enrol: []Entry{{"alice", "a1", at(0)}, {"alice", "a2", at(0.1)}},
		query: at(0.2),
		want:  Result{Identity: "alice", Nearest: "alice", Distance: 0.1, RunnerDistance: inf, Reason: ReasonMatch},
	}, {
		name:   "removed descriptor is not found",
		enrol:  []Entry{{"alice", "a1", at(0)}, {"alice", "a2", at(0.3)}, {"bob", "b1", at(-0.5)}},
		remove: []string{"a1"},
		query:  at(0),
		want:   Result{Identity: "alice", Nearest: "alice", Distance: 0.3, Runner: "bob", RunnerDistance: 0.5, Reason: ReasonMatch},
	}, {
		name:           "removed identity is not found",
		enrol:          []Entry{{"alice", "a1", at(0)}, {"alice", "a2", at(0.1)}, {"bob", "b1", at(0.45)}},
		removeIdentity: []string{"alice"},
		query:          at(0),
		want:           Result{Identity: "bob", Nearest: "bob", Distance: 0.45, RunnerDistance: inf, Reason: ReasonMatch},
	}, {
		name:   "everything removed",
		enrol:  []Entry{{"alice", "a1", at(0)}},
		remove: []string{"a1"},
		query:  at(0),
		want:   Result{Distance: inf, RunnerDistance: inf, Reason: ReasonNoEnrolment},
	}, {
		name:  "same id replaces the descriptor",
		enrol: []Entry{{"alice", "a1", at(0)}, {"bob", "b1", at(1)}, {"alice", "a1", at(0.8)}},
		query: at(0),
		want:  Result{Nearest: "alice", Distance: 0.8, Runner: "bob", RunnerDistance: 1, Reason: ReasonTooFar},
	}, {
		name:  "same id moves the descriptor to another identity",
		enrol: []Entry{{"alice", "x", at(0)}, {"bob", "b1", at(1)}, {"bob", "x", at(0)}},
		query: at(0),
		want:  Result{Identity: "bob", Nearest: "bob", Distance: 0, RunnerDistance: inf, Reason: ReasonMatch},
	}, {
		name:  "exact tie goes to the smaller name",
		enrol: []Entry{{"bob", "b1", at(0.2)}, {"alice", "a1", at(0.2)}},
		query: at(0),
		want:  Result{Nearest: "alice", Distance: 0.2, Runner: "bob", RunnerDistance: 0.2, Reason: ReasonAmbiguous},
	}, {
		name:  "invalid query",
		enrol: []Entry{{"alice", "a1", at(0)}},
		query: at(float32(math.NaN())),
		want:  Result{Distance: inf, RunnerDistance: inf, Reason: ReasonInvalid},
	}, {
		name:  "query component too large",
		enrol: []Entry{{"alice", "a1", at(0)}},
		query: at(MaxComponent * 2),
		want:  Result{Distance: inf, RunnerDistance: inf, Reason: ReasonInvalid},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := mustNew(t, tt.cfg, tt.enrol)
			m := &model{}
			for _, e := range tt.enrol {
				m.add(e.Identity, e.ID, e.Descriptor)
			}
			for _, id := range tt.remove {
				require.True(t, x.Remove(id))
				m.remove(id)
			}
			for _, who := range tt.removeIdentity {
				require.Positive(t, x.RemoveIdentity(who))
				m.removeIdentity(who)
			}
			require.Equal(t, len(m.entries), x.Len())
			got := x.Search(tt.query)
			assert.Equal(t, tt.want.Identity, got.Identity, "identity")
			assert.Equal(t, tt.want.Nearest, got.Nearest, "nearest")
			assert.Equal(t, tt.want.Runner, got.Runner, "runner")
			assert.Equal(t, tt.want.Reason, got.Reason, "reason")
			assert.InDelta(t, tt.want.Distance, got.Distance, 1e-6, "distance")
			assert.InDelta(t, tt.want.RunnerDistance, got.RunnerDistance, 1e-6, "runner distance")
			assert.Equal(t, bruteForce(tt.cfg, m.entries, tt.query), got, "exhaustive search")
		})
	}
}

func TestAddRejects(t *testing.T) {
	long := strings.Repeat("x", 256)
	tests := []struct {
		name         string
		identity, id string
		d            Descriptor
		want         error
	}{
		{"empty identity", "", "a1", at(0), ErrBadKey},
		{"empty id", "alice", "", at(0), ErrBadKey},
		{"long identity", long, "a1", at(0), ErrBadKey},
		{"long id", "alice", long, at(0), ErrBadKey},
		{"NaN", "alice", "a1", at(float32(math.NaN())), ErrBadDescriptor},
		{"infinity", "alice", "a1", at(inf), ErrBadDescriptor},
		{"too large", "alice", "a1", at(-MaxComponent * 1.5), ErrBadDescriptor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := mustNew(t, Config{}, nil)
			require.ErrorIs(t, x.Add(tt.identity, tt.id, tt.d), tt.want)
			require.ErrorIs(t, x.Load(slices.Values([]Entry{{"bob", "b1", at(1)}, {tt.identity, tt.id, tt.d}})), tt.want)
			require.Zero(t, x.Len(), "a failed Load changes nothing")
		})
	}
}

func TestConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Threshold: -1},
		{Margin: -0.1},
		{Threshold: float32(math.NaN())},
		{Margin: inf},
	} {
		_, err := New(cfg)
		require.True(t, errors.Is(err, ErrBadConfig), "%+v: %v", cfg, err)
	}
	x, err := New(Config{})
	require.NoError(t, err)
	require.Equal(t, Config{Threshold: 0.5, Margin: 0.08}, x.cfg)
}

func TestRemoveMissing(t *testing.T) {
	x := mustNew(t, Config{}, []Entry{{"alice", "a1", at(0)}})
	require.False(t, x.Remove("nope"))
	require.Zero(t, x.RemoveIdentity("nobody"))
	require.True(t, x.Remove("a1"))
	require.False(t, x.Remove("a1"))
	require.Zero(t, x.RemoveIdentity("alice"))
	require.Zero(t, x.Len())
}

func TestDistance(t *testing.T) {
	a, b := at(0.25), at(-0.5)
	require.Equal(t, float32(0.75), Distance(a, b))
	require.Equal(t, float32(0), Distance(a, a))
}
