package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/controller/config"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/osdp"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/osdppd"
)

// BenchmarkCardToOUT measures, at the emulated reader, the time from writing
// a RAW card reply to receiving the OUT command that releases the lock:
// both pseudo-terminal crossings, menweid's frame handling and secure
// channel, the decision, the synced event append (real disk, encrypted
// store), and the bus loop's scheduling. One op is one card; the result is
// the latency percentiles (p50-ms, p99-ms, max-ms). ns/op is suppressed: it
// would be the time between cards, which the poll interval sets.
func BenchmarkCardToOUT(b *testing.B) {
	key, _ := hex.DecodeString(testKey)
	pd, err := osdppd.New(osdppd.Config{Addr: 101, SCBK: key})
	require.NoError(b, err)
	master, slave := serialporttest.PtyPair(b)

	outs := make(chan time.Duration, 16)
	go func() { // the reader's firmware, timing RAW → OUT
		r := osdp.NewReader(master)
		var rawAt time.Time
		for {
			f, err := r.Next()
			if err != nil {
				return
			}
			if f.Code == osdp.CmdOUT && !rawAt.IsZero() {
				outs <- time.Since(rawAt)
				rawAt = time.Time{}
			}
			rep := pd.Handle(f)
			if rep == nil {
				continue
			}
			if rf, _, err := osdp.Decode(rep); err == nil && rf.Code == osdp.ReplyRAW {
				rawAt = time.Now()
			}
			if _, err := master.Write(rep); err != nil {
				return
			}
		}
	}()

	dir := b.TempDir()
	yaml := fmt.Sprintf(`
data_dir: %s
http: { listen: "127.0.0.1:0" }
buses:
  - name: gate
    device: %s
    baud: 115200
    poll_interval: 20ms
    pds:
      - { name: gate-reader, address: 101, scbk: %s }
doors:
  - name: main-gate
    readers: [{ pd: gate-reader }]
    lock: { pd: gate-reader, output: 0 }
`, dir, slave, testKey)
	cfg, err := config.Parse([]byte(yaml), dir)
	require.NoError(b, err)
	s, err := openStore(cfg.Store.Dir)
	require.NoError(b, err)
	seedN(b, s, 10_000)
	require.NoError(b, s.Close())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() { done <- Run(ctx, cfg, discard(), Options{Ready: func(a string) { ready <- a }}) }()
	<-ready
	defer func() { cancel(); <-done }()
	// Wait for the secure channel and the lock's idle OUT.
	require.Eventually(b, pd.SCActive, 20*time.Second, 10*time.Millisecond)
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	_, err = pd.WaitCommand(wctx, osdp.CmdOUT)
	wcancel()
	require.NoError(b, err)

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		pd.PresentWiegand26(1, uint16(i%10_000))
		select {
		case d := <-outs:
			lat = append(lat, d)
		case <-time.After(10 * time.Second):
			b.Fatal("no OUT after a card")
		}
	}
	b.StopTimer()
	reportLatency(b, lat)
	b.ReportMetric(0, "ns/op")
}

// reportLatency sorts lat and reports its p50, p99 and max in milliseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1e3 }
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(p(1), "max-ms")
}

// menweidEnv names a menweid binary the benchmarks run instead of building
// one (make bench-report builds it once for all its runs).
const menweidEnv = "MENWEI_BENCH_MENWEID"

// menweidBinary is the menweid binary the daemon benchmarks run: the one
// menweidEnv names, else one built now with go build -o into a temp dir.
func menweidBinary(b *testing.B) string {
	b.Helper()
	if bin := os.Getenv(menweidEnv); bin != "" {
		return bin
	}
	bin := filepath.Join(b.TempDir(), "menweid")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(b, build.Run())
	return bin
}

// menweidProc is a menweid process started by a benchmark.
type menweidProc struct {
	cmd  *exec.Cmd
	url  string // http://127.0.0.1:port
	logs sync.WaitGroup
}

var startedRE = regexp.MustCompile(`msg="menweid started" api=(http://[^/ ]+)/`)

