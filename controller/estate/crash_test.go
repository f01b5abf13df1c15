//go:build linux

package estate_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/estate"
	"menwei/controller/eventlog"
	"menwei/controller/store"
)

// The child's settings, from its parent.
const (
	crashDirEnv    = "MENWEI_ESTATE_CRASH_DIR"
	crashOfficeEnv = "MENWEI_ESTATE_CRASH_OFFICE"
	crashCAEnv     = "MENWEI_ESTATE_CRASH_CA"
	crashSeedEnv   = "MENWEI_ESTATE_CRASH_SEED"
)

// TestGateCrashChild is the gate TestKillingAGateDuringUploadLosesAndDuplicatesNothing
// kills: it records events from two goroutines while its uploader sends
// them to the office.
func TestGateCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("the child of TestKillingAGateDuringUploadLosesAndDuplicatesNothing")
	}
	fail := childFail("crash child")
	st, srv := crashGate(dir, fail)
	up, err := estate.NewUploader(estate.UploaderOptions{Gate: "gate-k", Conn: srv.Conn(), Events: st, Cursor: st,
		Batch: 64, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if err != nil {
		fail("uploader", err)
	}
	go func() { fail("uploader stopped", up.Run(context.Background())) }()
	for g := range 2 {
		go func() {
			for i := 0; ; i++ {
				if _, err := st.Append(context.Background(), eventlog.Event{Kind: "access.granted", Door: fmt.Sprint("d", g), Identity: fmt.Sprint("r", i)}); err != nil {
					fail("append", err)
				}
			}
		}()
	}
	readyToDie()
}

// readyToDie tells the parent a crash child runs, and waits for the kill.
func readyToDie() {
	fmt.Println("ready")
	time.Sleep(time.Minute) // the parent kills us long before
	os.Exit(3)
}

// childFail ends a crash child with what failed.
func childFail(who string) func(what string, err error) {
	return func(what string, err error) {
		fmt.Fprintf(os.Stderr, "%s: %s: %v\n", who, what, err)
		os.Exit(2)
	}
}

// crashGate is a crash child's gate-k: its store in dir and its server,
// dialling the office, the CA and the seed its parent names.
func crashGate(dir string, fail func(string, error)) (*store.Store, *estate.Server) {
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "store")})
	if err != nil {
		fail("open store", err)
	}
	tc, err := estate.GateTLS(os.Getenv(crashCAEnv))
	if err != nil {
		fail("tls", err)
	}
	seed, err := estate.ReadSeed(os.Getenv(crashSeedEnv))
	if err != nil {
		fail("seed", err)
	}
	srv, err := estate.StartServer(estate.ServerOptions{Role: estate.RoleGate, Gate: "gate-k", StoreDir: filepath.Join(dir, "nats"),
		TLS: tc, OfficeURL: "tls://" + os.Getenv(crashOfficeEnv), Seed: seed, ReconnectInterval: 50 * time.Millisecond})
	if err != nil {
		fail("server", err)
	}
	return st, srv
}

// startChild runs this test binary's test child with env and waits for
// it to say it is ready.
func startChild(t *testing.T, child string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "%s did not start", child)
	require.Equal(t, "ready\n", line)
	return cmd
}

// TestKillingAGateDuringUploadLosesAndDuplicatesNothing kills a recording,
// uploading gate with SIGKILL, again and again, each time while the office
// is receiving from it, then lets it finish: the office holds every event
// of the gate's log once, and the chain verifies.
func TestKillingAGateDuringUploadLosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes")
	}
	e := newEstate(t, "gate-k")
	e.startOffice()
	dir := t.TempDir()
	seedFile := filepath.Join(t.TempDir(), "gate-k.nk")
	require.NoError(t, os.WriteFile(seedFile, e.keys["gate-k"], 0o600))
	r := e.officeSt.Received()
	held := func() uint64 {
		c, err := r.Chain("gate-k")
		require.NoError(t, err)
		return c.Received
	}
	for round := range 4 {
		before := held()
		cmd := startChild(t, "TestGateCrashChild", crashDirEnv+"="+dir, crashOfficeEnv+"="+e.listen, crashCAEnv+"="+e.pki.CAFile, crashSeedEnv+"="+seedFile)
		// Kill it while it uploads: after the office has taken more from
		// it, at a random moment of the next stretch.
		require.Eventually(t, func() bool { return held() > before+100 }, 90*time.Second, time.Millisecond, "round %d", round)
		time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond) // where it dies, not an assertion
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		require.Error(t, cmd.Wait())
		t.Logf("round %d: killed with %d events at the office", round, held())
	}
	// The gate comes back for good and finishes.
	g := e.startGate("gate-k", dir, "")
	head := g.head(t)
	n, err := g.st.VerifyChain()
	require.NoError(t, err, "the gate's own log survived the kills")
	require.Equal(t, head, n)
	e.arrived(g, head)
	c, err := r.Chain("gate-k")
	require.NoError(t, err)
	assert.Equal(t, head, c.Verified)
	assert.GreaterOrEqual(t, e.streamMsgs(), head, "repeats in the stream are allowed; at the office they are not")
	t.Logf("%d events, %d messages in the stream, %d at the office", head, e.streamMsgs(), c.Received)
}

