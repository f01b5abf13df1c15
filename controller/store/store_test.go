package store

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/policy"
)

// consentTo records the person's consent to each biometric.
func consentTo(t *testing.T, s *Store, id string, bs ...policy.Factor) {
	t.Helper()
	for _, b := range bs {
		require.NoError(t, s.GiveConsent(Consent{Identity: id, Biometric: b, Text: "test-v1", Account: "test"}))
	}
}

func openTestStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestIdentitiesAndCredentials(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	require.NoError(t, s.PutIdentity(Identity{ID: "r1", Kind: policy.Resident, Name: "Li Wei", Unit: "3-201"}))
	require.NoError(t, s.AddCredential(Credential{Kind: policy.Card, Key: "1:1234", Identity: "r1"}))
	cred, id, err := s.Lookup(policy.Card, "h10301:1:1234")
	require.NoError(t, err)
	assert.Equal(t, "Li Wei", id.Name)
	assert.Equal(t, "h10301:1:1234", cred.Key)

	require.NoError(t, s.PutIdentity(Identity{ID: "r2", Kind: policy.Resident, Name: "Wang Fang"}))
	assert.ErrorIs(t, s.AddCredential(Credential{Kind: policy.Card, Key: "1:1234", Identity: "r2"}), ErrCardInUse)
	assert.ErrorIs(t, s.AddCredential(Credential{Kind: policy.Card, Key: "1:5", Identity: "nobody"}), ErrNotFound)
	assert.ErrorIs(t, s.AddCredential(Credential{Kind: policy.Card, Key: "nonsense", Identity: "r2"}), ErrBadRequest)

	require.NoError(t, s.SetBlacklisted(policy.Card, "1:1234", true))
	cred, _, err = s.Lookup(policy.Card, "h10301:1:1234")
	require.NoError(t, err)
	assert.True(t, cred.Blacklisted)

	// PINs are stored hashed; the duress PIN is told apart.
	require.NoError(t, s.SetPIN("r1", "2580", false))
	require.NoError(t, s.SetPIN("r1", "9111", true))
	assert.ErrorIs(t, s.SetPIN("r1", "2580", true), ErrBadRequest, "the duress PIN must differ")
	assert.ErrorIs(t, s.SetPIN("r1", "12", false), ErrBadRequest)
	id, err = s.Identity("r1")
	require.NoError(t, err)
	ok, duress := CheckPIN(id, "2580")
	assert.True(t, ok)
	assert.False(t, duress)
	ok, duress = CheckPIN(id, "9111")
	assert.True(t, ok)
	assert.True(t, duress)
	ok, _ = CheckPIN(id, "0000")
	assert.False(t, ok)
	assert.NotContains(t, string(id.PIN.Hash), "2580")

	// Updating the identity keeps its PIN.
	require.NoError(t, s.PutIdentity(Identity{ID: "r1", Kind: policy.Resident, Name: "Li Wei", Unit: "3-202"}))
	id, err = s.Identity("r1")
	require.NoError(t, err)
	ok, _ = CheckPIN(id, "2580")
	assert.True(t, ok)

	require.NoError(t, s.SetInside("r1", true))
	in, err := s.Inside("r1")
	require.NoError(t, err)
	require.NotNil(t, in)
	assert.True(t, *in)

	require.NoError(t, s.DeleteIdentity("r1"))
	_, _, err = s.Lookup(policy.Card, "h10301:1:1234")
	assert.ErrorIs(t, err, ErrNotFound, "credentials go with the identity")
	in, err = s.Inside("r1")
	require.NoError(t, err)
	assert.Nil(t, in)
	all, err := s.Identities("")
	require.NoError(t, err)
	assert.Len(t, all, 1)

	for _, bad := range []Identity{
		{ID: "", Name: "x", Kind: policy.Resident},
		{ID: "a b", Name: "x", Kind: policy.Resident},
		{ID: "ok", Kind: policy.Resident},
		{ID: "ok", Name: "x", Kind: "alien"},
		{ID: "v", Name: "x", Kind: policy.Visitor},
		{ID: "v", Name: "x", Kind: policy.Visitor, Pass: &Pass{From: time.Now(), Until: time.Now().Add(-time.Hour)}},
	} {
		assert.ErrorIs(t, s.PutIdentity(bad), ErrBadRequest, "%+v", bad)
	}
}

func TestVisitorPassUses(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	now := time.Now().UTC()
	require.NoError(t, s.PutIdentity(Identity{ID: "v1", Kind: policy.Visitor, Name: "Guest", Host: "r1",
		Pass: &Pass{From: now, Until: now.Add(time.Hour), MaxUses: 2}}))
	require.NoError(t, s.UsePass("v1"))
	v, err := s.Identity("v1")
	require.NoError(t, err)
	assert.Equal(t, 1, v.Pass.Uses)
}

