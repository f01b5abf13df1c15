//go:build linux

package controller

import (
	"bufio"
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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/config"
	"menwei/controller/store"
	"menwei/devices/osdp"
	"menwei/devices/wiegand"
)

const crashEnv = "MENWEI_DECISION_CRASH_DIR"

// TestDecisionCrashChild is the process TestDecisionsSurviveSIGKILL kills:
// it makes card decisions at three doors from eight goroutines and prints
// every decision the moment it is durable — the moment the controller goes
// on to act on it (open the door).
func TestDecisionCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("the child of TestDecisionsSurviveSIGKILL")
	}
	cfg, err := config.Parse([]byte(engineConfig), dir)
	if err != nil {
		panic(err)
	}
	s, err := store.Open(store.Options{Dir: dir})
	if err != nil {
		panic(err)
	}
	c, err := New(Options{Config: cfg, Store: s})
	if err != nil {
		panic(err)
	}
	var mu sync.Mutex
	fmt.Fprintln(os.Stdout, "ready") // the parent starts its clock now
	c.decided = func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stdout, "ack %d %s\n", e.Seq, e.Hash) // one write(2) per line
	}
	for g := range 8 {
		go func() {
			r := rand.New(rand.NewPCG(uint64(g), uint64(time.Now().UnixNano())))
			for {
				pd := byte(1 + r.IntN(3)) // gate-in, gate-out, lobby
				card := wiegand.EncodeH10301(1, uint16(r.IntN(200)))
				c.cardRead(context.Background(), pdSource(pdKey{"b", pd}), osdp.Raw{Format: 1, Bits: 26, Data: card})
			}
		}()
	}
	time.Sleep(time.Minute) // the parent kills us long before
	os.Exit(3)
}

// TestDecisionsSurviveSIGKILL kills a process that is deciding at random
// moments, again and again on the same store, and checks after each kill
// that every decision it acted on is there with the same hash, the chain
// verifies, and the store opens cleanly.
func TestDecisionsSurviveSIGKILL(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(store.Options{Dir: dir})
	require.NoError(t, err)
	seedResidents(t, s, 100) // cards 1:0 … 1:99 known, 1:100 … unknown
	require.NoError(t, s.Close())

	rounds := 15
	if testing.Short() {
		rounds = 4
	}
	total := 0
	for round := range rounds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDecisionCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		acks := map[uint64]string{}
		done, ready := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) == 1 && f[0] == "ready" {
					close(ready)
				}
				if len(f) == 3 && f[0] == "ack" {
					seq, _ := strconv.ParseUint(f[1], 10, 64)
					acks[seq] = f[2]
				}
			}
		}()
		// The kill comes at a random moment once the child decides (how
		// long a race-built test binary takes to start depends on the
		// machine's load, so the clock starts at its "ready").
		select {
		case <-ready:
		case <-done:
			t.Fatalf("round %d: the child ended before it was ready", round)
		case <-time.After(time.Minute):
			t.Fatalf("round %d: the child was not ready within a minute", round)
		}
		time.Sleep(time.Duration(20+rand.IntN(300)) * time.Millisecond)
		require.NoError(t, cmd.Process.Kill())
		<-done
		_ = cmd.Wait()

		s, err := store.Open(store.Options{Dir: dir})
		require.NoError(t, err, "round %d: the store opens after SIGKILL", round)
		n, err := s.VerifyChain()
		require.NoError(t, err, "round %d", round)
		for seq, hash := range acks {
			evs, err := s.Events(EventQuery{After: seq - 1, Limit: 1})
			require.NoError(t, err)
			require.Len(t, evs, 1, "round %d: acted-on decision %d lost", round, seq)
			assert.Equal(t, hash, evs[0].Hash, "round %d seq %d", round, seq)
		}
		require.NoError(t, s.Close())
		total += len(acks)
		t.Logf("round %d: %d decisions acted on, %d events in the chain", round, len(acks), n)
	}
	assert.Greater(t, total, rounds, "the child made decisions")
}