// startDaemon runs bin on the configuration file cfgPath, waits until its
// API listens (its "menweid started" log line) and stops it with SIGTERM
// at cleanup, requiring a clean exit. Its log is read and dropped (at
// info, as menweid runs by default: one line per decision).
func startDaemon(b *testing.B, bin, cfgPath string) *menweidProc {
	b.Helper()
	d := &menweidProc{cmd: exec.Command(bin, "-config", cfgPath)}
	stderr, err := d.cmd.StderrPipe()
	require.NoError(b, err)
	require.NoError(b, d.cmd.Start())
	addr := make(chan string, 1)
	d.logs.Add(1)
	go func() {
		defer d.logs.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if m := startedRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
			if strings.Contains(sc.Text(), "level=ERROR") {
				fmt.Fprintln(os.Stderr, "menweid:", sc.Text())
			}
		}
		io.Copy(io.Discard, stderr)
		close(addr)
	}()
	b.Cleanup(func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		d.logs.Wait()
		if err := d.cmd.Wait(); err != nil {
			b.Errorf("menweid: no clean exit on SIGTERM: %v", err)
		}
	})
	select {
	case a, ok := <-addr:
		require.True(b, ok, "menweid exited before its API listened")
		d.url = a
	case <-time.After(60 * time.Second):
		b.Fatal("menweid did not start within 60s")
	}
	return d
}

// waitReady waits until the daemon's /readyz says ready (every lock's
// terminal online).
func (d *menweidProc) waitReady(b *testing.B) {
	b.Helper()
	require.Eventually(b, func() bool {
		resp, err := http.Get(d.url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 60*time.Second, 20*time.Millisecond, "menweid ready")
}

// emulateLocks starts n emulated readers on pseudo-terminals, stopped at
// cleanup, and returns the YAML of one bus per reader (b<i>, PD r<i>,
// 115200 baud, polled every 20 ms) and of one door per reader (door<i>,
// its lock on r<i>).
func emulateLocks(b *testing.B, n int) (buses, doors string) {
	ctx, cancel := context.WithCancel(context.Background())
	var emus sync.WaitGroup
	b.Cleanup(func() { cancel(); emus.Wait() })
	for i := range n {
		master, slave := serialporttest.PtyPair(b)
		pd, err := osdppd.New(osdppd.Config{Addr: 1})
		require.NoError(b, err)
		emus.Add(1)
		go func() { defer emus.Done(); osdppd.Serve(ctx, master, pd) }()
		buses += fmt.Sprintf("  - { name: b%d, device: %s, baud: 115200, poll_interval: 20ms, pds: [{ name: r%d, address: 1 }] }\n", i, slave, i)
		doors += fmt.Sprintf("  - { name: door%d, readers: [{ pd: r%d }], lock: { pd: r%d, output: 0 } }\n", i, i, i)
	}
	return buses, doors
}

// Phone-open load: phoneWorkers concurrent paired phones over four doors.
const (
	phoneWorkers = 32
	phoneDoors   = 4
)

// BenchmarkPhoneOpen runs the menweid binary (encrypted store, as menweid
// makes it) with four doors, each lock an emulated reader on a bus of its
// own, and drives it with a Go load generator: 32 concurrent paired phones
// (one token each), each request authenticated, judged by the door policy,
// its decision synced to disk, and answered only when the door's lock has
// acknowledged the OUT; only a 200 ("opened") counts. The per-phone limit
// (http.opens_per_minute) is lifted to measure capacity. Compare with
// BenchmarkPhoneOpenAnchor in the same session.
func BenchmarkPhoneOpen(b *testing.B) {
	bin := menweidBinary(b)
	dir := b.TempDir()
	buses, doors := emulateLocks(b, phoneDoors)
	cfgPath := filepath.Join(dir, "menwei.yaml")
	require.NoError(b, os.WriteFile(cfgPath, fmt.Appendf(nil, `
data_dir: %s
http: { listen: "127.0.0.1:0", opens_per_minute: 1000000000 }
buses:
%s
doors:
%s`, dir, buses, doors), 0o600))
	s, err := openStore(filepath.Join(dir, "store"))
	require.NoError(b, err)
	seedN(b, s, phoneWorkers)
	tokens := pairPhones(b, s, phoneWorkers)
	require.NoError(b, s.Close())
	d := startDaemon(b, bin, cfgPath)
	d.waitReady(b)
	b.Run(fmt.Sprintf("c%d", phoneWorkers), func(b *testing.B) {
		loadPhones(b, d.url, tokens, d.cmd.Process.Pid)
	})
}

// pairPhones pairs a phone for each of residents r00000…r<n-1> and returns
// their device tokens.
func pairPhones(b *testing.B, s *store.Store, n int) []string {
	tokens := make([]string, n)
	for i := range tokens {
		code, _, err := s.NewPairingCode(fmt.Sprintf("r%05d", i), "bench", time.Now())
		require.NoError(b, err)
		_, tokens[i], err = s.Pair(code, "phone", time.Now())
		require.NoError(b, err)
	}
	return tokens
}

// loadPhones is the load generator: b.N POSTs /api/v1/doors/door<w%4>/open
// from phoneWorkers goroutines, worker w with tokens[w]. It reports req/s,
// p50-ms and p99-ms, the CPU time per request of the server (process
// server) and of this process (the load generator and, for menweid, the
// emulated readers), and fails unless every answer was a 200.
func loadPhones(b *testing.B, url string, tokens []string, server int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * phoneWorkers}}
	defer client.CloseIdleConnections()
	var (
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, b.N)
		bad  atomic.Int64
		next atomic.Int64
		wg   sync.WaitGroup
	)
	b.ResetTimer()
	serverCPU, selfCPU := procCPU(b, server), procCPU(b, os.Getpid())
	start := time.Now()
	for w := range phoneWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := fmt.Sprintf("%s/api/v1/doors/door%d/open", url, w%phoneDoors)
			var mine []time.Duration
			for next.Add(1) <= int64(b.N) {
				req, _ := http.NewRequest(http.MethodPost, target, nil)
				req.Header.Set("Authorization", "Device "+tokens[w])
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				if resp.StatusCode != http.StatusOK {
					bad.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	serverCPU, selfCPU = procCPU(b, server)-serverCPU, procCPU(b, os.Getpid())-selfCPU
	b.StopTimer()
	require.Zero(b, bad.Load(), "every request answered 200")
	b.ReportMetric(serverCPU.Seconds()*1e3/float64(b.N), "server-cpu-ms/req")
	b.ReportMetric(selfCPU.Seconds()*1e3/float64(b.N), "load-cpu-ms/req")
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1e3, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1e3, "p99-ms")
}

