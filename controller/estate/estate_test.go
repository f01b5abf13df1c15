package estate_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"menwei/controller/estate"
	"menwei/controller/estate/estatetest"
	"menwei/controller/eventlog"
	"menwei/controller/store"
)

// TestMain fails the package if a test leaves a goroutine behind: a
// server, a connection, an uploader or the office's applier.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// syncBuf is a log sink tests read.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// estateT is an estate on loopback: an office and its gates, each a real
// embedded nats-server and a real Badger store in t.TempDir().
type estateT struct {
	t     testing.TB
	pki   *estatetest.PKI
	keys  map[string][]byte // gate → seed
	gates []estate.GateKey
	// the office
	officeDir  string
	listen     string
	officeSrv  *estate.Server
	officeSt   *store.Store
	office     *estate.Office
	stopOffice func()
	officeLog  *syncBuf
	dupWindow  time.Duration
	streamKey  []byte // the office's JetStream key (nil = plaintext)
	// the directory
	groups    map[string][]string // gate → the groups of its slice (none = everyone)
	publisher *estate.Publisher
}

func newEstate(t testing.TB, gates ...string) *estateT {
	e := &estateT{t: t, pki: estatetest.NewPKI(t), keys: map[string][]byte{}, officeDir: t.TempDir(),
		listen: "127.0.0.1:0", officeLog: &syncBuf{}}
	for _, g := range gates {
		seed, pub := estatetest.GateKey(t)
		e.keys[g] = seed
		e.gates = append(e.gates, estate.GateKey{Name: g, NKey: pub})
	}
	return e
}

// startOffice starts (or starts again, on the same port and files) the office.
func (e *estateT) startOffice() {
	t := e.t
	t.Helper()
	log := slog.New(slog.NewTextHandler(e.officeLog, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := estate.StartServer(estate.ServerOptions{Role: estate.RoleOffice, StoreDir: filepath.Join(e.officeDir, "nats"),
		TLS: e.pki.Server, Listen: e.listen, Gates: e.gates, Key: e.streamKey, Log: log})
	require.NoError(t, err)
	e.listen = srv.LeafAddr()
	st, err := store.Open(store.Options{Dir: filepath.Join(e.officeDir, "store")})
	require.NoError(t, err)
	off, err := estate.NewOffice(estate.OfficeOptions{Conn: srv.Conn(), Received: st.Received(), Duplicates: e.dupWindow, Log: log})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	_, err = off.Setup(ctx) // Run does it too; done here, the stream is there when this returns
	require.NoError(t, err)
	var slices []estate.GateSlice
	for _, g := range e.gates {
		slices = append(slices, estate.GateSlice{Name: g.Name, Groups: e.groups[g.Name]})
	}
	pub, err := estate.NewPublisher(estate.PublisherOptions{Conn: srv.Conn(), Store: st, Gates: slices, Coalesce: 10 * time.Millisecond, Log: log})
	require.NoError(t, err)
	_, err = pub.Setup(ctx)
	require.NoError(t, err)
	done := make(chan struct{})
	go func() { defer close(done); off.Run(ctx) }()
	pdone := make(chan struct{})
	go func() { defer close(pdone); pub.Run(ctx) }()
	e.officeSrv, e.officeSt, e.office, e.publisher = srv, st, off, pub
	var once sync.Once
	e.stopOffice = func() {
		once.Do(func() {
			cancel()
			<-done
			<-pdone
			srv.Close()
			require.NoError(t, st.Close())
		})
	}
	t.Cleanup(e.stopOffice)
}

// gateT is one gate: its store, its server and its uploader.
type gateT struct {
	name string
	dir  string
	st   *store.Store
	srv  *estate.Server
	up   *estate.Uploader
	apl  *estate.Applier
	log  *syncBuf
	stop func()
}

// startGate starts gate (again, on the same files); via is the address it
// dials ("" = the office's listener).
func (e *estateT) startGate(name, dir, via string) *gateT {
	t := e.t
	t.Helper()
	if via == "" {
		via = e.listen
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "store")})
	require.NoError(t, err)
	logs := &syncBuf{}
	srv, err := estate.StartServer(estate.ServerOptions{Role: estate.RoleGate, Gate: name, StoreDir: filepath.Join(dir, "nats"),
		TLS: e.pki.Client, OfficeURL: "tls://" + via, Seed: e.keys[name], ReconnectInterval: 50 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	up, err := estate.NewUploader(estate.UploaderOptions{Gate: name, Conn: srv.Conn(), Events: st, Cursor: st, AckWait: time.Second,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Log: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)
	ap, err := estate.NewApplier(estate.ApplierOptions{Gate: name, Conn: srv.Conn(), Store: st,
		Link: srv.LeafLink, Log: slog.New(slog.NewTextHandler(logs, nil))})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- up.Run(ctx) }()
	go func() { done <- ap.Run(ctx) }()
	g := &gateT{name: name, dir: dir, st: st, srv: srv, up: up, apl: ap, log: logs}
	var once sync.Once
	g.stop = func() {
		once.Do(func() {
			cancel()
			assert.ErrorIs(t, <-done, context.Canceled)
			assert.ErrorIs(t, <-done, context.Canceled)
			srv.Close()
			require.NoError(t, st.Close())
		})
	}
	t.Cleanup(g.stop)
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("ESTATE_DEBUG") != "" {
			for _, l := range strings.Split(logs.String(), "\n") {
				if !strings.Contains(l, "level=DEBUG") && l != "" {
					t.Logf("%s: %s", name, l)
				}
			}
		}
	})
	return g
}

