package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/estate/estatetest"
	"menwei/controller/eventlog"
	"menwei/firmware-mocks/osdppd"
)

// freePort is a loopback port free a moment ago (the office's config names
// its port; 0 is not a port an installer writes).
func freePort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// TestMenweidGateUploadsToTheOffice runs two menweids from their config
// files: an office and a gate of it. Every event the gate records reaches
// the office's store, once, and its chain verifies there.
func TestMenweidGateUploadsToTheOffice(t *testing.T) {
	pki := estatetest.NewPKI(t)
	seed, pub := estatetest.GateKey(t)
	seedFile := filepath.Join(t.TempDir(), "gate-3a.nk")
	require.NoError(t, os.WriteFile(seedFile, seed, 0o600))
	addr := freePort(t)

	opd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	office := startGateWith(t, gateSetup{pd: opd, seed: true, extra: fmt.Sprintf(`
estate:
  role: office
  listen: %s
  tls: { cert: %s, key: %s }
  gates: [{ name: gate-3a, nkey: %s }]
`, addr, pki.CertFile, pki.KeyFile, pub)})

	gpd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: gpd, seed: true, extra: fmt.Sprintf(`
estate:
  role: gate
  gate: gate-3a
  office_url: tls://%s
  tls: { ca: %s }
  nkey_seed_file: %s
`, addr, pki.CAFile, seedFile)})
	g.waitOnline(false)

	evs, err := g.st.Events(eventlog.Query{Newest: true, Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	head := evs[0]
	r := office.st.Received()
	require.Eventually(t, func() bool {
		c, err := r.Chain("gate-3a")
		return err == nil && c.Verified >= head.Seq
	}, 30*time.Second, 10*time.Millisecond, "the gate's events up to %d at the office", head.Seq)
	got, err := r.Events("gate-3a", eventlog.Query{After: head.Seq - 1, Limit: 1})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, head.Hash, got[0].Hash)
	c, err := r.Chain("gate-3a")
	require.NoError(t, err)
	assert.Nil(t, c.Break)
	assert.Equal(t, c.Highest, c.Received, "each once")
}
