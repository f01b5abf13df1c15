package estate_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/estate"
	"menwei/controller/estate/estatetest"
	"menwei/controller/policy"
	"menwei/controller/store"
)

// resident is what addResident writes at the office.
type resident struct {
	id     string
	groups []string
	card   string // "h10301:F:N" form, "" = none
	pin    string // "" = none
	face   bool   // a consent and a random descriptor
}

func addResident(t testing.TB, st *store.Store, r resident) {
	t.Helper()
	var creds []store.Credential
	if r.card != "" {
		creds = append(creds, store.Credential{Kind: policy.Card, Key: r.card})
	}
	require.NoError(t, st.PutIdentityWith(store.Identity{ID: r.id, Kind: policy.Resident, Name: "住户 " + r.id, Unit: "3-201", Groups: r.groups}, creds))
	if r.pin != "" {
		require.NoError(t, st.SetPIN(r.id, r.pin, false))
	}
	if r.face {
		require.NoError(t, st.GiveConsent(store.Consent{Identity: r.id, Biometric: policy.Face, Text: "v1", Account: "office"}))
		require.NoError(t, st.PutFace(store.FaceRecord{Identity: r.id, ID: "f1", Vector: randomVector()}))
	}
}

// importResidents writes residents r0…r<n-1> in a few large transactions
// (store.Import), each with card 3:i and, when face(i), a face consent and
// a random descriptor.
func importResidents(t testing.TB, st *store.Store, n int, face func(i int) bool) {
	t.Helper()
	var (
		ids      []store.Identity
		creds    []store.Credential
		consents []store.Consent
		faces    []store.FaceRecord
	)
	now := time.Now().UTC()
	for i := range n {
		id := fmt.Sprint("r", i)
		ids = append(ids, store.Identity{ID: id, Kind: policy.Resident, Name: "住户 " + id, Unit: fmt.Sprintf("%d-%d", i/1000, i%1000)})
		creds = append(creds, store.Credential{Kind: policy.Card, Key: fmt.Sprintf("h10301:%d:%d", 3+i/60000, i%60000), Identity: id})
		if face(i) {
			consents = append(consents, store.Consent{Identity: id, Biometric: policy.Face, Given: now, Text: "v1", Account: "olga"})
			faces = append(faces, store.FaceRecord{Identity: id, ID: "f1", Vector: randomVector()})
		}
	}
	require.NoError(t, st.Import(ids, creds))
	require.NoError(t, st.ImportConsents(consents))
	require.NoError(t, st.ImportFaces(faces))
}

func randomVector() [128]float32 {
	var v [128]float32
	for i := range v {
		v[i] = rand.Float32()*2 - 1
	}
	return v
}

// slice is the directory records of st that a gate of groups receives,
// and the schedules and holidays.
type slice struct {
	People    map[string]*store.DirectoryPerson
	Schedules []store.Schedule
	Holidays  map[string]string
}

func sliceOf(t testing.TB, st *store.Store, groups []string) slice {
	t.Helper()
	all, err := st.DirectoryPeople()
	require.NoError(t, err)
	g := estate.GateSlice{Groups: groups}
	for id, p := range all {
		if !estate.Holds(g, p.Identity, all) {
			delete(all, id)
		}
	}
	scs, err := st.Schedules()
	require.NoError(t, err)
	hol, err := st.Holidays()
	require.NoError(t, err)
	return slice{People: all, Schedules: scs, Holidays: hol}
}