func (g *gateT) append(t testing.TB, n int) {
	t.Helper()
	for i := range n {
		_, err := g.st.Append(context.Background(), eventlog.Event{Kind: "access.granted", Door: g.name + "-door",
			Identity: fmt.Sprint("r", i), Name: "Li Wei", Card: "****1234"})
		require.NoError(t, err)
	}
}

func (g *gateT) head(t testing.TB) uint64 {
	evs, err := g.st.Events(eventlog.Query{Newest: true, Limit: 1})
	require.NoError(t, err)
	if len(evs) == 0 {
		return 0
	}
	return evs[0].Seq
}

// arrived waits until the office holds every event of g's log up to seq,
// then checks each is there once, as the gate has it, and the chain verifies.
func (e *estateT) arrived(g *gateT, seq uint64) {
	t := e.t
	t.Helper()
	r := e.officeSt.Received()
	// A deadline, not a timing claim: the whole suite under -race on two
	// cores can be slow; the state is said if it is not met.
	ok := assert.Eventually(t, func() bool {
		c, err := r.Chain(g.name)
		return err == nil && c.Verified >= seq
	}, 90*time.Second, 10*time.Millisecond, "gate %s: the office did not verify up to %d", g.name, seq)
	c, err := r.Chain(g.name)
	require.NoError(t, err)
	if !ok {
		t.Fatalf("gate %s: office chain %+v; the gate's uploader at %d after %d failed batches", g.name, c, g.up.Uploaded(), g.up.Failures())
	}
	assert.Nil(t, c.Break, "gate %s", g.name)
	assert.Equal(t, seq, c.Received, "gate %s: each event once", g.name)
	assert.Equal(t, seq, c.Highest)
	var want, got []eventlog.Event
	for after := uint64(0); after < seq; {
		w, err := g.st.Events(eventlog.Query{After: after, Limit: eventlog.MaxLimit})
		require.NoError(t, err)
		gg, err := r.Events(g.name, eventlog.Query{After: after, Limit: eventlog.MaxLimit})
		require.NoError(t, err)
		require.NotEmpty(t, w)
		want, got = append(want, w...), append(got, gg...)
		after = w[len(w)-1].Seq
	}
	require.Equal(t, len(want), len(got))
	for i := range want {
		require.Equal(t, want[i].Hash, got[i].Hash, "gate %s seq %d", g.name, want[i].Seq)
		require.Equal(t, want[i].Seq, got[i].Seq)
	}
}

// streamMsgs is how many messages the office's stream holds.
func (e *estateT) streamMsgs() uint64 {
	t := e.t
	t.Helper()
	js, err := jetstream.New(e.officeSrv.Conn())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, estate.StreamEvents)
	require.NoError(t, err)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	return info.State.Msgs
}

