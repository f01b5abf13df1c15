package store

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/fingers"
	"menwei/controller/policy"
)

// recorder is a subscriber that keeps what it saw.
type recorder struct {
	mu  sync.Mutex
	got []Change
}

func (r *recorder) add(c Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, c)
}

// take returns what was seen since the last take, as "kind id" strings.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.got {
		out = append(out, c.String())
	}
	r.got = nil
	return out
}

func TestSubscribersSeeEachCommittedChangeOnce(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	var r recorder
	cancel := s.SubscribeChanges(r.add)

	li := Identity{ID: "li", Kind: policy.Resident, Name: "Li Wei"}
	require.NoError(t, s.PutIdentityWith(li, []Credential{{Kind: policy.Card, Key: "1:1"}}))
	r.mu.Lock()
	require.Len(t, r.got, 2)
	assert.Equal(t, "Li Wei", r.got[0].Identity.Name)
	assert.False(t, r.got[0].Identity.Created.IsZero(), "the record as stored")
	assert.Equal(t, "h10301:1:1", r.got[1].Credential.Key, "the credential as stored")
	r.mu.Unlock()
	assert.Equal(t, []string{"identity.put li", "credential.put card of li"}, r.take())

	// Failed writes publish nothing, even when part of the transaction was
	// applied before it failed (the identity, then another's card).
	wang := Identity{ID: "wang", Kind: policy.Resident, Name: "Wang Fang"}
	assert.ErrorIs(t, s.PutIdentityWith(wang, []Credential{{Kind: policy.Card, Key: "1:2"}, {Kind: policy.Card, Key: "1:1"}}), ErrCardInUse)
	assert.ErrorIs(t, s.AddCredential(Credential{Kind: policy.Card, Key: "1:3", Identity: "nobody"}), ErrNotFound)
	assert.ErrorIs(t, s.RemoveCredential(policy.Card, "1:9"), ErrNotFound)
	assert.ErrorIs(t, s.SetBlacklisted(policy.Card, "1:9", true), ErrNotFound)
	assert.ErrorIs(t, s.SetPIN("li", "12", false), ErrBadRequest)
	assert.ErrorIs(t, s.UsePass("li"), ErrBadRequest)
	assert.ErrorIs(t, s.DeleteIdentity("nobody"), ErrNotFound)
	assert.ErrorIs(t, s.PutFace(FaceRecord{Identity: "nobody", ID: "f"}), ErrNotFound)
	assert.ErrorIs(t, s.PutTemplate(fingers.Template{Identity: "nobody", Slot: 1}), ErrNotFound)
	assert.Empty(t, r.take())
	_, err := s.Identity("wang")
	assert.ErrorIs(t, err, ErrNotFound, "the failed transaction wrote nothing either")

	require.NoError(t, s.SetBlacklisted(policy.Card, "1:1", true))
	require.NoError(t, s.SetPIN("li", "2580", false))
	require.NoError(t, s.SetInside("li", true))
	assert.ErrorIs(t, s.PutFace(FaceRecord{Identity: "li", ID: "f0"}), ErrNoConsent)
	assert.ErrorIs(t, s.PutTemplate(fingers.Template{Identity: "li", Slot: 7}), ErrNoConsent)
	consentTo(t, s, "li", policy.Face, policy.Finger)
	require.NoError(t, s.PutFace(FaceRecord{Identity: "li", ID: "f0"}))
	require.NoError(t, s.PutTemplate(fingers.Template{Identity: "li", Slot: 7}))
	require.NoError(t, s.RemoveCredential(policy.Card, "1:1"))
	n, err := s.DeleteFaces("li")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = s.DeleteFaces("li")
	require.NoError(t, err)
	assert.Zero(t, n, "no face left: no change (not in the list below)")
	slots, err := s.DeleteTemplates("li")
	require.NoError(t, err)
	assert.Equal(t, []int{7}, slots)
	require.NoError(t, s.DeleteIdentity("li"))
	assert.Equal(t, []string{
		"credential.put card of li", "identity.put li", "inside.set li", "consent.put li", "consent.put li", "face.put li",
		"template.put li", "credential.removed card of li", "faces.deleted li",
		"templates.deleted li", "identity.deleted li",
	}, r.take())

	require.NoError(t, s.PutSchedule(Schedule{ID: "office", Periods: []string{"mon-fri 08:00-18:00"}}))
	require.NoError(t, s.PutHoliday("2026-10-01", "National Day"))
	require.NoError(t, s.DeleteHoliday("2026-10-01"))
	require.NoError(t, s.SetDoorModes(map[string]string{"gate": "lockdown"}))
	require.NoError(t, s.PutAccount("ada", RoleAdmin, "a long password"))
	assert.ErrorIs(t, s.PutSchedule(Schedule{ID: "bad"}), ErrBadRequest)
	assert.Equal(t, []string{"schedule.put office", "holiday.put 2026-10-01", "holiday.deleted 2026-10-01", "door.mode gate", "account.put ada"}, r.take())

	// Phones: a pairing code itself is not a change; what it creates is.
	require.NoError(t, s.PutIdentity(Identity{ID: "zhao", Kind: policy.Resident, Name: "Zhao"}))
	now := time.Now()
	code, _, err := s.NewPairingCode("zhao", "ada", now)
	require.NoError(t, err)
	_, _, err = s.Pair("WRONG-CODE", "phone", now)
	assert.ErrorIs(t, err, ErrBadCode)
	d, _, err := s.Pair(code, "phone", now)
	require.NoError(t, err)
	require.NoError(t, s.RevokeDevice(d.ID))
	assert.Equal(t, []string{"identity.put zhao", "device.put zhao", "credential.put phone of zhao", "device.put zhao", "credential.removed phone of zhao"}, r.take())

	// An import publishes every record once, chunk by chunk.
	var ids []Identity
	var creds []Credential
	for i := range 2500 {
		id := fmt.Sprintf("r%04d", i)
		ids = append(ids, Identity{ID: id, Kind: policy.Resident, Name: id})
		creds = append(creds, Credential{Kind: policy.Card, Key: fmt.Sprintf("2:%d", i), Identity: id})
	}
	require.NoError(t, s.Import(ids, creds))
	seen := map[string]int{}
	for _, c := range r.take() {
		seen[c]++
	}
	assert.Len(t, seen, 5000)
	for c, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", c, n)
		}
	}

	cancel()
	require.NoError(t, s.SetInside("zhao", false))
	assert.Empty(t, r.take(), "nothing after cancel")
}

// Concurrent writers: every subscriber sees every committed change once, in
// the same (commit) order.
func TestChangesInCommitOrder(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	var a, b recorder
	defer s.SubscribeChanges(a.add)()
	defer s.SubscribeChanges(b.add)()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				id := fmt.Sprintf("w%d-%d", w, i)
				assert.NoError(t, s.PutIdentity(Identity{ID: id, Kind: policy.Resident, Name: id}))
				assert.NoError(t, s.SetInside(id, true))
			}
		})
	}
	wg.Wait()
	ga, gb := a.take(), b.take()
	assert.Len(t, ga, 160)
	assert.Equal(t, ga, gb)
	// Each writer's own changes keep their order.
	pos := map[string]int{}
	for i, c := range ga {
		pos[c] = i
	}
	for w := range 4 {
		for i := range 20 {
			id := fmt.Sprintf("w%d-%d", w, i)
			assert.Less(t, pos["identity.put "+id], pos["inside.set "+id])
		}
	}
}
