package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"menwei/controller"
	"menwei/controller/config"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/osdp"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/osdppd"
)

// afterAll runs when every test is done, before the leak check (shared
// fixtures such as the face embedder close here).
var afterAll []func()

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(runMainEnv); ok { // the test binary as menweid: see runMain
		os.Args = append([]string{"menweid"}, strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	if dir, ok := os.LookupEnv(anchorEnv); ok { // the test binary as the phone-open anchor server
		os.Exit(serveAnchor(dir))
	}
	code := m.Run()
	for _, f := range afterAll {
		f()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

const testKey = "0102030405060708090a0b0c0d0e0f10"

// gate is menweid's real code (Run) against an emulated reader on a real
// pseudo-terminal, with Badger in a temp dir and the real HTTP API.
type gate struct {
	ctl   *controller.Controller
	st    *store.Store // the store menweid opened (set before it is ready)
	token string       // bearer token of the test's admin account
	t     *testing.T
	pd    *osdppd.PD
	url   string
	dir   string
	stop  context.CancelFunc
	done  chan error
	alive bool
	line  *serialporttest.LineEnd // the PD's end of a paced line (gateSetup.line), else nil
}

func startGate(t *testing.T, pdCfg osdppd.Config, pdYAML string) *gate {
	t.Helper()
	pdCfg.Addr = 101
	pd, err := osdppd.New(pdCfg)
	require.NoError(t, err)
	return startGateWith(t, gateSetup{pd: pd, pdYAML: pdYAML, seed: true})
}

// gateSetup says what startGateWith runs: which emulated PD, extra YAML for
// the PD and the file, and whether to seed a fresh store (a restart reuses dir).
type gateSetup struct {
	pd     *osdppd.PD
	pdYAML string
	extra  string
	dir    string
	seed   bool
	door   string    // another door, YAML list item(s) under doors:
	main   string    // more YAML lines of the main-gate door (indented 4)
	tls    [2]string // certificate and key files: HTTPS
	opens  int       // http.opens_per_minute (0 = the default, 10)
	// beforeRun runs on the store before menweid opens it.
	beforeRun func(*store.Store)
	// line, when set, puts the PD on a half-duplex line paced at this
	// baud (serialporttest.Line) instead of a pty, which carries a
	// kilobyte at once; the bus's baud in the config is the same.
	line int
}

func startGateWith(t *testing.T, gs gateSetup) *gate {
	t.Helper()
	var (
		port   io.ReadWriteCloser // the PD's end
		device string
		open   func(config.Bus) (io.ReadWriteCloser, error)
		line   *serialporttest.LineEnd
		baud   = 9600
	)
	if gs.line != 0 {
		cpEnd, pdEnd := serialporttest.NewLine(gs.line)
		port, device, line, baud = pdEnd, "paced-line", pdEnd, gs.line
		open = func(config.Bus) (io.ReadWriteCloser, error) { return cpEnd, nil }
	} else {
		master, slave := serialporttest.PtyPair(t)
		port, device = master, slave
	}
	pd := gs.pd
	emuCtx, emuStop := context.WithCancel(context.Background())
	emuDone := make(chan error, 1)
	go func() { emuDone <- osdppd.Serve(emuCtx, port, pd) }()
	t.Cleanup(func() {
		emuStop()
		if line != nil {
			line.Close() // a Line's Read waits for bytes, not for ctx
		}
		<-emuDone
	})

	dir := gs.dir
	if dir == "" {
		dir = t.TempDir()
	}
	pdYAML := gs.pdYAML
	yaml := fmt.Sprintf(`
data_dir: %s
http: { listen: "127.0.0.1:0", cert: "%s", key: "%s", opens_per_minute: %d }
buses:
  - name: gate
    device: %s
    baud: %d
    poll_interval: 20ms
    pds:
      - name: gate-reader
        address: 101
%s
doors:
  - name: main-gate
    readers: [{ pd: gate-reader }]
    lock: { pd: gate-reader, output: 0 }
    contact: { pd: gate-reader, input: 0 }
    pulse: 3s
    policy: { min_liveness: 50 }
%s
%s
%s
`, dir, gs.tls[0], gs.tls[1], gs.opens, device, baud, pdYAML, gs.main, gs.door, gs.extra)
	cfg, err := config.Parse([]byte(yaml), dir)
	require.NoError(t, err)

	if gs.seed {
		seed(t, cfg.Store.Dir)
	}
	if gs.beforeRun != nil {
		s, err := openStore(cfg.Store.Dir)
		require.NoError(t, err)
		gs.beforeRun(s)
		require.NoError(t, s.Close())
	}
	g := run(t, cfg, pd, dir, open)
	g.line = line
	return g
}

// openStore opens (or creates) a test gate's store the way menweid does:
// encrypted, with the key in the default place beside it (<data_dir>/keys/
// store.key, made for a new store).
func openStore(dir string) (*store.Store, error) {
	key, err := store.PlanKey(filepath.Join(filepath.Dir(dir), "keys", "store.key"), dir, false, true)
	if err != nil {
		return nil, err
	}
	return store.Open(store.Options{Dir: dir, Key: key.Key})
}

func seed(t *testing.T, dir string) {
	st, err := openStore(dir)
	require.NoError(t, err)
	require.NoError(t, st.PutIdentity(store.Identity{ID: "li-wei", Kind: policy.Resident, Name: "Li Wei", Unit: "3-201"}))
	require.NoError(t, st.AddCredential(store.Credential{Kind: policy.Card, Key: "1:1234", Identity: "li-wei"}))
	// Li Wei agreed to his face and fingerprint being used (as the property
	// office records before enrolling them).
	for _, b := range []policy.Factor{policy.Face, policy.Finger} {
		require.NoError(t, st.GiveConsent(store.Consent{Identity: "li-wei", Biometric: b, Text: string(b) + "-v1", Account: "admin"}))
	}
	require.NoError(t, st.PutIdentity(store.Identity{ID: "zhao", Kind: policy.Staff, Name: "Zhao Guard"}))
	require.NoError(t, st.AddCredential(store.Credential{Kind: policy.Card, Key: "1:3", Identity: "zhao"}))
	require.NoError(t, st.PutAccount("admin", store.RoleAdmin, testPassword))
	require.NoError(t, st.Close())
}

const testPassword = "a test password"

// seedN imports n residents; resident i has card 1:i.
func seedN(tb testing.TB, s *store.Store, n int) {
	ids := make([]store.Identity, 0, n)
	creds := make([]store.Credential, 0, n)
	for i := range n {
		id := fmt.Sprintf("r%05d", i)
		ids = append(ids, store.Identity{ID: id, Kind: policy.Resident, Name: "Resident " + id})
		// 26-bit cards number 0-65535 within a facility.
		creds = append(creds, store.Credential{Kind: policy.Card, Key: fmt.Sprintf("%d:%d", 1+i/65536, i%65536), Identity: id})
	}
	require.NoError(tb, s.Import(ids, creds))
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// run starts menweid; open, when not nil, opens its bus lines.
func run(t *testing.T, cfg config.Config, pd *osdppd.PD, dir string, open func(config.Bus) (io.ReadWriteCloser, error)) *gate {
	ctx, cancel := context.WithCancel(context.Background())
	g := &gate{t: t, pd: pd, dir: dir, stop: cancel, done: make(chan error, 1), alive: true}
	ready := make(chan string, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	go func() {
		g.done <- Run(ctx, cfg, log, Options{OpenPort: open, Ready: func(a string) { ready <- a }, Controller: func(c *controller.Controller) { g.ctl = c },
			Store: func(s *store.Store) { g.st = s }})
	}()
	select {
	case a := <-ready:
		g.url = "http://" + a
		if cfg.HTTP.Cert != "" {
			g.url = "https://" + a
		}
	case err := <-g.done:
		t.Fatalf("menweid did not start: %v", err)
	}
	t.Cleanup(g.shutdown)
	g.login()
	return g
}

// shutdown stops menweid as SIGTERM does and checks it stopped cleanly.
func (g *gate) shutdown() {
	if !g.alive {
		return
	}
	g.alive = false
	g.stop()
	select {
	case err := <-g.done:
		assert.NoError(g.t, err, "menweid stops cleanly")
	case <-time.After(20 * time.Second):
		g.t.Fatal("menweid did not stop")
	}
}

// login signs the test's admin account in and keeps its bearer token.
func (g *gate) login() {
	g.t.Helper()
	resp, err := http.DefaultClient.Post(g.url+"/api/v1/login", "application/json", strings.NewReader(`{"name":"admin","password":"`+testPassword+`"}`))
	require.NoError(g.t, err)
	defer resp.Body.Close()
	require.Equal(g.t, http.StatusOK, resp.StatusCode)
	var r struct {
		Token string `json:"token"`
	}
	require.NoError(g.t, json.NewDecoder(resp.Body).Decode(&r))
	g.token = r.Token
}

func (g *gate) get(path string, v any) {
	g.t.Helper()
	req, err := http.NewRequest(http.MethodGet, g.url+path, nil)
	require.NoError(g.t, err)
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(g.t, err)
	defer resp.Body.Close()
	require.Equal(g.t, http.StatusOK, resp.StatusCode)
	require.NoError(g.t, json.NewDecoder(resp.Body).Decode(v))
}

func (g *gate) events() []controller.Event {
	var page struct {
		Events []controller.Event `json:"events"`
	}
	g.get("/api/v1/events?limit=1000", &page)
	return page.Events
}

// waitEvent waits until the API shows an event matching ok.
func (g *gate) waitEvent(what string, ok func(controller.Event) bool) controller.Event {
	g.t.Helper()
	var found controller.Event
	require.Eventuallyf(g.t, func() bool {
		for _, e := range g.events() {
			if ok(e) {
				found = e
				return true
			}
		}
		return false
	}, 20*time.Second, 20*time.Millisecond, "no %s event", what)
	return found
}

func (g *gate) waitOnline(secure bool) {
	g.t.Helper()
	require.Eventually(g.t, func() bool {
		var st struct {
			PDs []controller.PDStatus `json:"pds"`
		}
		g.get("/api/v1/pds", &st)
		return len(st.PDs) == 1 && st.PDs[0].Online && st.PDs[0].Secure == secure
	}, 20*time.Second, 20*time.Millisecond, "pd not online (secure=%v)", secure)
}

func waitCmd(t *testing.T, pd *osdppd.PD, code byte) osdp.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := pd.WaitCommand(ctx, code)
	require.NoError(t, err, "waiting for %s", osdp.CodeName(code, false))
	return m
}

// pulses counts the lock releases the PD was told to make.
func pulses(pd *osdppd.PD) int {
	n := 0
	for _, m := range pd.Commands() {
		if out, ok := m.(osdp.Out); ok && out.Records[0].Control == osdp.OutTempOnThenOff {
			n++
		}
	}
	return n
}

func TestCardOpensDoor(t *testing.T) {
	key, _ := hex.DecodeString(testKey)
	for _, tt := range []struct {
		name   string
		pd     osdppd.Config
		yaml   string
		secure bool
	}{
		{"plaintext", osdppd.Config{}, "", false},
		{"secure channel", osdppd.Config{SCBK: key}, "        scbk: " + testKey, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := startGate(t, tt.pd, tt.yaml)
			g.waitOnline(tt.secure)
			assert.Equal(t, tt.secure, g.pd.SCActive())

			// On line, the lock is set to its idle state: locked.
			out := waitCmd(t, g.pd, osdp.CmdOUT).(osdp.Out)
			assert.Equal(t, []osdp.OutRecord{{Output: 0, Control: osdp.OutPermOffAbort}}, out.Records)

			// A resident's card: the decision is logged, then the lock is pulsed.
			g.pd.PresentWiegand26(1, 1234)
			out = waitCmd(t, g.pd, osdp.CmdOUT).(osdp.Out)
			assert.Equal(t, []osdp.OutRecord{{Output: 0, Control: osdp.OutTempOnThenOff, Timer: 30}}, out.Records)
			led := waitCmd(t, g.pd, osdp.CmdLED).(osdp.LED)
			assert.Equal(t, byte(osdp.ColorGreen), led.Records[0].Temp.OnColor)
			waitCmd(t, g.pd, osdp.CmdBUZ)
			granted := g.waitEvent("granted", func(e controller.Event) bool { return e.Kind == controller.KindGranted })
			assert.Equal(t, "li-wei", granted.Identity)
			assert.Equal(t, "main-gate", granted.Door)
			assert.Equal(t, "h10301:…34", granted.Card, "only a masked card in the log")

			// An unknown card: denied with its reason, red LED, no OUT.
			g.pd.PresentWiegand26(9, 9)
			denied := g.waitEvent("denied", func(e controller.Event) bool { return e.Kind == controller.KindDenied })
			assert.Equal(t, controller.ReasonUnknownCard, denied.Reason)
			led = waitCmd(t, g.pd, osdp.CmdLED).(osdp.LED)
			assert.Equal(t, byte(osdp.ColorRed), led.Records[0].Temp.OnColor)
			waitCmd(t, g.pd, osdp.CmdBUZ)
			assert.Equal(t, 1, pulses(g.pd), "the unknown card did not open the door")
			assert.Less(t, granted.Seq, denied.Seq)

			// A read with a parity error is a bad read, not a lookup.
			bad := []byte{0x80, 0x82, 0x69, 0x40}
			require.NoError(t, g.pd.PresentCard(26, bad))
			g.waitEvent("bad read", func(e controller.Event) bool { return e.Reason == controller.ReasonBadRead })

			// The door contact opens.
			require.NoError(t, g.pd.SetInput(0, true))
			g.waitEvent("door opened", func(e controller.Event) bool { return e.Kind == controller.KindDoorOpened })

			// SIGTERM-like stop: clean, st closed, everything durable and chained.
			g.shutdown()
			st, err := openStore(filepath.Join(g.dir, "store"))
			require.NoError(t, err)
			defer st.Close()
			n, err := st.VerifyChain()
			require.NoError(t, err)
			evs, err := st.Events(controller.EventQuery{Limit: 1000})
			require.NoError(t, err)
			assert.Equal(t, int(n), len(evs))
			assert.Equal(t, controller.KindSystemStop, evs[len(evs)-1].Kind)
		})
	}
}

// Install mode: the new PD knows only SCBK-D; menweid opens a session with
// it, installs the configured key with KEYSET and reconnects with that key.
func TestInstallModeSetsKeyThenSecureChannel(t *testing.T) {
	key, _ := hex.DecodeString(testKey)
	g := startGate(t, osdppd.Config{Install: true}, "        scbk: "+testKey+"\n        install: true")
	g.waitOnline(true)
	assert.Equal(t, key, g.pd.Key(), "the PD now holds the configured key")
	assert.True(t, g.pd.SCActive())
	e := g.waitEvent("key installed", func(e controller.Event) bool { return e.Kind == controller.KindPDSecure })
	assert.Equal(t, "new key installed", e.Detail)

	g.pd.PresentWiegand26(1, 1234)
	g.waitEvent("granted", func(e controller.Event) bool { return e.Kind == controller.KindGranted })
	require.Eventually(t, func() bool { return pulses(g.pd) == 1 }, 20*time.Second, 10*time.Millisecond)
}

// A PD configured with a key that answers in plaintext is never accepted:
// it stays offline, the reason is recorded, and a card there opens nothing.
func TestKeyedPDAnsweringInPlaintextIsRefused(t *testing.T) {
	for _, tt := range []struct {
		name string
		pd   osdppd.Config
		mode osdppd.Mode
		want string
	}{
		{"no secure channel firmware", osdppd.Config{}, osdppd.Plaintext, "does not support the secure channel"},
		{"wrong key", osdppd.Config{SCBK: []byte("another 16b key!")}, osdppd.Normal, "client cryptogram does not match"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := startGate(t, tt.pd, "        scbk: "+testKey)
			g.pd.SetMode(tt.mode)
			e := g.waitEvent("secure channel refusal", func(e controller.Event) bool { return e.Kind == controller.KindPDSecure })
			assert.Contains(t, e.Detail, tt.want)
			g.pd.PresentWiegand26(1, 1234)
			time.Sleep(500 * time.Millisecond) // give a wrongly accepted PD the chance to be polled
			for _, ev := range g.events() {
				assert.NotEqual(t, controller.KindPDOnline, ev.Kind)
				assert.NotEqual(t, controller.KindGranted, ev.Kind)
			}
			for _, m := range g.pd.Commands() {
				assert.Contains(t, []byte{osdp.CmdID, osdp.CmdCAP}, m.Code(), "only identification reached the PD")
			}
		})
	}
}

func osdppdConfig(addr byte) osdppd.Config { return osdppd.Config{Addr: addr} }

// The pages show times in the controller's zone: the configured one, else
// the machine's (TZ).
func TestZoneName(t *testing.T) {
	assert.Equal(t, "Asia/Shanghai", zoneName("Asia/Shanghai"))
	t.Setenv("TZ", "Asia/Shanghai")
	assert.Equal(t, "Asia/Shanghai", zoneName(""))
	t.Setenv("TZ", "")
	assert.Equal(t, "UTC", zoneName(""))
	t.Setenv("TZ", "Not/AZone")
	assert.Equal(t, "", zoneName(""), "no name the pages could use")
}