// procCPU is the CPU time process pid has used (user and system, from
// /proc/<pid>/stat, in clock ticks of 10 ms on Linux).
func procCPU(b *testing.B, pid int) time.Duration {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(b, err)
	// The fields after the command's name, which is in parentheses.
	f := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+2:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	require.NoError(b, errors.Join(err1, err2))
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// anchorEnv makes the test binary serve the phone-open anchor (see
// serveAnchor) on a Badger store in the directory it names.
const anchorEnv = "MENWEI_BENCH_ANCHOR_DIR"

// BenchmarkPhoneOpenAnchor is issue 15's anchor for phone-open: a plain
// HTTP handler doing one synced Badger transaction per request (a bare
// Badger with the store's options, encrypted), in a process of its own
// (this test binary, re-run as the server), driven by the same load
// generator as BenchmarkPhoneOpen.
func BenchmarkPhoneOpenAnchor(b *testing.B) {
	dir := b.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), anchorEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			b.Errorf("anchor: no clean exit on SIGTERM: %v", err)
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(b, err, "the anchor's address")
	url := "http://" + strings.TrimSpace(line)
	tokens := make([]string, phoneWorkers)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("dev-%016x.%064x", i, i)
	}
	b.Run(fmt.Sprintf("c%d", phoneWorkers), func(b *testing.B) {
		loadPhones(b, url, tokens, cmd.Process.Pid)
	})
}

