package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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

// TestEstateOfficeAndThreeGates is issue 14's integration test, on
// loopback with the real parts: four menweids from their config files (the
// property office and three gates), each with its own encrypted Badger
// store and embedded nats-server, the gates TLS leaf nodes of the office
// through relays that can cut their links, each gate with an emulated OSDP
// reader. A resident added at the office opens the door at every gate; one
// gate's link is cut: it goes on deciding and its events wait; restored,
// every gate's events are at the office exactly once, their chains whole.
// (Kill -9 of a gate during upload and of the office during apply, and a
// gate's key used as another gate's, are in controller/estate's crash and
// security tests, which re-exec processes and speak the leaf protocol.)
func TestEstateOfficeAndThreeGates(t *testing.T) {
	pki := estatetest.NewPKI(t)
	addr := freePort(t)
	names := []string{"gate-east", "gate-west", "gate-north"}
	type member struct {
		name string
		g    *gate
		pd   *osdppd.PD
		link *estatetest.Link
	}
	var gates []*member
	var accepted strings.Builder
	seeds := map[string]string{}
	for _, n := range names {
		seed, pub := estatetest.GateKey(t)
		file := filepath.Join(t.TempDir(), n+".nk")
		require.NoError(t, os.WriteFile(file, seed, 0o600))
		seeds[n] = file
		fmt.Fprintf(&accepted, "    - { name: %s, nkey: %s }\n", n, pub)
	}
	opd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	office := startGateWith(t, gateSetup{pd: opd, seed: true, extra: fmt.Sprintf(`
estate:
  role: office
  listen: %s
  tls: { cert: %s, key: %s }
  gates:
%s`, addr, pki.CertFile, pki.KeyFile, accepted.String())})
	for _, n := range names {
		m := &member{name: n, link: estatetest.NewLink(t, addr)}
		m.pd, err = osdppd.New(osdppd.Config{Addr: 101})
		require.NoError(t, err)
		m.g = startGateWith(t, gateSetup{pd: m.pd, seed: true, extra: fmt.Sprintf(`
estate:
  role: gate
  gate: %s
  office_url: tls://%s
  tls: { ca: %s }
  nkey_seed_file: %s
`, n, m.link.Addr(), pki.CAFile, seeds[n])})
		m.g.waitOnline(false)
		waitOut(t, m.pd, osdp.OutPermOffAbort) // the lock's first OUT: the door held shut
		gates = append(gates, m)
	}

	// A resident registered at the office, with a card: at every gate.
	added := time.Now()
	require.NoError(t, office.st.PutIdentity(store.Identity{ID: "zhou-min", Kind: policy.Resident, Name: "Zhou Min", Unit: "7-302"}))
	require.NoError(t, office.st.AddCredential(store.Credential{Kind: policy.Card, Key: "1:4321", Identity: "zhou-min"}))
	for _, m := range gates {
		require.Eventually(t, func() bool {
			_, id, err := m.g.st.Lookup(policy.Card, "h10301:1:4321")
			return err == nil && id.ID == "zhou-min"
		}, 30*time.Second, 5*time.Millisecond, "%s has the resident", m.name)
		t.Logf("%s: the resident there %v after the office's write", m.name, time.Since(added).Round(time.Millisecond))
		m.pd.PresentWiegand26(1, 4321)
		waitOut(t, m.pd, osdp.OutTempOnThenOff)
		granted := m.g.waitEvent("her grant", func(e controller.Event) bool { return e.Kind == controller.KindGranted })
		assert.Equal(t, "zhou-min", granted.Identity, m.name)
	}

	// A joined gate's own directory edits are refused: people are managed
	// at the office.
	status, body := gates[0].g.post("/api/v1/residents", map[string]any{"id": "local-1", "name": "Local", "kind": "resident"})
	assert.Equal(t, http.StatusConflict, status, body)
	assert.Equal(t, "directory_at_office", body["error"].(map[string]any)["code"])
	status, _ = gates[0].g.post("/api/v1/residents/local-1/cards", map[string]any{"card": "1:9"})
	assert.Equal(t, http.StatusConflict, status)
	var nobody map[string]any
	assert.Equal(t, http.StatusNotFound, gates[0].g.call(http.MethodGet, "/api/v1/residents/local-1", "", nil, &nobody), "nothing was made")

	// The north gate's link cut: it decides on its own; its events wait.
	north := gates[2]
	north.link.Cut()
	before := north.g.headSeq()
	for range 5 {
		north.pd.PresentWiegand26(1, 4321)
		waitOut(t, north.pd, osdp.OutTempOnThenOff)
	}
	north.pd.PresentWiegand26(9, 9) // a stranger: denied, recorded
	north.g.waitEvent("the stranger's denial", func(e controller.Event) bool { return e.Kind == controller.KindDenied })
	cutHead := north.g.headSeq()
	require.Greater(t, cutHead, before+5, "the gate recorded its decisions")
	time.Sleep(time.Second)
	c, err := office.st.Received().Chain("gate-north")
	require.NoError(t, err)
	assert.Less(t, c.Highest, cutHead, "nothing crossed the cut link")

	north.link.Restore()
	for _, m := range gates {
		head := m.g.headSeq()
		r := office.st.Received()
		require.Eventually(t, func() bool {
			c, err := r.Chain(m.name)
			return err == nil && c.Verified >= head
		}, 60*time.Second, 10*time.Millisecond, "%s's events up to %d at the office", m.name, head)
		c, err := r.Chain(m.name)
		require.NoError(t, err)
		assert.Nil(t, c.Break, m.name)
		assert.Equal(t, c.Highest, c.Received, "%s: each event once", m.name)
		n, err := r.Verify(m.name)
		require.NoError(t, err, "%s: the office's copy verifies whole", m.name)
		assert.GreaterOrEqual(t, n, head)
		// The very events the gate holds, by seq and hash.
		mine, err := m.g.st.Events(eventlog.Query{Limit: int(head)})
		require.NoError(t, err)
		theirs, err := r.Events(m.name, eventlog.Query{Limit: int(head)})
		require.NoError(t, err)
		require.Len(t, theirs, len(mine), m.name)
		for i := range mine {
			assert.Equal(t, mine[i].Seq, theirs[i].Seq, "%s: event %d", m.name, i)
			assert.Equal(t, mine[i].Hash, theirs[i].Hash, "%s: event %d", m.name, mine[i].Seq)
		}
	}
	// The office's console lists the north gate's decisions made offline.
	var page struct{ Events []api.Event }
	office.get("/api/v1/events?gate=gate-north&order=desc&limit=20", &page)
	denied := 0
	for _, e := range page.Events {
		assert.Equal(t, "gate-north", e.Gate)
		if e.Kind == controller.KindDenied {
			denied++
		}
	}
	assert.Equal(t, 1, denied, "the stranger, once")
}
