package main

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/controller/store"
	"menwei/firmware-mocks/osdppd"
)

// A backup taken from the running gate while cards are being read holds
// every event acknowledged before it began; restored into a new directory
// (with the store's key beside it) a new menweid starts on it, and the
// chain verifies.
func TestBackupWhileRunningRestoresAGate(t *testing.T) {
	scbk, _ := hex.DecodeString(testKey)
	pd, err := osdppd.New(osdppd.Config{Addr: 101, SCBK: scbk})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: pd, pdYAML: "        scbk: " + testKey, seed: true})
	g.waitOnline(true)

	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the load: a card at the reader every 30 ms
		defer wg.Done()
		for ctx.Err() == nil {
			pd.PresentWiegand26(1, 1234)
			time.Sleep(30 * time.Millisecond)
		}
	}()
	defer func() { stop(); wg.Wait() }()
	var before uint64 // the newest event the API has shown: acknowledged
	require.Eventually(t, func() bool {
		evs := g.events()
		if len(evs) > 0 {
			before = max(before, evs[0].Seq, evs[len(evs)-1].Seq)
		}
		return before >= 20
	}, 20*time.Second, 50*time.Millisecond, "cards being read")

	req, err := http.NewRequest(http.MethodGet, g.url+"/api/v1/backup", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	file := filepath.Join(t.TempDir(), "gate.mwb")
	f, err := os.Create(file)
	require.NoError(t, err)
	_, err = io.Copy(f, resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.NoError(t, f.Close())
	stop()
	wg.Wait()
	g.shutdown()

	// Restore as menweictl restore does: the store, and its key beside it.
	key, err := store.ReadKey(filepath.Join(g.dir, "keys", "store.key"))
	require.NoError(t, err)
	newDir := t.TempDir()
	in, err := os.Open(file)
	require.NoError(t, err)
	defer in.Close()
	rep, err := store.Restore(filepath.Join(newDir, "store"), key, []io.Reader{in}, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, rep.Events, before)
	require.NoError(t, store.WriteKeyFile(filepath.Join(newDir, "keys", "store.key"), key))

	pd2, err := osdppd.New(osdppd.Config{Addr: 101, SCBK: scbk})
	require.NoError(t, err)
	g2 := startGateWith(t, gateSetup{pd: pd2, pdYAML: "        scbk: " + testKey, dir: newDir})
	g2.waitOnline(true)
	g2.waitEvent("system.start on the restored gate", func(e controller.Event) bool {
		return e.Kind == controller.KindSystemStart && e.Seq > rep.Events
	})
	g2.shutdown()

	s, err := openStore(filepath.Join(newDir, "store"))
	require.NoError(t, err)
	defer s.Close()
	for seq := uint64(1); seq <= before; seq++ {
		evs, err := s.Events(controller.EventQuery{After: seq - 1, Limit: 1})
		require.NoError(t, err)
		require.Len(t, evs, 1)
		require.Equal(t, seq, evs[0].Seq, "event %d acknowledged before the backup", seq)
	}
	n, err := s.VerifyChain()
	require.NoError(t, err)
	assert.Greater(t, n, before, "the restored gate went on appending to the chain")
}
