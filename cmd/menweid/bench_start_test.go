package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkStartToReady runs the menweid binary on an encrypted store (as
// menweid makes it) with n residents, each with a card and a face, and one
// door whose lock is an emulated reader; face matching on, in descriptor
// mode (no dlib models: loading them is the same whatever the store
// holds). One op is one start, timed from exec until /readyz answers 200
// (the store open, the face index loaded, the reader online on its bus,
// the API listening); the stop that follows is not timed. "snapshot"
// starts with the face index file the previous run left (the store's faces
// unchanged); "rebuild" deletes it before each start, so the index is
// built from every stored face, as before snapshots. The page cache is
// warm (the store was just written and read). faces=1000000 (issue 15's
// second figure) takes several minutes to seed; select it by name.
func BenchmarkStartToReady(b *testing.B) {
	bin := menweidBinary(b)
	for _, n := range []int{0, 10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("faces=%d", n), func(b *testing.B) { benchStart(b, bin, n) })
	}
}

// startStoreEnv names a directory where BenchmarkStartToReady keeps the
// stores it seeds (one per size) and reuses them in later runs: seeding a
// million residents takes minutes.
const startStoreEnv = "MENWEI_BENCH_START_STORE"

func benchStart(b *testing.B, bin string, n int) {
	dir := b.TempDir()
	buses, doors := emulateLocks(b, 1)
	addr := freePort(b)
	data := dir
	if keep := os.Getenv(startStoreEnv); keep != "" {
		data = filepath.Join(keep, fmt.Sprintf("faces=%d", n))
	}
	if _, err := os.Stat(filepath.Join(data, "seeded")); err != nil {
		if data != dir {
			require.NoError(b, os.RemoveAll(data)) // a seeding cut short
		}
		s, err := openStore(filepath.Join(data, "store"))
		require.NoError(b, err)
		seedN(b, s, n)
		seedFaces(b, s, n)
		require.NoError(b, s.Close())
		require.NoError(b, os.WriteFile(filepath.Join(data, "seeded"), nil, 0o600))
	}
	cfgPath := filepath.Join(dir, "menwei.yaml")
	require.NoError(b, os.WriteFile(cfgPath, fmt.Appendf(nil, `
data_dir: %s
http: { listen: "%s" }
face: {}
buses:
%s
doors:
%s`, data, addr, buses, doors), 0o600))
	snap := filepath.Join(data, "faceindex.snap")
	for _, mode := range []string{"rebuild", "snapshot"} {
		b.Run(mode, func(b *testing.B) {
			if mode == "snapshot" {
				// One start to write the file (after a rebuild).
				_ = os.Remove(snap)
				stop := startTimed(b, bin, cfgPath, addr)
				require.Eventually(b, func() bool { _, err := os.Stat(snap); return err == nil },
					60*time.Second, 10*time.Millisecond, "the snapshot written")
				stop()
			}
			var took []time.Duration
			for b.Loop() {
				b.StopTimer()
				if mode == "rebuild" {
					_ = os.Remove(snap)
				}
				b.StartTimer()
				t0 := time.Now()
				stop := startTimed(b, bin, cfgPath, addr)
				took = append(took, time.Since(t0))
				b.StopTimer()
				stop()
				b.StartTimer()
			}
			reportLatency(b, took)
		})
	}
}

// startTimed starts bin and returns once its /readyz answers 200, with the
// function that stops it (SIGTERM, a clean exit required).
func startTimed(b *testing.B, bin, cfgPath, addr string) (stop func()) {
	b.Helper()
	cmd := exec.Command(bin, "-config", cfgPath)
	require.NoError(b, cmd.Start())
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		require.NoError(b, cmd.Wait(), "menweid: a clean exit on SIGTERM")
	}
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(120 * time.Second)
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return stop
			}
		}
		if time.Now().After(deadline) {
			stop()
			b.Fatal("menweid not ready within 120 s")
		}
		time.Sleep(time.Millisecond)
	}
}