func TestSchedulesAndHolidays(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	require.NoError(t, s.PutSchedule(Schedule{ID: "office", Periods: []string{"mon-fri 08:00-18:00"}, Holiday: []string{"10:00-12:00"}}))
	require.NoError(t, s.PutSchedule(Schedule{ID: "night", Periods: []string{"fri,sat 22:00-06:00"}}))
	require.NoError(t, s.PutHoliday("2026-12-02", "test day"))
	for _, bad := range []Schedule{{ID: "x"}, {ID: "x", Periods: []string{"someday 08:00-09:00"}}, {ID: "x", Periods: []string{"mon 8-9"}}, {ID: "bad id", Periods: []string{"mon 08:00-09:00"}}} {
		assert.ErrorIs(t, s.PutSchedule(bad), ErrBadRequest, "%+v", bad)
	}
	assert.ErrorIs(t, s.PutHoliday("2026-13-01", ""), ErrBadRequest)

	loc, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	sch, err := s.CompiledSchedules(loc)
	require.NoError(t, err)
	office := sch["office"]
	assert.True(t, office.Allows(time.Date(2026, 11, 30, 9, 0, 0, 0, loc)))
	assert.False(t, office.Allows(time.Date(2026, 12, 2, 9, 0, 0, 0, loc)), "holiday")
	assert.True(t, office.Allows(time.Date(2026, 12, 2, 11, 0, 0, 0, loc)), "holiday period")
	assert.True(t, sch["night"].Allows(time.Date(2026, 12, 6, 5, 0, 0, 0, loc)), "saturday's window runs into sunday")
}

func TestDoorModePersists(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	require.NoError(t, err)
	m, err := s.DoorMode("gate")
	require.NoError(t, err)
	assert.Equal(t, "", m)
	require.NoError(t, s.SetDoorMode("gate", "emergency_unlock"))
	require.NoError(t, s.Close())
	s = openTestStore(t, dir)
	m, err = s.DoorMode("gate")
	require.NoError(t, err)
	assert.Equal(t, "emergency_unlock", m)
}

func TestStoreLockedByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	openTestStore(t, dir)
	_, err := Open(Options{Dir: dir})
	assert.ErrorContains(t, err, "in use by another process")
}

func TestStoreMustExistCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	_, err := Open(Options{Dir: dir, MustExist: true})
	require.ErrorIs(t, err, ErrNoStore)
	assert.NoDirExists(t, dir)
	s := openTestStore(t, dir) // made the ordinary way, it opens
	require.NoError(t, s.Close())
	s, err = Open(Options{Dir: dir, MustExist: true})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	// Locked is its own error, for callers that suggest the API.
	openTestStore(t, dir)
	_, err = Open(Options{Dir: dir, MustExist: true})
	assert.ErrorIs(t, err, ErrStoreLocked)
}

func TestPutIdentityWithIsAllOrNothing(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	require.NoError(t, s.PutIdentityWith(Identity{ID: "zhao", Kind: policy.Staff, Name: "Zhao"},
		[]Credential{{Kind: policy.Card, Key: "1:7"}}))
	err := s.PutIdentityWith(Identity{ID: "li", Kind: policy.Resident, Name: "Li"},
		[]Credential{{Kind: policy.Card, Key: "1:1"}, {Kind: policy.Card, Key: "1:7"}})
	require.ErrorIs(t, err, ErrCardInUse)
	assert.ErrorContains(t, err, "credential 2 of 2")
	_, err = s.Identity("li")
	assert.ErrorIs(t, err, ErrNotFound)
	creds, err := s.Credentials("")
	require.NoError(t, err)
	require.Len(t, creds, 1, "only zhao's card")

	require.NoError(t, s.PutIdentityWith(Identity{ID: "li", Kind: policy.Resident, Name: "Li"},
		[]Credential{{Kind: policy.Card, Key: "1:1"}, {Kind: policy.Card, Key: "h10301:1:2"}}))
	creds, err = s.Credentials("li")
	require.NoError(t, err)
	assert.Len(t, creds, 2)
}

func TestImportFaces(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	require.NoError(t, s.Import([]Identity{{ID: "r1", Kind: policy.Resident, Name: "Li Wei"}}, nil))
	f := FaceRecord{Identity: "r1", ID: "f0"}
	assert.ErrorIs(t, s.ImportFaces([]FaceRecord{f}), ErrNoConsent, "no face without consent, in bulk too")
	require.NoError(t, s.ImportConsents([]Consent{{Identity: "r1", Biometric: policy.Face, Given: time.Now(), Text: "face-v1", Account: "office"}}))
	f.Vector[0], f.Vector[127] = 0.5, -0.25
	assert.ErrorIs(t, s.ImportFaces([]FaceRecord{f, {Identity: "nobody", ID: "f0"}}), ErrNotFound)
	n := 0
	require.NoError(t, s.Faces(func(FaceRecord) bool { n++; return true }))
	assert.Zero(t, n, "a refused chunk is not written")
	assert.ErrorIs(t, s.ImportFaces([]FaceRecord{{Identity: "r1", ID: "bad/id"}}), ErrBadRequest)

	require.NoError(t, s.ImportFaces([]FaceRecord{f}))
	var got []FaceRecord
	require.NoError(t, s.Faces(func(r FaceRecord) bool { got = append(got, r); return true }))
	assert.Equal(t, []FaceRecord{f}, got)
}

