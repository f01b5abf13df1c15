package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/fingers"
	"menwei/controller/policy"
)

// A biometric is written only with a consent in force; withdrawing it
// deletes that biometric (and only that one) in the same transaction and
// keeps the record of what was consented and until when; consenting again
// allows it again.
func TestConsentGatesBiometrics(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	require.NoError(t, s.PutIdentity(Identity{ID: "li", Kind: policy.Resident, Name: "Li Wei"}))
	assert.ErrorIs(t, s.PutFace(FaceRecord{Identity: "li", ID: "f"}), ErrNoConsent)

	for _, bad := range []Consent{
		{Identity: "li", Biometric: policy.Card, Text: "v1", Account: "a"},
		{Identity: "li", Biometric: policy.Face, Account: "a"},
		{Identity: "li", Biometric: policy.Face, Text: "v1"},
	} {
		assert.ErrorIs(t, s.GiveConsent(bad), ErrBadRequest, "%+v", bad)
	}
	assert.ErrorIs(t, s.GiveConsent(Consent{Identity: "nobody", Biometric: policy.Face, Text: "v1", Account: "a"}), ErrNotFound)

	given := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	require.NoError(t, s.GiveConsent(Consent{Identity: "li", Biometric: policy.Face, Given: given, Text: "face-v1", Account: "office-1"}))
	require.NoError(t, s.GiveConsent(Consent{Identity: "li", Biometric: policy.Finger, Given: given, Text: "finger-v1", Account: "office-1"}))
	require.NoError(t, s.PutFace(FaceRecord{Identity: "li", ID: "front"}))
	require.NoError(t, s.PutFace(FaceRecord{Identity: "li", ID: "side"}))
	require.NoError(t, s.PutTemplate(fingers.Template{Identity: "li", Slot: 3}))

	at := given.Add(48 * time.Hour)
	c, n, err := s.WithdrawConsent("li", policy.Face, "office-2", at)
	require.NoError(t, err)
	assert.Equal(t, 2, n, "both faces deleted")
	assert.Equal(t, at, *c.Withdrawn)
	assert.Equal(t, "office-2", c.WithdrawnBy)
	faces := 0
	require.NoError(t, s.Faces(func(FaceRecord) bool { faces++; return true }))
	assert.Zero(t, faces)
	tpl, err := s.Templates()
	require.NoError(t, err)
	assert.Len(t, tpl, 1, "the fingerprint, consented separately, stays")
	assert.ErrorIs(t, s.PutFace(FaceRecord{Identity: "li", ID: "front"}), ErrNoConsent, "no face after the withdrawal")
	_, _, err = s.WithdrawConsent("li", policy.Face, "office-2", at)
	assert.ErrorIs(t, err, ErrBadRequest, "already withdrawn")
	_, _, err = s.WithdrawConsent("wang", policy.Face, "office-2", at)
	assert.ErrorIs(t, err, ErrNotFound)

	cs, err := s.Consents("li")
	require.NoError(t, err)
	require.Len(t, cs, 2)
	for _, c := range cs {
		assert.Equal(t, given, c.Given.UTC())
		assert.Equal(t, "office-1", c.Account)
		assert.Equal(t, c.Biometric == policy.Finger, c.InForce(), "%s", c.Biometric)
	}

	_, n, err = s.WithdrawConsent("li", policy.Finger, "office-2", at)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	tpl, err = s.Templates()
	require.NoError(t, err)
	assert.Empty(t, tpl)

	require.NoError(t, s.GiveConsent(Consent{Identity: "li", Biometric: policy.Face, Text: "face-v2", Account: "office-1"}))
	require.NoError(t, s.PutFace(FaceRecord{Identity: "li", ID: "front"}), "consented again")

	require.NoError(t, s.DeleteIdentity("li"))
	cs, err = s.Consents("li")
	require.NoError(t, err)
	assert.Empty(t, cs, "moving out removes the consent records with the person")
}
