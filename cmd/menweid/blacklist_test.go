package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// A guard blacklists a lost card through the API of the running gate: the
// very next read of that card is refused at the reader (red LED, no lock
// pulse, reason blacklisted), with no restart and the reader on line
// throughout.
func TestCardBlacklistedThroughAPIIsRefusedAtTheReader(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: pd, seed: true, beforeRun: func(s *store.Store) {
		require.NoError(t, s.PutAccount("gus", store.RoleGuard, testPassword))
	}})
	g.waitOnline(false)
	waitCmd(t, g.pd, osdp.CmdOUT) // the lock set to locked

	g.pd.PresentWiegand26(1, 1234)
	g.waitEvent("granted", func(e controller.Event) bool { return e.Kind == controller.KindGranted && e.Identity == "li-wei" })
	waitCmd(t, g.pd, osdp.CmdBUZ)
	require.Equal(t, 1, pulses(g.pd))

	// The guard signs in and blacklists the card.
	resp, err := http.Post(g.url+"/api/v1/login", "application/json", strings.NewReader(`{"name":"gus","password":"`+testPassword+`"}`))
	require.NoError(t, err)
	var login struct {
		Token string `json:"token"`
	}
	require.NoError(t, jsonDecode(resp, &login))
	req, err := http.NewRequest(http.MethodPost, g.url+"/api/v1/residents/li-wei/cards/blacklist", strings.NewReader(`{"card":"1:1234"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+login.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	audit := g.waitEvent("blacklisted", func(e controller.Event) bool { return e.Kind == "credential.blacklisted" })
	assert.Equal(t, "li-wei", audit.Identity)

	g.pd.PresentWiegand26(1, 1234)
	denied := g.waitEvent("denied", func(e controller.Event) bool { return e.Kind == controller.KindDenied })
	assert.Equal(t, policy.Blacklisted, denied.Reason)
	assert.Equal(t, "li-wei", denied.Identity, "a blacklisted card stays known, so the attempt stands out")
	assert.Greater(t, denied.Seq, audit.Seq)
	for {
		led := waitCmd(t, g.pd, osdp.CmdLED).(osdp.LED)
		if led.Records[0].Temp.OnColor == byte(osdp.ColorRed) {
			break
		}
	}
	assert.Equal(t, 1, pulses(g.pd), "the blacklisted card did not open the door")
	var st struct {
		PDs []controller.PDStatus `json:"pds"`
	}
	g.get("/api/v1/pds", &st)
	assert.True(t, st.PDs[0].Online, "the reader stayed on line")
}

func jsonDecode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