// The office child's settings.
const (
	officeDirEnv    = "MENWEI_ESTATE_OFFICE_CRASH_DIR"
	officeListenEnv = "MENWEI_ESTATE_OFFICE_CRASH_LISTEN"
	officeCertEnv   = "MENWEI_ESTATE_OFFICE_CRASH_CERT"  // cert and key files, space-separated
	officeGatesEnv  = "MENWEI_ESTATE_OFFICE_CRASH_GATES" // name=nkey, space-separated
)

// TestOfficeCrashChild is the office TestKillingTheOfficeDuringApplyLosesAndDuplicatesNothing
// kills: its server, its store and its applier.
func TestOfficeCrashChild(t *testing.T) {
	dir := os.Getenv(officeDirEnv)
	if dir == "" {
		t.Skip("the child of TestKillingTheOfficeDuringApplyLosesAndDuplicatesNothing")
	}
	fail := childFail("office crash child")
	var cert, key string
	fmt.Sscan(os.Getenv(officeCertEnv), &cert, &key)
	tc, err := estate.OfficeTLS(cert, key)
	if err != nil {
		fail("tls", err)
	}
	var gates []estate.GateKey
	for _, f := range strings.Fields(os.Getenv(officeGatesEnv)) {
		name, nkey, _ := strings.Cut(f, "=")
		gates = append(gates, estate.GateKey{Name: name, NKey: nkey})
	}
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "store")})
	if err != nil {
		fail("open store", err)
	}
	srv, err := estate.StartServer(estate.ServerOptions{Role: estate.RoleOffice, StoreDir: filepath.Join(dir, "nats"), TLS: tc,
		Listen: os.Getenv(officeListenEnv), Gates: gates})
	if err != nil {
		fail("server", err)
	}
	off, err := estate.NewOffice(estate.OfficeOptions{Conn: srv.Conn(), Received: st.Received(), Batch: 32})
	if err != nil {
		fail("office", err)
	}
	go func() { fail("office stopped", off.Run(context.Background())) }()
	readyToDie()
}

// TestKillingTheOfficeDuringApplyLosesAndDuplicatesNothing kills the
// office with SIGKILL while two gates upload to it, again and again, then
// runs it for good: it holds every event of both gates once, and both
// chains verify.
func TestKillingTheOfficeDuringApplyLosesAndDuplicatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes")
	}
	e := newEstate(t, "gate-a", "gate-b")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	e.listen = ln.Addr().String() // the office's port, the same in every life
	ln.Close()
	var gateEnv []string
	for _, g := range e.gates {
		gateEnv = append(gateEnv, g.Name+"="+g.NKey)
	}
	a := e.startGate("gate-a", t.TempDir(), "")
	b := e.startGate("gate-b", t.TempDir(), "")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, g := range []*gateT{a, b} {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					g.append(t, 10)
				}
			}
		})
	}
	for round := range 4 {
		cmd := startChild(t, "TestOfficeCrashChild", officeDirEnv+"="+e.officeDir, officeListenEnv+"="+e.listen,
			officeCertEnv+"="+e.pki.CertFile+" "+e.pki.KeyFile, officeGatesEnv+"="+strings.Join(gateEnv, " "))
		// Kill it once both gates have sent it more, while it applies.
		from := a.up.Uploaded() + b.up.Uploaded()
		if !assert.Eventually(t, func() bool { return a.up.Uploaded()+b.up.Uploaded() > from+200 }, 90*time.Second, time.Millisecond) {
			t.Fatalf("round %d: the gates' uploaders at %d and %d, %d and %d failed batches", round, a.up.Uploaded(), b.up.Uploaded(), a.up.Failures(), b.up.Failures())
		}
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond) // where it dies, not an assertion
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		require.Error(t, cmd.Wait())
		t.Logf("round %d: killed with gates' cursors at %d and %d", round, a.up.Uploaded(), b.up.Uploaded())
	}
	close(stop)
	wg.Wait()
	e.startOffice() // for good, on the same files and port
	e.arrived(a, a.head(t))
	e.arrived(b, b.head(t))
	t.Logf("%d + %d events, %d messages in the stream", a.head(t), b.head(t), e.streamMsgs())
}