// serveAnchor is the anchor server: every POST writes one small event in
// its own synced Badger transaction and answers 200 with a JSON body like
// menweid's. It prints its address on stdout and returns (the process's
// exit code) on SIGTERM.
func serveAnchor(dir string) int {
	key := make([]byte, store.KeySize)
	for i := range key {
		key[i] = byte(i*7 + 1)
	}
	db, err := badger.Open(store.BadgerOptions(dir, key))
	if err != nil {
		fmt.Fprintln(os.Stderr, "anchor:", err)
		return 1
	}
	defer db.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "anchor:", err)
		return 1
	}
	var seq atomic.Uint64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		ev := controller.Event{Kind: controller.KindGranted, Door: r.URL.Path, Detail: r.Header.Get("Authorization"), Factor: "phone", Time: time.Now().UTC()}
		v, err := json.Marshal(ev)
		if err == nil {
			err = db.Update(func(txn *badger.Txn) error {
				return txn.Set(binary.BigEndian.AppendUint64([]byte("ev/"), seq.Add(1)), v)
			})
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"granted":true,"opened":true,"reason":"granted","lock":"confirmed"}` + "\n"))
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); srv.Close() }()
	fmt.Println(ln.Addr().String())
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "anchor:", err)
		return 1
	}
	return 0
}

// BenchmarkDaemonRSS starts the real menweid binary on an encrypted store
// with 10,000 residents, each with a stored face (and consent to it), and
// the dlib models loaded (face.models), lets 200 cards through an emulated
// reader, and reports the daemon's resident memory from /proc: VmRSS
// (rss-MB) and its peak, VmHWM (peak-rss-MB). ns/op is suppressed (it
// would be the whole start-up and 200 cards).
func BenchmarkDaemonRSS(b *testing.B) {
	models, err := filepath.Abs(filepath.Join("..", "..", ".cache", "models"))
	require.NoError(b, err)
	if _, err := os.Stat(filepath.Join(models, "dlib_face_recognition_resnet_model_v1.dat")); err != nil {
		b.Fatalf("the dlib models are missing: run `make models`: %v", err)
	}
	bin := menweidBinary(b)

	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(b, err)
	master, slave := serialporttest.PtyPair(b)
	ctx, cancel := context.WithCancel(context.Background())
	emuDone := make(chan struct{})
	defer func() { cancel(); <-emuDone }()
	go func() { defer close(emuDone); osdppd.Serve(ctx, master, pd) }()

	dir := b.TempDir()
	cfgPath := filepath.Join(dir, "menwei.yaml")
	require.NoError(b, os.WriteFile(cfgPath, fmt.Appendf(nil, `
data_dir: %s
http: { listen: "127.0.0.1:0" }
buses:
  - name: gate
    device: %s
    pds: [{ name: gate-reader, address: 101 }]
doors:
  - name: main-gate
    readers: [{ pd: gate-reader }]
    lock: { pd: gate-reader, output: 0 }
face:
  models: %s
`, dir, slave, models), 0o600))
	s, err := openStore(filepath.Join(dir, "store"))
	require.NoError(b, err)
	const n = 10_000
	seedN(b, s, n)
	seedFaces(b, s, n)
	require.NoError(b, s.Close())

	for b.Loop() {
		d := &menweidProc{cmd: exec.Command(bin, "-config", cfgPath, "-log-level", "warn")}
		d.cmd.Stderr = os.Stderr
		require.NoError(b, d.cmd.Start())
		require.Eventually(b, func() bool {
			wctx, wcancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer wcancel()
			_, err := pd.WaitCommand(wctx, osdp.CmdOUT)
			return err == nil
		}, 60*time.Second, 10*time.Millisecond)
		for i := range 200 {
			pd.PresentWiegand26(1, uint16(i*37%n))
			wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := pd.WaitCommand(wctx, osdp.CmdOUT)
			wcancel()
			require.NoError(b, err)
		}
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
		require.NoError(b, err)
		b.ReportMetric(procKB(status, "VmRSS")/1024, "rss-MB")
		b.ReportMetric(procKB(status, "VmHWM")/1024, "peak-rss-MB")
		require.NoError(b, d.cmd.Process.Signal(syscall.SIGTERM))
		require.NoError(b, d.cmd.Wait(), "clean exit on SIGTERM")
	}
	b.ReportMetric(0, "ns/op")
}

// seedFaces gives residents r00000…r<n-1> consent to their face and one
// random (dlib-scaled) stored descriptor each.
func seedFaces(b *testing.B, s *store.Store, n int) {
	r := rand.New(rand.NewPCG(1, 2))
	consents := make([]store.Consent, n)
	faces := make([]store.FaceRecord, n)
	for j := range n {
		id := fmt.Sprintf("r%05d", j)
		consents[j] = store.Consent{Identity: id, Biometric: policy.Face, Given: time.Now(), Text: "face-v1", Account: "bench"}
		faces[j] = store.FaceRecord{Identity: id, ID: "f0"}
		for k := range faces[j].Vector {
			faces[j].Vector[k] = float32(r.NormFloat64() * 0.09)
		}
	}
	require.NoError(b, s.ImportConsents(consents))
	require.NoError(b, s.ImportFaces(faces))
}

func procKB(status []byte, field string) float64 {
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb
		}
	}
	return 0
}
