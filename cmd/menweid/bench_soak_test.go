//go:build !nodlib

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"menwei/controller/store"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/osdppd"
)

// soakEnv sets how long BenchmarkSoak runs (a Go duration); the issue's
// run is MENWEI_SOAK=2h.
const soakEnv = "MENWEI_SOAK"

// BenchmarkSoak is the memory soak (issue 15 target 8): the menweid binary
// with 10k residents, each with a card and a face, and the dlib models
// loaded, four doors whose locks are emulated readers (one bus each, 115200
// baud), driven for MENWEI_SOAK (default 3m) by what a gate sees in a busy
// hour: a card every 50 ms at the readers in turn, a phone-open every 250 ms
// (8 paired phones), a guard's console polling the event list every 2 s and
// one live event stream followed. Every 5 s it samples the daemon's VmRSS
// and VmHWM (/proc/<pid>/status); it reports the peak (VmHWM at the end),
// the largest and the last RSS sampled, the largest anonymous and
// file-backed parts of it sampled, and the event rate reached.
func BenchmarkSoak(b *testing.B) {
	dur := 3 * time.Minute
	if v := os.Getenv(soakEnv); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(b, err, soakEnv)
		dur = d
	}
	models, err := filepath.Abs(filepath.Join("..", "..", ".cache", "models"))
	require.NoError(b, err)
	bin := menweidBinary(b)

	const doors, phones, residents = 4, 8, 10_000
	ctx, cancel := context.WithCancel(context.Background())
	var emus sync.WaitGroup
	defer func() { cancel(); emus.Wait() }()
	var pds []*osdppd.PD
	var yBuses, yDoors strings.Builder
	for i := range doors {
		master, slave := serialporttest.PtyPair(b)
		pd, err := osdppd.New(osdppd.Config{Addr: 1})
		require.NoError(b, err)
		pds = append(pds, pd)
		emus.Go(func() { osdppd.Serve(ctx, master, pd) })
		fmt.Fprintf(&yBuses, "  - { name: b%d, device: %s, baud: 115200, pds: [{ name: r%d, address: 1 }] }\n", i, slave, i)
		fmt.Fprintf(&yDoors, "  - { name: door%d, readers: [{ pd: r%d }], lock: { pd: r%d, output: 0 }, pulse: 1s }\n", i, i, i)
	}
	dir := b.TempDir()
	addr := freePort(b)
	cfgPath := filepath.Join(dir, "menwei.yaml")
	require.NoError(b, os.WriteFile(cfgPath, fmt.Appendf(nil, `
data_dir: %s
http: { listen: "%s", opens_per_minute: 1000000 }
face: { models: %s }
buses:
%sdoors:
%s`, dir, addr, models, yBuses.String(), yDoors.String()), 0o600))
	s, err := openStore(filepath.Join(dir, "store"))
	require.NoError(b, err)
	seedN(b, s, residents)
	seedFaces(b, s, residents)
	tokens := pairPhones(b, s, phones)
	require.NoError(b, s.PutAccount("guard", store.RoleGuard, testPassword))
	require.NoError(b, s.Close())

	cmd := exec.Command(bin, "-config", cfgPath)
	stderr, err := cmd.StderrPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	go func() { // menweid logs a line per decision, as on a box
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "level=ERROR") || strings.HasPrefix(sc.Text(), "gc ") && os.Getenv("MENWEI_SOAK_GCTRACE") != "" {
				fmt.Fprintln(os.Stderr, "menweid:", sc.Text())
			}
		}
	}()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		require.NoError(b, cmd.Wait(), "menweid: a clean exit on SIGTERM")
	}()
	base := "http://" + addr
	client := &http.Client{Timeout: 10 * time.Second}
	require.Eventually(b, func() bool {
		resp, err := client.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 120*time.Second, 50*time.Millisecond, "menweid ready")
	guard := soakLogin(b, client, base)

	var opened, failed atomic.Int64
	var statuses sync.Map // the statuses of the opens that did not open
	var load sync.WaitGroup
	every := func(d time.Duration, f func(i int)) {
		load.Go(func() {
			t := time.NewTicker(d)
			defer t.Stop()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					f(i)
				}
			}
		})
	}
	every(50*time.Millisecond, func(i int) { pds[i%doors].PresentWiegand26(1, uint16(i*37%residents)) })
	every(250*time.Millisecond, func(i int) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/api/v1/doors/door%d/open", base, i%doors), nil)
		req.Header.Set("Authorization", "Device "+tokens[i%phones])
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				opened.Add(1)
				return
			}
			statuses.Store(resp.StatusCode, true)
		}
		failed.Add(1)
	})
	every(2*time.Second, func(int) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/events?limit=50", nil)
		req.Header.Set("Authorization", "Bearer "+guard)
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	load.Go(func() { // the live stream, followed (reconnected if it ends)
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/events/stream", nil)
			req.Header.Set("Authorization", "Bearer "+guard)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			time.Sleep(time.Second)
		}
	})

	firstSeq := soakHead(b, client, base, guard)
	start := time.Now()
	var maxRSS, lastRSS, maxAnon, maxFile, lastHWM float64
	var atMax map[string]float64 // the mappings' shares at the largest RSS sampled
	maxOf := map[string]float64{}
	status := func() (rss, hwm float64) {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		require.NoError(b, err)
		// RSS is anonymous memory (the Go heap, dlib's models) plus file
		// pages mapped in (Badger's tables and value log, which the kernel
		// can take back when memory is short): both are said.
		maxAnon = max(maxAnon, procKB(st, "RssAnon")/1024)
		maxFile = max(maxFile, procKB(st, "RssFile")/1024)
		return procKB(st, "VmRSS") / 1024, procKB(st, "VmHWM") / 1024
	}
	_, lastHWM = status()
	b.Logf("ready: VmHWM %.1f MiB, mappings %s", lastHWM, soakShares(smapsShares(b, cmd.Process.Pid)))
	b.ResetTimer()
	for b.Loop() {
		// Status every second (a peak between samples still shows in
		// VmHWM), the mappings every 5 s and whenever the peak rose.
		tick := time.NewTicker(time.Second)
		for n := 1; time.Since(start) < dur; n++ {
			<-tick.C
			rss, hwm := status()
			var shares map[string]float64
			if n%5 == 0 || hwm > lastHWM+2 {
				shares = smapsShares(b, cmd.Process.Pid)
				for k, v := range shares {
					maxOf[k] = max(maxOf[k], v)
				}
			}
			if hwm > lastHWM+2 {
				b.Logf("%5.1f min: VmHWM %.1f → %.1f MiB, VmRSS %.1f MiB, mappings %s", time.Since(start).Minutes(), lastHWM, hwm, rss, soakShares(shares))
			}
			if rss > maxRSS && shares != nil {
				atMax = shares
			}
			maxRSS, lastRSS, lastHWM = max(maxRSS, rss), rss, hwm
			if n%60 == 0 {
				b.Logf("%5.1f min: VmRSS %.1f MiB, VmHWM %.1f MiB (the largest sampled so far: anonymous %.1f MiB, file-backed %.1f MiB)",
					time.Since(start).Minutes(), rss, hwm, maxAnon, maxFile)
			}
		}
		tick.Stop()
	}
	b.Logf("mappings at the largest RSS sampled: %s; the largest of each: %s", soakShares(atMax), soakShares(maxOf))
	b.StopTimer()
	elapsed := time.Since(start)
	events := soakHead(b, client, base, guard) - firstSeq
	cancel()
	load.Wait()
	_, hwm := status()
	var not []int
	statuses.Range(func(k, _ any) bool { not = append(not, k.(int)); return true })
	b.Logf("%v: %d events (%.1f/s), %d phone-opens opened, %d not (statuses %v)", elapsed.Round(time.Second), events,
		float64(events)/elapsed.Seconds(), opened.Load(), failed.Load(), not)
	b.ReportMetric(hwm, "peak-MiB")
	b.ReportMetric(maxRSS, "max-rss-MiB")
	b.ReportMetric(maxAnon, "max-anon-MiB")
	b.ReportMetric(maxFile, "max-file-MiB")
	b.ReportMetric(lastRSS, "last-rss-MiB")
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}

