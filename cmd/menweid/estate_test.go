package main

import (
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/controller/estate/estatetest"
	"menwei/controller/eventlog"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// freePort is a loopback port free a moment ago (the office's config names
// its port; 0 is not a port an installer writes).
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// startEstatePair runs two menweids from their config files, each with
// an emulated reader and setup's seed and beforeRun: an office, and its
// gate gate-3a, whose directory slice is groups ("" = everyone).
func startEstatePair(t *testing.T, groups string, setup gateSetup) (office, g *gate) {
	t.Helper()
	pki := estatetest.NewPKI(t)
	seed, pub := estatetest.GateKey(t)
	seedFile := filepath.Join(t.TempDir(), "gate-3a.nk")
	require.NoError(t, os.WriteFile(seedFile, seed, 0o600))
	addr := freePort(t)
	opd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	office = startGateWith(t, gateSetup{pd: opd, seed: setup.seed, beforeRun: setup.beforeRun, extra: fmt.Sprintf(`
estate:
  role: office
  listen: %s
  tls: { cert: %s, key: %s }
  gates: [{ name: gate-3a, nkey: %s, groups: [%s] }]
`, addr, pki.CertFile, pki.KeyFile, pub, groups)})
	gpd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g = startGateWith(t, gateSetup{pd: gpd, seed: setup.seed, beforeRun: setup.beforeRun, extra: fmt.Sprintf(`
estate:
  role: gate
  gate: gate-3a
  office_url: tls://%s
  tls: { ca: %s }
  nkey_seed_file: %s
`, addr, pki.CAFile, seedFile)})
	return office, g
}

// TestMenweidGateUploadsToTheOffice runs two menweids from their config
// files: an office and a gate of it. Every event the gate records reaches
// the office's store, once, and its chain verifies there.
func TestMenweidGateUploadsToTheOffice(t *testing.T) {
	office, g := startEstatePair(t, "", gateSetup{seed: true})
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

// TestMenweidGateOpensForAResidentAddedAtTheOffice runs an office and a
// gate as two menweids from their config files. A resident registered at
// the office, with a card and a face, opens the gate's door by card at
// its emulated OSDP reader, and the gate's face index finds his face.
func TestMenweidGateOpensForAResidentAddedAtTheOffice(t *testing.T) {
	admin := func(s *store.Store) { require.NoError(t, s.PutAccount("admin", store.RoleAdmin, testPassword)) }
	office, g := startEstatePair(t, "bldg-3", gateSetup{beforeRun: admin})
	g.waitOnline(false)
	waitCmd(t, g.pd, osdp.CmdOUT) // the lock set to locked

	var face [128]float32
	for i := range face {
		face[i] = float32(i%7) - 3
	}
	var n float32
	for _, x := range face {
		n += x * x
	}
	for i := range face {
		face[i] /= float32(math.Sqrt(float64(n)))
	}
	require.NoError(t, office.st.PutIdentityWith(store.Identity{ID: "zhang-san", Kind: policy.Resident, Name: "张三", Unit: "3-1102", Groups: []string{"bldg-3"}},
		[]store.Credential{{Kind: policy.Card, Key: "h10301:7:4321"}}))
	require.NoError(t, office.st.GiveConsent(store.Consent{Identity: "zhang-san", Biometric: policy.Face, Text: "v1", Account: "olga"}))
	require.NoError(t, office.st.PutFace(store.FaceRecord{Identity: "zhang-san", ID: "f1", Vector: face}))
	require.NoError(t, office.st.PutIdentity(store.Identity{ID: "wu", Kind: policy.Resident, Name: "吴", Groups: []string{"bldg-5"}}))

	require.Eventually(t, func() bool {
		id, ok := g.ctl.SameFace(face)
		return ok && id == "zhang-san"
	}, 10*time.Second, 10*time.Millisecond, "the gate's face index finds the face enrolled at the office")
	g.pd.PresentWiegand26(7, 4321)
	g.waitEvent("granted", func(e controller.Event) bool { return e.Kind == controller.KindGranted && e.Identity == "zhang-san" })
	waitCmd(t, g.pd, osdp.CmdBUZ)
	assert.Equal(t, 1, pulses(g.pd), "the door opened")
	_, err := g.st.Identity("wu")
	assert.ErrorIs(t, err, store.ErrNotFound, "another building's resident is not in this gate's slice")
}