// The directory child's settings (with crashOfficeEnv, crashCAEnv and
// crashSeedEnv).
const dirCrashDirEnv = "MENWEI_ESTATE_DIR_CRASH_DIR"

// TestDirectoryCrashChild is the gate TestKillingAGateDuringDirectoryApply
// kills: its server and its directory's applier, in small batches.
func TestDirectoryCrashChild(t *testing.T) {
	dir := os.Getenv(dirCrashDirEnv)
	if dir == "" {
		t.Skip("the child of TestKillingAGateDuringDirectoryApplyEndsIdentical")
	}
	fail := childFail("directory crash child")
	st, srv := crashGate(dir, fail)
	ap, err := estate.NewApplier(estate.ApplierOptions{Gate: "gate-k", Conn: srv.Conn(), Store: st, Batch: 40, Link: srv.LeafLink})
	if err != nil {
		fail("applier", err)
	}
	go func() { fail("applier stopped", ap.Run(context.Background())) }()
	readyToDie()
}

// TestKillingAGateDuringDirectoryApplyEndsIdentical kills a fresh gate
// with SIGKILL while it applies a directory of 2,000 people, four times
// or more (until a kill lands mid-apply), with the office editing (80
// each time) and deleting (20) people between the kills; then runs it for good: its directory is the
// office's slice, exactly.
func TestKillingAGateDuringDirectoryApplyEndsIdentical(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes")
	}
	e := newEstate(t, "gate-k")
	e.startOffice()
	importResidents(t, e.officeSt, 2000, func(i int) bool { return i%2 == 0 })
	dir := t.TempDir()
	seedFile := filepath.Join(t.TempDir(), "gate-k.nk")
	require.NoError(t, os.WriteFile(seedFile, e.keys["gate-k"], 0o600))
	midApply := 0
	// Four kills at least, and more (up to twelve) until one lands in the
	// middle of an apply: on a fast box the gate may finish a round's
	// changes before a kill that comes late.
	for round := 0; round < 4 || midApply == 0 && round < 12; round++ {
		cmd := startChild(t, "TestDirectoryCrashChild", dirCrashDirEnv+"="+dir, crashOfficeEnv+"="+e.listen, crashCAEnv+"="+e.pki.CAFile, crashSeedEnv+"="+seedFile)
		// The office edits while the gate applies.
		for i := range 100 {
			id := fmt.Sprint("r", round*100+i)
			if i%5 == 0 {
				require.NoError(t, e.officeSt.DeleteIdentity(id))
			} else {
				addResident(t, e.officeSt, resident{id: id, card: fmt.Sprintf("h10301:4:%d", round*100+i), face: true})
			}
		}
		time.Sleep(time.Duration(rand.IntN(400)) * time.Millisecond) // where it dies, not an assertion
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		require.Error(t, cmd.Wait())
		st, err := store.Open(store.Options{Dir: filepath.Join(dir, "store")})
		require.NoError(t, err)
		rev, err := st.DirectoryRevision()
		require.NoError(t, err)
		require.NoError(t, st.Close())
		last := e.dirLast("gate-k")
		if rev < last {
			midApply++
		}
		t.Logf("round %d: killed at revision %d of %d", round, rev, last)
	}
	g := e.startGate("gate-k", dir, "")
	assert.Positive(t, midApply, "a kill left work to do (else the test proves little)")
	t.Logf("killed %d times in the middle of an apply; the gate starts again at revision %d", midApply, g.apl.Revision())
	e.sameSlice(g, 60*time.Second)
}