func TestEventsFromThreeGatesReachTheOfficeOnce(t *testing.T) {
	names := []string{"gate-a", "gate-b", "gate-c"}
	e := newEstate(t, names...)
	e.startOffice()
	var gates []*gateT
	for _, n := range names {
		gates = append(gates, e.startGate(n, t.TempDir(), ""))
	}
	var wg sync.WaitGroup
	for _, g := range gates {
		wg.Go(func() { g.append(t, 300) })
	}
	wg.Wait()
	for _, g := range gates {
		e.arrived(g, 300)
		require.Eventually(t, func() bool { return g.up.Uploaded() == 300 }, 10*time.Second, 10*time.Millisecond)
		c, err := g.st.UploadCursor(estate.CursorEvents)
		require.NoError(t, err)
		assert.Equal(t, uint64(300), c, "the cursor is persisted")
	}
	assert.Equal(t, uint64(900), e.streamMsgs(), "no event published twice")
	gs, err := e.officeSt.Received().Gates()
	require.NoError(t, err)
	assert.Equal(t, names, gs)
	n, err := e.officeSt.VerifyChain()
	require.NoError(t, err)
	assert.Zero(t, n, "the office's own log is its own")
	assert.NotContains(t, e.officeLog.String(), "****1234", "no event body in the office's log")
	for _, g := range gates {
		assert.NotContains(t, g.log.String(), "****1234", "no event body in a gate's log")
		assert.NotContains(t, g.log.String(), string(e.keys[g.name]), "no seed in a gate's log")
		assert.Contains(t, g.log.String(), "gate-", "the gate logged (the checks above can fail)")
	}
}

// withCutLink is an office with gate-a linked directly and gate-b through
// a link the test can cut.
func withCutLink(t *testing.T) (e *estateT, a, b *gateT, link *estatetest.Link) {
	t.Helper()
	e = newEstate(t, "gate-a", "gate-b")
	e.startOffice()
	link = estatetest.NewLink(t, e.listen)
	a = e.startGate("gate-a", t.TempDir(), "")
	b = e.startGate("gate-b", t.TempDir(), link.Addr())
	return e, a, b, link
}

func TestACutLinkQueuesAndEveryEventArrivesOnceAfter(t *testing.T) {
	e, a, b, link := withCutLink(t)
	a.append(t, 50)
	b.append(t, 50)
	e.arrived(a, 50)
	e.arrived(b, 50)

	link.Cut()
	require.Eventually(t, func() bool { return b.srv.Leaves() == 0 }, 10*time.Second, 10*time.Millisecond)
	failed := b.up.Failures()
	b.append(t, 200) // b keeps recording
	a.append(t, 50)  // and a is not held up by b
	e.arrived(a, 100)
	require.Eventually(t, func() bool { return b.up.Failures() > failed }, 10*time.Second, 10*time.Millisecond,
		"the uploader tried and failed while the link was cut")
	c, err := e.officeSt.Received().Chain("gate-b")
	require.NoError(t, err)
	assert.Equal(t, uint64(50), c.Received, "nothing crossed a cut link")
	assert.Equal(t, uint64(50), b.up.Uploaded())

	link.Restore()
	e.arrived(b, 250)
	assert.Equal(t, uint64(350), e.streamMsgs())
}

func TestAnOfficeRestartLosesAndDuplicatesNothing(t *testing.T) {
	e := newEstate(t, "gate-a", "gate-b")
	e.startOffice()
	a := e.startGate("gate-a", t.TempDir(), "")
	b := e.startGate("gate-b", t.TempDir(), "")
	a.append(t, 100)
	e.arrived(a, 100)

	e.stopOffice() // the office goes away: its server, its applier and its store
	var wg sync.WaitGroup
	wg.Go(func() { a.append(t, 300) })
	wg.Go(func() { b.append(t, 300) })
	wg.Wait()
	e.startOffice() // on the same port and files
	e.arrived(a, 400)
	e.arrived(b, 300)
	assert.Equal(t, uint64(700), e.streamMsgs())
}

