package main

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/api"
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
func freePort(t testing.TB) string {
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
	office, g := startOfficeAndGate(t)
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

// TestTheOfficeSetsAGatesDoorMode runs an office and a gate menweid: an
// emergency unlock set at the office's API for the gate reaches the gate's
// door (its own API says so), the gate records it naming the office's
// account, and the office's events list shows that event with the gate's
// name once it is uploaded. With the gate stopped, the office answers 504
// and says nothing happened.
func TestTheOfficeSetsAGatesDoorMode(t *testing.T) {
	office, g := startOfficeAndGate(t)

	var gates struct{ Gates []api.GateInfo }
	require.Eventually(t, func() bool {
		office.get("/api/v1/gates", &gates)
		return len(gates.Gates) == 1 && gates.Gates[0].Link == "up" && len(gates.Gates[0].Doors) == 1
	}, 30*time.Second, 50*time.Millisecond, "the office sees the gate and its door")
	assert.Equal(t, "normal", gates.Gates[0].Doors[0].Mode)

	status, body := office.post("/api/v1/doors/main-gate/mode?gate=gate-3a", map[string]string{"mode": "emergency_unlock", "reason": "fire drill"})
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "emergency_unlock", g.doors()[0].Mode, "the gate's door, by the gate's own API")
	assert.Equal(t, "normal", office.doors()[0].Mode, "the office's own door is not the gate's")
	ev := g.waitEvent("the mode change at the gate", func(e controller.Event) bool { return e.Kind == "door.mode_requested" })
	assert.Contains(t, ev.Detail, "(by admin@office)")

	var page struct{ Events []api.Event }
	require.Eventually(t, func() bool {
		office.get("/api/v1/events?order=desc&limit=100", &page)
		for _, e := range page.Events {
			if e.Gate == "gate-3a" && e.Seq == ev.Seq && e.Kind == ev.Kind {
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "the gate's mode event in the office's list, with its gate")

	g.shutdown()
	status, body = office.post("/api/v1/emergency?gate=gate-3a", map[string]string{"mode": "normal"})
	assert.Equal(t, http.StatusGatewayTimeout, status, body)
	code := body["error"].(map[string]any)["code"]
	assert.Contains(t, []any{"gate_unreachable", "gate_no_answer"}, code)
}

// TestTheOfficeAcknowledgesAGatesAlarm: a tamper at the gate is an open
// alarm at the office, with its gate; acknowledged there, it is recorded
// at the office naming the gate, and the gate records it too (naming the
// office's account), so its guards see it closed.
func TestTheOfficeAcknowledgesAGatesAlarm(t *testing.T) {
	office, g := startOfficeAndGate(t)
	g.pd.SetTamper(true)
	tamper := g.waitEvent("tamper", func(e controller.Event) bool { return e.Kind == controller.KindPDTamper })

	var alarms api.AlarmsReply
	require.Eventually(t, func() bool {
		office.get("/api/v1/alarms", &alarms)
		return len(alarms.Alarms) == 1
	}, 30*time.Second, 50*time.Millisecond, "the gate's alarm at the office")
	assert.Equal(t, "gate-3a", alarms.Alarms[0].Gate)
	assert.Equal(t, tamper.Seq, alarms.Alarms[0].Event.Seq)
	// The poll has seen the gate answer (the command channel is up).
	require.Eventually(t, func() bool {
		var gates struct{ Gates []api.GateInfo }
		office.get("/api/v1/gates", &gates)
		return gates.Gates[0].Link == "up"
	}, 30*time.Second, 50*time.Millisecond)

	status, body := office.post(fmt.Sprintf("/api/v1/alarms/%d/ack?gate=gate-3a", tamper.Seq), map[string]string{"note": "called the gate"})
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "acknowledged", body["gate_ack"])
	assert.Equal(t, "gate-3a", body["at_gate"])
	office.get("/api/v1/alarms", &alarms)
	assert.Empty(t, alarms.Alarms, "closed at the office")
	g.get("/api/v1/alarms", &alarms)
	assert.Empty(t, alarms.Alarms, "closed at the gate")
	ack := g.waitEvent("the gate's acknowledgement", func(e controller.Event) bool { return e.Kind == controller.KindAlarmAcknowledged })
	assert.Equal(t, tamper.Seq, ack.Ref)
	assert.Equal(t, "admin@office", ack.Account)
}

// startOfficeAndGate runs an office with one gate, gate-3a, each a menweid
// from its config file with one door (main-gate) on an emulated PD, both
// signed in as the test's admin.
func startOfficeAndGate(t *testing.T) (office, g *gate) {
	t.Helper()
	office, g = startEstatePair(t, "", gateSetup{seed: true})
	g.waitOnline(false)
	return office, g
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
