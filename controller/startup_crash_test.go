//go:build linux

package controller

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/store"
)

const startupCrashEnv = "MENWEI_STARTUP_CRASH_DIR"

// TestStartupCrashChild is the process TestKillsAtStartupNeverKeepTheGateDown
// kills: it opens the store the way menweid does, says "open", appends from
// four goroutines and prints "ack <seq> <hash>" for every event that is durable.
func TestStartupCrashChild(t *testing.T) {
	dir := os.Getenv(startupCrashEnv)
	if dir == "" {
		t.Skip("the child of TestKillsAtStartupNeverKeepTheGateDown")
	}
	s, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		fmt.Fprintf(os.Stderr, "startup crash child: open: %v\n", err)
		os.Exit(2)
	}
	fmt.Fprintln(os.Stdout, "open")
	var mu sync.Mutex
	for g := range 4 {
		go func() {
			for i := 0; ; i++ {
				e, err := s.Append(context.Background(), Event{Kind: "access.granted", Door: fmt.Sprint("d", g),
					Detail: strings.Repeat("x", 200) + fmt.Sprint(i)})
				if err != nil {
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %d %s\n", e.Seq, e.Hash) // one write(2) per line
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Minute) // the parent kills us long before
	os.Exit(3)
}

// TestKillsAtStartupNeverKeepTheGateDown kills a process again and again
// while it opens the store and starts writing, aiming a third of the kills
// at the moment Badger creates a value-log or memtable file (an inotify
// watch on the data directory fires the SIGKILL), which is where a crash
// leaves the empty file that kept the store from opening; another third
// land anywhere in the start-up, the rest while it writes. After every kill
// the store must open on the first try with every acknowledged event.
//
// MENWEI_STARTUP_KILLS sets the number of kills (default 200; 40 with -short).
func TestKillsAtStartupNeverKeepTheGateDown(t *testing.T) {
	kills := 200
	if testing.Short() {
		kills = 40
	}
	if v := os.Getenv("MENWEI_STARTUP_KILLS"); v != "" {
		var err error
		kills, err = strconv.Atoi(v)
		require.NoError(t, err, "MENWEI_STARTUP_KILLS")
	}
	dir := t.TempDir()
	s, err := store.Open(store.Options{Dir: dir})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	watch, err := newCreateWatch(dir)
	require.NoError(t, err)
	defer watch.close()

	acked := map[uint64]string{}
	var hits, repairs int
	for k := range kills {
		round := map[uint64]string{}
		cmd := exec.Command(os.Args[0], "-test.run=^TestStartupCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), startupCrashEnv+"="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		watch.drain()
		require.NoError(t, cmd.Start())
		done, opened := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == "open" {
					close(opened)
				}
				f := strings.Fields(sc.Text())
				if len(f) == 3 && f[0] == "ack" {
					seq, _ := strconv.ParseUint(f[1], 10, 64)
					round[seq] = f[2]
				}
			}
		}()
		switch k % 3 {
		case 0: // the first or second file Badger creates at this start (a memtable, then a value log)
			watch.waitCreate(1+k%2, time.Second)
		case 1: // somewhere in the start-up
			time.Sleep(time.Duration(rand.IntN(120)) * time.Millisecond)
		case 2: // writing, soon after the open
			select {
			case <-opened:
			case <-time.After(5 * time.Second):
			}
			time.Sleep(time.Duration(rand.IntN(60)) * time.Millisecond)
		}
		_ = cmd.Process.Kill()
		<-done
		_ = cmd.Wait()
		hits += countEmpty(t, dir)

		s, err := store.Open(store.Options{Dir: dir})
		require.NoError(t, err, "kill %d: the store opens on the first try", k)
		repairs += s.Repaired()
		requireEvents(t, s, round, fmt.Sprintf("kill %d", k))
		_, err = s.VerifyChain()
		require.NoError(t, err, "kill %d", k)
		require.NoError(t, s.Close())
		for seq, hash := range round {
			acked[seq] = hash
		}
	}
	// Every event acknowledged before any of the kills is still there.
	s, err = store.Open(store.Options{Dir: dir})
	require.NoError(t, err)
	requireEvents(t, s, acked, "after all kills")
	require.NoError(t, s.Close())
	t.Logf("%d kills left %d empty files (all removed at the next open: %d), %d acknowledged events all present",
		kills, hits, repairs, len(acked))
	assert.Equal(t, hits, repairs, "every empty file found was removed")
	assert.NotEmpty(t, acked, "the children wrote")
}

func requireEvents(t *testing.T, s *store.Store, want map[uint64]string, when string) {
	t.Helper()
	for seq, hash := range want {
		evs, err := s.Events(EventQuery{After: seq - 1, Limit: 1})
		require.NoError(t, err)
		require.Len(t, evs, 1, "%s: acknowledged event %d lost", when, seq)
		require.Equal(t, hash, evs[0].Hash, "%s: seq %d", when, seq)
	}
}

// countEmpty counts dir's empty .vlog and .mem files: what a kill inside
// Badger's two-step create or delete leaves.
func countEmpty(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	for _, ext := range []string{".vlog", ".mem"} {
		m, err := filepath.Glob(filepath.Join(dir, "*"+ext))
		require.NoError(t, err)
		for _, p := range m {
			if fi, err := os.Stat(p); err == nil && fi.Size() == 0 {
				n++
			}
		}
	}
	return n
}

// createWatch reports files created in a directory (inotify IN_CREATE).
type createWatch struct {
	f      *os.File // non-blocking, so Close wakes a pending Read
	events chan string
	stop   chan struct{}
	done   chan struct{}
}

func newCreateWatch(dir string) (*createWatch, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	w := &createWatch{f: os.NewFile(uintptr(fd), "inotify"), events: make(chan string, 1024),
		stop: make(chan struct{}), done: make(chan struct{})}
	go w.read()
	return w, nil
}

func (w *createWatch) read() {
	defer close(w.done)
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil || n <= 0 {
			return
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameAt := off + syscall.SizeofInotifyEvent
			name := strings.TrimRight(string(buf[nameAt:nameAt+int(ev.Len)]), "\x00")
			off = nameAt + int(ev.Len)
			if strings.HasSuffix(name, ".vlog") || strings.HasSuffix(name, ".mem") {
				select {
				case w.events <- name:
				case <-w.stop:
					return
				}
			}
		}
	}
}

func (w *createWatch) drain() {
	for {
		select {
		case <-w.events:
		default:
			return
		}
	}
}

// waitCreate returns after the n-th creation since the last drain, or after
// the timeout.
func (w *createWatch) waitCreate(n int, timeout time.Duration) {
	deadline := time.After(timeout)
	for range n {
		select {
		case <-w.events:
		case <-deadline:
			return
		}
	}
}

func (w *createWatch) close() {
	close(w.stop)
	w.f.Close()
	<-w.done
}