// soakLogin signs the guard in and returns the session's token.
func soakLogin(b *testing.B, client *http.Client, base string) string {
	resp, err := client.Post(base+"/api/v1/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"name":"guard","password":%q}`, testPassword)))
	require.NoError(b, err)
	defer resp.Body.Close()
	require.Equal(b, http.StatusOK, resp.StatusCode)
	var r struct{ Token string }
	require.NoError(b, json.NewDecoder(resp.Body).Decode(&r))
	return r.Token
}

// soakHead is the seq of the newest event.
func soakHead(b *testing.B, client *http.Client, base, token string) uint64 {
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/events?order=desc&limit=1", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	require.NoError(b, err)
	defer resp.Body.Close()
	var page struct {
		Events []struct{ Seq uint64 } `json:"events"`
	}
	require.NoError(b, json.NewDecoder(resp.Body).Decode(&page))
	if len(page.Events) == 0 {
		return 0
	}
	return page.Events[0].Seq
}

// smapsShares sums the resident memory of the daemon's mappings by what
// they hold (MiB): "anon" (the Go heap and runtime, cgo's and dlib's
// mmapped allocations), "brk" (C malloc's heap), Badger's "sst" tables,
// "vlog" value log and "mem" memtable files, "libs", "binary" and "other".
func smapsShares(b *testing.B, pid int) map[string]float64 {
	f, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	require.NoError(b, err)
	shares := map[string]float64{}
	class := ""
	for line := range strings.Lines(string(f)) {
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":"):
			path := ""
			if len(fields) >= 6 {
				path = fields[5]
			}
			switch {
			case path == "":
				class = "anon"
			case path == "[heap]":
				class = "brk"
			case strings.HasSuffix(path, ".sst"):
				class = "sst"
			case strings.HasSuffix(path, ".vlog"):
				class = "vlog"
			case strings.HasSuffix(path, ".mem"):
				class = "mem"
			case strings.Contains(path, ".so"):
				class = "libs"
			case strings.HasSuffix(path, "menweid"):
				class = "binary"
			default:
				class = "other"
			}
		case len(fields) == 3 && fields[0] == "Rss:":
			var kb float64
			fmt.Sscan(fields[1], &kb)
			shares[class] += kb / 1024
		}
	}
	return shares
}

// soakShares says shares in a stable order.
func soakShares(shares map[string]float64) string {
	var s strings.Builder
	for _, k := range []string{"anon", "brk", "sst", "vlog", "mem", "libs", "binary", "other"} {
		if v, ok := shares[k]; ok {
			fmt.Fprintf(&s, "%s %.1f ", k, v)
		}
	}
	return strings.TrimSpace(s.String())
}
