package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/policy"
)

func faceToken(t *testing.T, s *Store) string {
	t.Helper()
	var tok string
	require.NoError(t, s.WithFaceToken(func(t string) error { tok = t; return nil }))
	return tok
}

// The face token changes with every write that adds or removes a face,
// and with no other write; it survives a restart.
func TestFaceTokenFollowsTheFaces(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	tok := faceToken(t, s)
	require.Len(t, tok, 32)
	assert.Equal(t, tok, faceToken(t, s), "asking again changes nothing")

	step := func(what string, changes bool, f func() error) {
		t.Helper()
		require.NoError(t, f(), what)
		now := faceToken(t, s)
		if changes {
			assert.NotEqual(t, tok, now, "%s changes the token", what)
		} else {
			assert.Equal(t, tok, now, "%s leaves the token", what)
		}
		tok = now
	}
	step("a resident", false, func() error { return s.PutIdentity(Identity{ID: "li", Kind: policy.Resident, Name: "Li Wei"}) })
	step("a card", false, func() error { return s.AddCredential(Credential{Kind: policy.Card, Key: "1:1", Identity: "li"}) })
	step("a consent", false, func() error {
		return s.GiveConsent(Consent{Identity: "li", Biometric: policy.Face, Text: "v1", Account: "a"})
	})
	step("a face", true, func() error { return s.PutFace(FaceRecord{Identity: "li", ID: "f1", Vector: [128]float32{1}}) })
	step("the same face again", true, func() error { return s.PutFace(FaceRecord{Identity: "li", ID: "f1", Vector: [128]float32{2}}) })
	step("the faces deleted", true, func() error { _, err := s.DeleteFaces("li"); return err })
	step("a face", true, func() error { return s.PutFace(FaceRecord{Identity: "li", ID: "f2", Vector: [128]float32{1}}) })
	step("consent withdrawn (its faces go)", true, func() error {
		_, _, err := s.WithdrawConsent("li", policy.Face, "a", time.Now())
		return err
	})
	step("consent again", false, func() error {
		return s.GiveConsent(Consent{Identity: "li", Biometric: policy.Face, Text: "v1", Account: "a"})
	})
	step("a face", true, func() error { return s.PutFace(FaceRecord{Identity: "li", ID: "f3", Vector: [128]float32{1}}) })
	step("the resident deleted", true, func() error { return s.DeleteIdentity("li") })

	require.NoError(t, s.Close())
	s, err = Open(Options{Dir: dir})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, tok, faceToken(t, s), "kept across a restart")

	k1, err := s.FaceSnapshotKey()
	require.NoError(t, err)
	k2, err := s.FaceSnapshotKey()
	require.NoError(t, err)
	assert.Equal(t, k1.String(), k2.String(), "one key, kept")
}

// Deleting an identity without faces (most visitors) leaves the
// token, so a face index snapshot stays good.
func TestFaceTokenIgnoresFacelessDeletes(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	require.NoError(t, s.PutIdentity(Identity{ID: "v1", Kind: policy.Resident, Name: "Zhang San"}))
	tok := faceToken(t, s)
	_, err := s.DeleteFaces("v1")
	require.NoError(t, err)
	require.NoError(t, s.DeleteIdentity("v1"))
	assert.Equal(t, tok, faceToken(t, s))
}