func TestAGateRestartedMidUploadSendsEachEventOnce(t *testing.T) {
	e := newEstate(t, "gate-a")
	e.startOffice()
	dir := t.TempDir()
	// The events are recorded with the office unreachable (the gate dials a
	// cut link), then the link opens and the gate is stopped mid-upload.
	link := estatetest.NewLink(t, e.listen)
	link.Cut()
	g := e.startGate("gate-a", dir, link.Addr())
	g.append(t, 3000)
	link.Restore()
	require.Eventually(t, func() bool { return g.up.Uploaded() > 0 }, 30*time.Second, time.Millisecond)
	g.stop() // process-equivalent: uploader, server and store closed
	up := g.up.Uploaded()
	t.Logf("stopped with the cursor at %d of 3000", up)
	c, err := e.officeSt.Received().Chain("gate-a")
	require.NoError(t, err)
	t.Logf("the office held %d", c.Received)

	g = e.startGate("gate-a", dir, "")
	e.arrived(g, 3000)
	cur, err := g.st.UploadCursor(estate.CursorEvents)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, cur, up, "the cursor survived the restart")
}

func TestExactlyOnceBeyondTheDedupWindow(t *testing.T) {
	e := newEstate(t, "gate-a")
	e.dupWindow = 200 * time.Millisecond
	e.startOffice()
	dir := t.TempDir()
	g := e.startGate("gate-a", dir, "")
	g.append(t, 100)
	e.arrived(g, 100)
	g.stop()

	// A gate that lost its cursor (a restore of an old backup, a crash
	// between publish and cursor an hour ago) sends everything again, long
	// after the stream's dedup window.
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "store")})
	require.NoError(t, err)
	require.NoError(t, st.SetUploadCursor(estate.CursorEvents, 0))
	require.NoError(t, st.Close())
	time.Sleep(300 * time.Millisecond) // past the window (not an assertion)
	g = e.startGate("gate-a", dir, "")
	require.Eventually(t, func() bool { return e.streamMsgs() == 200 }, 30*time.Second, 10*time.Millisecond,
		"the stream took the repeats: its window had passed")
	require.Eventually(t, func() bool { return g.up.Uploaded() == 100 }, 10*time.Second, 10*time.Millisecond)
	e.arrived(g, 100) // and the office still holds each once
	assert.Equal(t, uint64(100), e.office.Applied())
}

