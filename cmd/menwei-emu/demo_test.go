package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	daemonconfig "menwei/controller/config"
	"menwei/devices/faceterm"
	"menwei/firmware-mocks/facepd"
)

// The banner's doors are the doors of the config demo.sh writes: as many,
// and the same names.
func TestDemoBannerMatchesItsConfig(t *testing.T) {
	dir := t.TempDir()
	out, err := exec.Command("bash", "demo.sh", "--banner-only", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	raw, err := os.ReadFile(filepath.Join(dir, "menwei.yaml"))
	require.NoError(t, err)
	cfg, err := daemonconfig.Parse(raw, dir)
	require.NoError(t, err, "the demo's config is valid")
	var names []string
	for _, d := range cfg.Doors {
		names = append(names, d.Name)
	}
	require.NotEmpty(t, names)
	faces := 0
	for _, b := range cfg.Buses {
		for _, p := range b.PDs {
			if p.Face == "jpeg" {
				faces++
				assert.Equal(t, facepd.FitsAt9600, p.FaceMaxBytes, "%s: the emulator's cap at %d baud", p.Name, b.Baud)
				assert.LessOrEqual(t, p.FaceMaxBytes, faceterm.MaxCapture(b.Baud), "%s: its captures cross the line in time", p.Name)
			}
		}
	}
	assert.Equal(t, 1, faces, "the face terminal is declared, so menweid checks its captures fit the line")
	assert.Contains(t, string(out), fmt.Sprintf("menwei demo — %d doors: %s\n", len(names), strings.Join(names, ", ")))
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	assert.Len(t, lines, 1+len(names), "a line per door")
}

// stubTree is a copy of the repository layout demo.sh needs, with stub
// commands in bin/ that record their pids and sleep until TERM.
func stubTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	script, err := os.ReadFile("demo.sh")
	require.NoError(t, err)
	for _, d := range []string{"cmd/menwei-emu", "bin", ".cache/photos", ".cache/models", "pids"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "cmd/menwei-emu/demo.sh"), script, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, ".cache/photos/sample1.jpg"), []byte("jpeg"), 0o644))
	stub := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(root, "bin", name), []byte("#!/usr/bin/env bash\n"+body), 0o755))
	}
	stub("menweictl", "exit 0\n")
	stub("facecrops", `for a; do case $prev in -out) mkdir -p "$a"; touch "$a/sample1-face1.jpg";; esac; prev=$a; done`+"\n")
	stub("menwei-emu", `echo $$ > pids/menwei-emu; touch data/tty-gate data/tty-wiegand data/tty-finger; exec sleep 600`+"\n")
	stub("menweid", `echo $$ > pids/menweid; exec sleep 600`+"\n")
	return root
}

// pidOf waits for a stub to have started and returns its pid.
func pidOf(t *testing.T, root, name string) int {
	t.Helper()
	var pid int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(filepath.Join(root, "pids", name))
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	}, 20*time.Second, 20*time.Millisecond, "%s started", name)
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// Ctrl-C (SIGINT to the whole foreground process group, as a terminal
// sends it) or a TERM to the script stops the daemon and the emulator and
// ends the script with status 0, so make reports no error.
func TestDemoStopsCleanly(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(pgid int) error
	}{
		{"ctrl-c", func(pgid int) error { return syscall.Kill(-pgid, syscall.SIGINT) }},
		{"term", func(pgid int) error { return syscall.Kill(pgid, syscall.SIGTERM) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := stubTree(t)
			var out bytes.Buffer
			cmd := exec.Command("bash", filepath.Join(root, "cmd/menwei-emu/demo.sh"))
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			require.NoError(t, cmd.Start())
			pgid := cmd.Process.Pid
			t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })

			emu, daemon := pidOf(t, root, "menwei-emu"), pidOf(t, root, "menweid")
			require.NoError(t, tc.stop(pgid))
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("demo.sh ended with %v:\n%s", ee, out.String())
				}
				require.NoError(t, err)
			case <-time.After(20 * time.Second):
				t.Fatalf("demo.sh did not stop:\n%s", out.String())
			}
			assert.Contains(t, out.String(), "menwei demo stopped.")
			assert.Contains(t, out.String(), "data/faces/", "the banner says where the single-face photos are")
			for name, pid := range map[string]int{"menwei-emu": emu, "menweid": daemon} {
				assert.Eventually(t, func() bool { return !alive(pid) }, 5*time.Second, 20*time.Millisecond, "%s stopped", name)
			}
		})
	}
}