// Uses of a phone less than touchEvery after the last written one are
// kept in memory: Devices and DeviceByToken report the latest at once, Close
// writes it (a reopened store has it), and a revocation in between wins.
func TestTouchDeviceCoalesces(t *testing.T) {
	dir := t.TempDir()
	s := openTestStore(t, dir)
	require.NoError(t, s.PutIdentity(Identity{ID: "r1", Kind: policy.Resident, Name: "李伟"}))
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	pair := func() (Device, string) {
		code, _, err := s.NewPairingCode("r1", "admin", now)
		require.NoError(t, err)
		d, token, err := s.Pair(code, "phone", now)
		require.NoError(t, err)
		return d, token
	}
	d1, token := pair()
	d2, _ := pair()
	stored := func(id string) time.Time { // what Badger holds, not the memory
		var d Device
		require.NoError(t, s.db.View(func(txn *badger.Txn) error { return getJSON(txn, keyDevice+id, &d) }))
		return d.LastUsed
	}
	require.NoError(t, s.TouchDevice(d1.ID, now))
	assert.Equal(t, now, stored(d1.ID), "the first use is written")
	later := now.Add(300 * time.Millisecond)
	require.NoError(t, s.TouchDevice(d1.ID, later))
	require.NoError(t, s.TouchDevice(d2.ID, later))
	assert.Equal(t, now, stored(d1.ID), "within touchEvery: not written yet")
	got, err := s.DeviceByToken(token)
	require.NoError(t, err)
	assert.Equal(t, later, got.LastUsed, "DeviceByToken reports the latest use")
	ds, err := s.Devices("r1")
	require.NoError(t, err)
	for _, d := range ds {
		assert.Equal(t, later, d.LastUsed, d.ID)
	}
	require.NoError(t, s.RevokeDevice(d2.ID))
	ds, _ = s.Devices("r1")
	i := slices.IndexFunc(ds, func(d Device) bool { return d.ID == d2.ID })
	require.GreaterOrEqual(t, i, 0)
	assert.True(t, ds[i].Revoked)
	assert.True(t, ds[i].LastUsed.IsZero(), "revoked: the pending use is not reported")

	require.NoError(t, s.Close())
	s = openTestStore(t, dir)
	assert.Equal(t, later, stored(d1.ID), "Close wrote the pending use")
	assert.True(t, stored(d2.ID).IsZero(), "the revoked phone was not touched")
	var d Device
	require.NoError(t, s.db.View(func(txn *badger.Txn) error { return getJSON(txn, keyDevice+d2.ID, &d) }))
	assert.True(t, d.Revoked, "the revocation stands")

	// A use touchEvery after the last write is written at once, with the
	// others pending.
	require.NoError(t, s.TouchDevice(d1.ID, later.Add(touchEvery)))
	assert.Equal(t, later.Add(touchEvery), stored(d1.ID))
}

// A phone's last use is recorded; moving the resident out removes their
// phones with everything else, so the device token no longer signs in.
func TestDevicesAndMoveOut(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	require.NoError(t, s.PutIdentity(Identity{ID: "r1", Kind: policy.Resident, Name: "李伟", Unit: "3-201", Phone: "+86 138 0013 8000", Schedule: "day"}))
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	code, _, err := s.NewPairingCode("r1", "admin", now)
	require.NoError(t, err)
	d, token, err := s.Pair(code, "Li's phone", now)
	require.NoError(t, err)
	ds, err := s.Devices("r1")
	require.NoError(t, err)
	require.Len(t, ds, 1)
	assert.True(t, ds[0].LastUsed.IsZero(), "never used")
	require.NoError(t, s.TouchDevice(d.ID, now.Add(time.Hour)))
	ds, _ = s.Devices("r1")
	assert.Equal(t, now.Add(time.Hour), ds[0].LastUsed)
	assert.ErrorIs(t, s.TouchDevice("dev-none", now), ErrNotFound)

	require.NoError(t, s.DeleteIdentity("r1"))
	ds, err = s.Devices("r1")
	require.NoError(t, err)
	assert.Empty(t, ds)
	_, err = s.DeviceByToken(token)
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestIdentityFieldsChecked(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	for _, bad := range []Identity{
		{ID: "r1", Kind: policy.Resident, Name: "a", Phone: "call me"},
		{ID: "r1", Kind: policy.Resident, Name: "a", Phone: "123456789012345678901234"},
		{ID: "r1", Kind: policy.Resident, Name: "a", Schedule: "no spaces"},
	} {
		assert.ErrorIs(t, s.PutIdentity(bad), ErrBadRequest, "%+v", bad)
	}
	require.NoError(t, s.PutAccount("wuye", RoleOffice, "a long password"))
	a, err := s.CheckPassword("wuye", "a long password")
	require.NoError(t, err)
	assert.Equal(t, RoleOffice, a.Role)
	assert.ErrorIs(t, s.PutAccount("x", "janitor", "a long password"), ErrBadRequest)
}