func TestAGatesKeyCannotPublishAsAnotherNorReadOthers(t *testing.T) {
	e := newEstate(t, "gate-a", "gate-b")
	e.startOffice()
	b := e.startGate("gate-b", t.TempDir(), "")
	nc := e.thief("gate-a").Conn()

	// Its own subject works (the key is valid)...
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.Eventually(t, func() bool {
		_, err := js.Publish(ctx, estate.EventSubject("gate-a"), []byte(`{}`), jetstream.WithMsgID("gate-a:1"))
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	// ...another gate's does not: the office refuses it.
	_, err = js.Publish(ctx, estate.EventSubject("gate-b"), []byte(`{"seq":1}`), jetstream.WithMsgID("gate-b:1"))
	require.Error(t, err)
	// (The thief's own leaf server knows its permissions from the office
	// and sends nothing; a thief who changes that meets the office's check:
	// see TestTheOfficeRefusesAnotherGatesSubjectOnTheWire.)

	// The office's JetStream API is out of its reach.
	ojs, err := jetstream.NewWithDomain(nc, estate.OfficeDomain)
	require.NoError(t, err)
	sctx, scancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer scancel()
	_, err = ojs.Stream(sctx, estate.StreamEvents)
	require.Error(t, err, "the office's stream is not readable with a gate's key")

	// gate-b's events reach the office, and none reaches the thief.
	spy, err := nc.SubscribeSync("menwei.ev.>")
	require.NoError(t, err)
	inbox, err := nc.SubscribeSync("_INBOX.gate-b.>")
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	b.append(t, 20)
	e.arrived(b, 20)
	require.NoError(t, nc.Flush())
	n, _, err := spy.Pending()
	require.NoError(t, err)
	assert.Zero(t, n, "another gate's events")
	n, _, err = inbox.Pending()
	require.NoError(t, err)
	assert.Zero(t, n, "another gate's acks")
	c, err := e.officeSt.Received().Chain("gate-b")
	require.NoError(t, err)
	assert.Equal(t, uint64(20), c.Received, "nothing published as gate-b by gate-a's key")
	assert.Equal(t, uint64(21), e.streamMsgs(), "gate-b's 20 and gate-a's own 1")
}

// thief is a stolen gate: its key, and a server and client under the
// thief's control (no uploader, no applier, no local restriction of any
// kind), linked to the office.
func (e *estateT) thief(gate string) *estate.Server {
	t := e.t
	t.Helper()
	srv, err := estate.StartServer(estate.ServerOptions{Role: estate.RoleGate, Gate: gate, StoreDir: t.TempDir(),
		TLS: e.pki.Client, OfficeURL: "tls://" + e.listen, Seed: e.keys[gate]})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	require.Eventually(t, func() bool { return srv.Leaves() == 1 }, 10*time.Second, 10*time.Millisecond)
	return srv
}

// TestTheOfficeRefusesAnotherGatesSubjectOnTheWire speaks the leafnode
// protocol itself with gate-a's key, as a modified gate could, and sends a
// message on gate-b's subject: the office answers with a permissions
// violation and closes the link, and nothing reaches the stream.
func TestTheOfficeRefusesAnotherGatesSubjectOnTheWire(t *testing.T) {
	e := newEstate(t, "gate-a", "gate-b")
	e.startOffice()
	errLine := estatetest.LeafPublish(t, e.listen, e.pki.Client, e.keys["gate-a"], estate.EventSubject("gate-b"), []byte(`{"seq":1}`))
	assert.Equal(t, `-ERR 'Permissions Violation for Publish to "menwei.ev.gate-b"'`, errLine)
	assert.Zero(t, e.streamMsgs())
	// Its own subject is accepted on the same path (the test can fail).
	errLine = estatetest.LeafPublish(t, e.listen, e.pki.Client, e.keys["gate-a"], estate.EventSubject("gate-a"), []byte(`{"seq":1}`))
	assert.Empty(t, errLine)
	require.Eventually(t, func() bool { return e.streamMsgs() == 1 }, 10*time.Second, 10*time.Millisecond)
}

func TestReadSeedRefusesAReadableOrWrongFile(t *testing.T) {
	seed, _ := estatetest.GateKey(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.nk")
	require.NoError(t, os.WriteFile(good, append(append([]byte(nil), seed...), '\n'), 0o600))
	got, err := estate.ReadSeed(good)
	require.NoError(t, err)
	assert.Equal(t, seed, got)

	open := filepath.Join(dir, "open.nk")
	require.NoError(t, os.WriteFile(open, seed, 0o644))
	_, err = estate.ReadSeed(open)
	assert.ErrorContains(t, err, "readable by others")

	wrong := filepath.Join(dir, "wrong.nk")
	require.NoError(t, os.WriteFile(wrong, []byte("SUnotaseed"), 0o600))
	_, err = estate.ReadSeed(wrong)
	assert.ErrorContains(t, err, "does not hold a user seed")
	assert.NotContains(t, err.Error(), "SUnotaseed", "no seed in an error")
}

// TestTheOfficesStreamIsEncryptedAtRest looks for an event's name in the
// office's JetStream files: there without a key (so the test can fail),
// absent with one.
func TestTheOfficesStreamIsEncryptedAtRest(t *testing.T) {
	for _, encrypted := range []bool{false, true} {
		t.Run(fmt.Sprint("encrypted=", encrypted), func(t *testing.T) {
			e := newEstate(t, "gate-a")
			if encrypted {
				e.streamKey = bytes.Repeat([]byte{7}, 32)
			}
			e.startOffice()
			g := e.startGate("gate-a", t.TempDir(), "")
			g.append(t, 20) // each names "Li Wei"
			e.arrived(g, 20)
			e.stopOffice() // its files written and closed
			found := false
			err := filepath.WalkDir(filepath.Join(e.officeDir, "nats"), func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				if err == nil && bytes.Contains(b, []byte("Li Wei")) {
					found = true
				}
				return err
			})
			require.NoError(t, err)
			assert.Equal(t, !encrypted, found, "the name in the office's JetStream files")
		})
	}
}
