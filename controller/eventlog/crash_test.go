//go:build linux

package eventlog

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/badgerdb"
)

// crashDirEnv carries the database directory to the child process.
const crashDirEnv = "EVENTLOG_CRASH_CHILD_DIR"

// TestCrashChild is the process TestCrashKeepsEveryAcknowledgedEvent kills.
// It appends from 8 goroutines and prints "ack <seq> <hash>" for every
// Append that returned: the events someone has acted on.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("the child of TestCrashKeepsEveryAcknowledgedEvent")
	}
	fail := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "crash child: %s: %v\n", what, err)
		os.Exit(2)
	}
	db, _, err := badgerdb.Open(storeOptions(dir), nil)
	if err != nil {
		fail("open badger", err)
	}
	l, err := Open(db, nil)
	if err != nil {
		fail("open log", err)
	}
	fmt.Fprintln(os.Stdout, "ready") // the parent starts its clock now
	var mu sync.Mutex
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				e, err := l.Append(context.Background(), Event{Kind: kindGranted, Door: fmt.Sprint("d", g),
					Identity: fmt.Sprint("r", i), Detail: fmt.Sprintf("writer %d event %d", g, i)})
				if err != nil {
					fail("append", err)
				}
				mu.Lock()
				// One write(2) per line, unbuffered: once it returns the
				// parent can read it, whatever happens to us next.
				_, err = fmt.Fprintf(os.Stdout, "ack %d %s\n", e.Seq, e.Hash)
				mu.Unlock()
				if err != nil {
					fail("write ack", err)
				}
			}
		}()
	}
	// The parent kills us long before this; it is here so that no child can
	// outlive a parent that went away without killing it.
	time.Sleep(time.Minute)
	os.Exit(3)
}

// TestCrashKeepsEveryAcknowledgedEvent kills a child process that is
// appending with SIGKILL at a random moment, again and again on the same
// database, and checks after each kill that everything the child was told
// is durable is there, unchanged and chained, and that the next child goes
// on from it. Between children it prunes the log to its last 1000 events,
// so children also start on, and are killed in, a pruned log.
func TestCrashKeepsEveryAcknowledgedEvent(t *testing.T) {
	runs := 25
	if testing.Short() {
		runs = 8
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	dir := t.TempDir()
	start := time.Now()

	var (
		last      uint64 // the last event seen after the previous kill
		lastHash  string
		wantFirst uint64 = 1
		total     int
	)
	for run := range runs {
		wait := 20*time.Millisecond + time.Duration(rng.Int64N(int64(280*time.Millisecond)))
		t1 := time.Now()
		acked := runCrashChild(t, dir, wait)
		total += len(acked)
		childTime := time.Since(t1)
		t1 = time.Now()

		db, _, err := badgerdb.Open(storeOptions(dir), nil)
		require.NoError(t, err, "run %d: badger opens after the kill", run)
		l, err := Open(db, nil)
		if err != nil {
			db.Close()
			require.NoError(t, err)
		}
		closed := false
		defer func() { // if a check below fails
			if !closed {
				l.Close()
				db.Close()
			}
		}()
		n, err := l.VerifyChain()
		require.NoError(t, err, "run %d", run)
		first, head := l.Stats()
		require.Equal(t, wantFirst, first, "run %d", run)
		require.Equal(t, head+1-first, n, "run %d: contiguous", run)
		require.GreaterOrEqual(t, head, last, "run %d: nothing lost from before", run)
		require.NoError(t, db.View(func(txn *badger.Txn) error {
			if last > 0 {
				var e Event
				require.NoError(t, getJSON(txn, string(eventKey(last)), &e))
				require.Equal(t, lastHash, e.Hash, "run %d: seq %d unchanged", run, last)
			}
			for seq, hash := range acked {
				require.Greater(t, seq, last, "run %d: the child went on from seq %d", run, last)
				var e Event
				require.NoError(t, getJSON(txn, string(eventKey(seq)), &e), "run %d: acknowledged seq %d", run, seq)
				require.Equal(t, hash, e.Hash, "run %d: seq %d", run, seq)
			}
			if head > 0 {
				var e Event
				require.NoError(t, getJSON(txn, string(eventKey(head)), &e))
				last, lastHash = head, e.Hash
			}
			return nil
		}))
		// Keep the log short so that checking it stays cheap; the next child
		// then also goes on from a pruned log.
		_, err = l.Prune(context.Background(), Retention{MaxCount: 1000}, time.Now())
		require.NoError(t, err)
		wantFirst, _ = l.Stats()
		l.Close()
		closed = true
		require.NoError(t, db.Close())
		t.Logf("run %d: killed after %v, %d acknowledged, %d in the log; child %v check %v", run, wait, len(acked), head, childTime, time.Since(t1))
	}
	t.Logf("%d runs, %d acknowledged events, %d appended, %v", runs, total, last, time.Since(start).Round(time.Millisecond))
	assert.Positive(t, total)
}

// runCrashChild starts TestCrashChild on dir, kills it with SIGKILL wait
// after it is ready and returns the seq → hash of every event it acknowledged.
func runCrashChild(t *testing.T, dir string, wait time.Duration) map[uint64]string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // and if we die first
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	waited := false
	defer func() { // on every path, a failed require included
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()

	acked := map[uint64]string{}
	lines, ready := make(chan error, 1), make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 1 && f[0] == "ready" {
				close(ready)
			}
			if len(f) != 3 || f[0] != "ack" {
				continue // the testing package's own output
			}
			seq, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				lines <- err
				return
			}
			acked[seq] = f[2]
		}
		lines <- sc.Err()
	}()
	// The clock starts at the child's "ready": how long a race-built test
	// binary takes to start depends on the machine's load.
	select {
	case <-ready:
	case <-time.After(time.Minute):
		t.Fatalf("the crash child was not ready within a minute: %s", stderr.String())
	}
	time.Sleep(wait)
	require.NoError(t, cmd.Process.Kill())
	require.NoError(t, <-lines) // EOF: the child is gone and all it wrote is read
	err = cmd.Wait()
	waited = true
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "stderr: %s", stderr.String())
	ws, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL,
		"the child died of our SIGKILL, not of %v; stderr: %s", err, stderr.String())
	return acked
}