// sameSlice waits until the gate has applied the whole stream and its
// directory is then the office's slice (compared only once the revisions
// agree: the comparison reads both stores whole).
func (e *estateT) sameSlice(g *gateT, within time.Duration) {
	t := e.t
	t.Helper()
	groups := e.groups[g.name]
	var want, got slice
	deadline := time.Now().Add(within)
	for {
		if g.apl.Revision() == e.dirLast(g.name) {
			want, got = sliceOf(t, e.officeSt, groups), sliceOf(t, g.st, nil)
			if assert.ObjectsAreEqual(want, got) {
				return
			}
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	want, got = sliceOf(t, e.officeSt, groups), sliceOf(t, g.st, nil)
	t.Logf("gate %s at revision %d of %d; office: %d people, gate: %d people", g.name, g.apl.Revision(), e.dirLast(g.name), len(want.People), len(got.People))
	assert.Equal(t, slices.Sorted(maps.Keys(want.People)), slices.Sorted(maps.Keys(got.People)))
	require.Equal(t, want, got, "gate %s: its directory is not the office's slice", g.name)
}

// feed records the kinds of change the store publishes (the gate's face
// index and the controller follow the same feed).
type feed struct {
	mu    sync.Mutex
	kinds map[store.ChangeKind][]string
}

func follow(t testing.TB, st *store.Store) *feed {
	f := &feed{kinds: map[store.ChangeKind][]string{}}
	cancel := st.SubscribeChanges(func(c store.Change) {
		f.mu.Lock()
		f.kinds[c.Kind] = append(f.kinds[c.Kind], c.ID)
		f.mu.Unlock()
	})
	t.Cleanup(cancel)
	return f
}

func (f *feed) saw(k store.ChangeKind, id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.kinds[k], id)
}

func TestAResidentAddedAtTheOfficeOpensAtTheGate(t *testing.T) {
	e := newEstate(t, "gate-a")
	e.startOffice()
	g := e.startGate("gate-a", t.TempDir(), "")
	changes := follow(t, g.st)

	start := time.Now()
	addResident(t, e.officeSt, resident{id: "r-3-201.li", card: "h10301:12:3456", pin: "2468", face: true})
	require.Eventually(t, func() bool {
		_, i, err := g.st.Lookup(policy.Card, "h10301:12:3456")
		return err == nil && i.ID == "r-3-201.li"
	}, 2*time.Second, 5*time.Millisecond, "the card opens at the gate within 2 s")
	t.Logf("the card resolved at the gate after %v", time.Since(start).Round(time.Millisecond))
	e.sameSlice(g, 2*time.Second)
	i, err := g.st.Identity("r-3-201.li")
	require.NoError(t, err)
	ok, duress := store.CheckPIN(i, "2468")
	assert.True(t, ok && !duress, "the PIN set at the office")
	assert.True(t, changes.saw(store.FacePut, "r-3-201.li"), "the face reached the gate's change feed (the face index follows it)")
	assert.Positive(t, g.apl.Revision())
	rev, err := g.st.DirectoryRevision()
	require.NoError(t, err)
	assert.Equal(t, g.apl.Revision(), rev, "the revision is persisted")

	// An edit: a new name, the card replaced, a schedule and a holiday.
	require.NoError(t, e.officeSt.PutIdentity(store.Identity{ID: "r-3-201.li", Kind: policy.Resident, Name: "李伟", Unit: "3-202"}))
	require.NoError(t, e.officeSt.RemoveCredential(policy.Card, "h10301:12:3456"))
	require.NoError(t, e.officeSt.AddCredential(store.Credential{Kind: policy.Card, Key: "h10301:12:999", Identity: "r-3-201.li"}))
	require.NoError(t, e.officeSt.PutSchedule(store.Schedule{ID: "day", Periods: []string{"mon-fri 08:00-18:00"}}))
	require.NoError(t, e.officeSt.PutHoliday("2026-10-01", "国庆节"))
	e.sameSlice(g, 2*time.Second)
	_, _, err = g.st.Lookup(policy.Card, "h10301:12:3456")
	assert.ErrorIs(t, err, store.ErrNotFound, "the old card no longer opens")

	// A delete.
	require.NoError(t, e.officeSt.DeleteHoliday("2026-10-01"))
	require.NoError(t, e.officeSt.DeleteIdentity("r-3-201.li"))
	e.sameSlice(g, 2*time.Second)
	_, err = g.st.Identity("r-3-201.li")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.True(t, changes.saw(store.IdentityDeleted, "r-3-201.li"))
	assert.NotContains(t, g.log.String(), "h10301:12", "no card number in the gate's log")
	assert.NotContains(t, e.officeLog.String(), "h10301:12", "no card number in the office's log")
}

func TestACutGateCatchesUpOnRestore(t *testing.T) {
	e, a, b, link := withCutLink(t)
	for i := range 20 {
		addResident(t, e.officeSt, resident{id: fmt.Sprint("r", i), card: fmt.Sprintf("h10301:1:%d", 100+i), face: i%2 == 0})
	}
	e.sameSlice(a, 10*time.Second)
	e.sameSlice(b, 10*time.Second)

	link.Cut()
	require.Eventually(t, func() bool { return b.srv.Leaves() == 0 }, 10*time.Second, 10*time.Millisecond)
	revB := b.apl.Revision()
	for i := range 10 {
		require.NoError(t, e.officeSt.DeleteIdentity(fmt.Sprint("r", i)))
	}
	for i := 20; i < 40; i++ {
		addResident(t, e.officeSt, resident{id: fmt.Sprint("r", i), card: fmt.Sprintf("h10301:1:%d", 100+i), face: true})
	}
	e.sameSlice(a, 10*time.Second) // a is not held up by b
	assert.Equal(t, revB, b.apl.Revision(), "nothing crossed the cut link")
	_, err := b.st.Identity("r25")
	assert.ErrorIs(t, err, store.ErrNotFound)

	link.Restore()
	e.sameSlice(b, 30*time.Second)
}

func TestARestartedGateAndAFreshOneCatchUpFromTheirRevision(t *testing.T) {
	e := newEstate(t, "gate-a", "gate-b")
	e.startOffice()
	dir := t.TempDir()
	a := e.startGate("gate-a", dir, "")
	for i := range 30 {
		addResident(t, e.officeSt, resident{id: fmt.Sprint("r", i), card: fmt.Sprintf("h10301:1:%d", 100+i), face: true})
	}
	e.sameSlice(a, 10*time.Second)
	a.stop()
	rev := a.apl.Revision()

	for i := range 5 {
		require.NoError(t, e.officeSt.DeleteIdentity(fmt.Sprint("r", i)))
	}
	addResident(t, e.officeSt, resident{id: "r-new", card: "h10301:2:1", face: true})
	a = e.startGate("gate-a", dir, "")
	assert.Equal(t, rev, a.apl.Revision(), "it starts from its persisted revision")
	e.sameSlice(a, 10*time.Second)

	b := e.startGate("gate-b", t.TempDir(), "") // a fresh install: revision 0
	e.sameSlice(b, 10*time.Second)
}

func TestAnOfficeRestartRepublishesWhatItMissed(t *testing.T) {
	e := newEstate(t, "gate-a")
	e.startOffice()
	a := e.startGate("gate-a", t.TempDir(), "")
	addResident(t, e.officeSt, resident{id: "r1", card: "h10301:1:1", face: true})
	e.sameSlice(a, 10*time.Second)
	published := e.publisher.Published()
	e.stopOffice()

	// Changes made while no publisher ran (menweictl on a stopped office).
	st, err := store.Open(store.Options{Dir: e.officeDir + "/store"})
	require.NoError(t, err)
	addResident(t, st, resident{id: "r2", card: "h10301:1:2"})
	require.NoError(t, st.DeleteIdentity("r1"))
	require.NoError(t, st.Close())

	e.startOffice()
	e.sameSlice(a, 10*time.Second)
	_, err = a.st.Identity("r1")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.Positive(t, published)
	assert.Equal(t, uint64(2), e.publisher.Published(), "the reconcile sent the differences only (r1's tombstone and r2)")
}

func TestSlicesFollowTheGatesGroups(t *testing.T) {
	e := newEstate(t, "gate-a", "gate-b")
	e.groups = map[string][]string{"gate-a": {"bldg-a"}, "gate-b": {"bldg-b"}}
	e.startOffice()
	a := e.startGate("gate-a", t.TempDir(), "")
	b := e.startGate("gate-b", t.TempDir(), "")
	addResident(t, e.officeSt, resident{id: "wang", groups: []string{"bldg-a"}, card: "h10301:1:7", face: true})
	addResident(t, e.officeSt, resident{id: "zhao", groups: []string{"bldg-b"}, card: "h10301:1:8"})
	now := time.Now().UTC()
	require.NoError(t, e.officeSt.PutIdentity(store.Identity{ID: "guest", Kind: policy.Visitor, Name: "访客", Host: "wang",
		Pass: &store.Pass{From: now, Until: now.Add(time.Hour)}}))
	e.sameSlice(a, 10*time.Second)
	e.sameSlice(b, 10*time.Second)
	_, err := b.st.Identity("wang")
	assert.ErrorIs(t, err, store.ErrNotFound, "a person of group A does not reach a gate of group B")
	_, err = a.st.Identity("guest")
	assert.NoError(t, err, "a visitor follows the host's slice")

	// Moving him to B: a tombstone at A, his record at B, his visitor too.
	require.NoError(t, e.officeSt.PutIdentity(store.Identity{ID: "wang", Kind: policy.Resident, Name: "住户 wang", Unit: "3-201", Groups: []string{"bldg-b"}}))
	e.sameSlice(a, 10*time.Second)
	e.sameSlice(b, 10*time.Second)
	_, err = a.st.Identity("wang")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = a.st.Identity("guest")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, i, err := b.st.Lookup(policy.Card, "h10301:1:7")
	require.NoError(t, err)
	assert.Equal(t, "wang", i.ID)
}

// TestAGatesKeyCannotReadAnotherGatesDirectory is a stolen gate-a: its
// key, with a server and a client under the thief's control.
func TestAGatesKeyCannotReadAnotherGatesDirectory(t *testing.T) {
	e := newEstate(t, "gate-a", "gate-b")
	e.startOffice()
	b := e.startGate("gate-b", t.TempDir(), "")
	nc := e.thief("gate-a").Conn()
	spy, err := nc.SubscribeSync("menwei.dir.>")
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	addResident(t, e.officeSt, resident{id: "r1", card: "h10301:1:1", face: true})
	e.sameSlice(b, 10*time.Second)

	js, err := jetstream.NewWithDomain(nc, estate.OfficeDomain)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Its own slice is readable (the key works, the test can fail)...
	require.Eventually(t, func() bool {
		c, err := js.OrderedConsumer(ctx, estate.StreamDirectory, jetstream.OrderedConsumerConfig{FilterSubjects: []string{estate.DirectoryFilter("gate-a")}})
		if err != nil {
			return false
		}
		m, err := c.Next(jetstream.FetchMaxWait(2 * time.Second))
		return err == nil && m.Subject() != ""
	}, 10*time.Second, 50*time.Millisecond)
	// ...another gate's, every whole stream, and a filter of its own
	// spelt with a wildcard are not.
	for _, filter := range [][]string{{estate.DirectoryFilter("gate-b")}, {"menwei.dir.>"}, {"menwei.dir.*.p.>"},
		{estate.DirectoryFilter("gate-a"), estate.DirectoryFilter("gate-b")}} {
		sctx, scancel := context.WithTimeout(ctx, time.Second)
		_, err := js.OrderedConsumer(sctx, estate.StreamDirectory, jetstream.OrderedConsumerConfig{FilterSubjects: filter})
		scancel()
		assert.Error(t, err, "filter %v", filter)
	}
	n, _, err := spy.Pending()
	require.NoError(t, err)
	assert.Zero(t, n, "no directory message reaches a plain subscription")

	// On the wire: the office refuses a consumer on gate-b's filter and a
	// publish into the directory, with a permissions violation.
	for _, subj := range []string{"$JS.office.API.CONSUMER.CREATE.MENWEI_DIR.x.menwei.dir.gate-b.>",
		"$JS.office.API.CONSUMER.CREATE.MENWEI_DIR", "$JS.office.API.STREAM.INFO.MENWEI_DIR",
		"$JS.office.API.DIRECT.GET.MENWEI_DIR", "menwei.dir.gate-a.p.7231"} {
		errLine := estatetest.LeafPublish(t, e.listen, e.pki.Client, e.keys["gate-a"], subj, []byte(`{}`))
		assert.Equal(t, fmt.Sprintf(`-ERR 'Permissions Violation for Publish to "%s"'`, subj), errLine)
	}
	info, err := e.officeSrvJS(t).Stream(ctx, estate.StreamDirectory)
	require.NoError(t, err)
	st, err := info.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), st.State.Msgs, "r1 for each gate, nothing from the thief")
}

func (e *estateT) officeSrvJS(t testing.TB) jetstream.JetStream {
	js, err := jetstream.New(e.officeSrv.Conn())
	require.NoError(t, err)
	return js
}

// dirLast is the sequence of the last message of gate's slice in the
// directory stream: the revision the gate reaches once it has it all.
func (e *estateT) dirLast(gate string) uint64 {
	t := e.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := e.officeSrvJS(t).Stream(ctx, estate.StreamDirectory)
	require.NoError(t, err)
	m, err := st.GetLastMsgForSubject(ctx, estate.DirectoryFilter(gate))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0
	}
	require.NoError(t, err)
	return m.Sequence
}
