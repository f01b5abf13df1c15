package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/fingers"
	"menwei/controller/policy"
)

func memStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(Options{InMemory: true})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// A person's whole record replaces the stored one in one transaction with
// the revision: consents before the faces and templates they allow, the
// credentials they no longer have removed; applied twice it is the same;
// a tombstone deletes them; a card another person holds is taken over.
func TestApplyDirectoryReplacesAPersonWhole(t *testing.T) {
	s := memStore(t)
	now := time.Now().UTC().Truncate(time.Second)
	p := DirectoryPerson{
		Identity:    Identity{ID: "li", Kind: policy.Resident, Name: "李伟", Created: now},
		Credentials: []Credential{{Kind: policy.Card, Key: "h10301:1:5", Identity: "li", Created: now}},
		Consents: []Consent{{Identity: "li", Biometric: policy.Face, Given: now, Text: "v1", Account: "olga"},
			{Identity: "li", Biometric: policy.Finger, Given: now, Text: "v1", Account: "olga"}},
		Faces:     []FaceRecord{{Identity: "li", ID: "f1", Vector: [128]float32{1}}},
		Templates: []fingers.Template{{Slot: 3, Identity: "li", Model: "r307", Data: []byte{1, 2}}},
	}
	var seen []ChangeKind
	cancel := s.SubscribeChanges(func(c Change) { seen = append(seen, c.Kind) })
	defer cancel()
	require.NoError(t, s.ApplyDirectory(7, []DirectoryEntry{{Person: &p}}))
	got, err := s.DirectoryPerson("li")
	require.NoError(t, err)
	assert.Equal(t, p, got)
	assert.Equal(t, []ChangeKind{IdentityPut, CredentialPut, ConsentPut, ConsentPut, FacePut, TemplatePut, EstateCursorSet}, seen, "consents before biometrics")
	rev, err := s.DirectoryRevision()
	require.NoError(t, err)
	assert.Equal(t, uint64(7), rev)

	seen = nil
	require.NoError(t, s.ApplyDirectory(8, []DirectoryEntry{{Person: &p}}))
	assert.Equal(t, []ChangeKind{IdentityPut, EstateCursorSet}, seen, "the same record again rewrites no biometric")

	// Another person takes the card; li loses his finger consent.
	q := DirectoryPerson{Identity: Identity{ID: "wang", Kind: policy.Resident, Name: "王芳", Created: now},
		Credentials: []Credential{{Kind: policy.Card, Key: "h10301:1:5", Identity: "wang", Created: now}}}
	p2 := p
	p2.Credentials, p2.Consents = nil, p.Consents[:1]
	require.NoError(t, s.ApplyDirectory(9, []DirectoryEntry{{Person: &q}, {Person: &p2}}))
	_, who, err := s.Lookup(policy.Card, "h10301:1:5")
	require.NoError(t, err)
	assert.Equal(t, "wang", who.ID)
	got, err = s.DirectoryPerson("li")
	require.NoError(t, err)
	assert.Empty(t, got.Credentials)
	assert.Empty(t, got.Templates, "no consent in the record, no template")
	assert.Len(t, got.Consents, 1)

	require.NoError(t, s.ApplyDirectory(10, []DirectoryEntry{{PersonID: "li"}, {PersonID: "nobody"}}))
	_, err = s.Identity("li")
	assert.ErrorIs(t, err, ErrNotFound)
	n := 0
	require.NoError(t, s.Faces(func(FaceRecord) bool { n++; return true }))
	assert.Zero(t, n)
	rev, err = s.DirectoryRevision()
	require.NoError(t, err)
	assert.Equal(t, uint64(10), rev)

	// A refused entry writes nothing, the revision included.
	err = s.ApplyDirectory(11, []DirectoryEntry{{Person: &q}, {Person: &DirectoryPerson{Identity: Identity{ID: "bad id!"}}}})
	assert.ErrorIs(t, err, ErrBadRequest)
	rev, err = s.DirectoryRevision()
	require.NoError(t, err)
	assert.Equal(t, uint64(10), rev)
}
