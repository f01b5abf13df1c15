package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
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
	"menwei/controller/config"
	"menwei/controller/door"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

const fireYAML = `emergency:
  fire_inputs: [{ pd: gate-reader, input: 3 }]`

func (g *gate) post(path string, body any) (int, map[string]any) {
	g.t.Helper()
	b, err := json.Marshal(body)
	require.NoError(g.t, err)
	req, err := http.NewRequest(http.MethodPost, g.url+path, bytes.NewReader(b))
	require.NoError(g.t, err)
	req.Header.Set("Authorization", "Bearer "+g.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(g.t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(g.t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func (g *gate) doors() []controller.DoorStatus {
	var st struct {
		Doors []controller.DoorStatus `json:"doors"`
	}
	g.get("/api/v1/doors", &st)
	return st.Doors
}

// waitOut waits for the PD to be told to drive its lock output with control.
func waitOut(t *testing.T, pd *osdppd.PD, control byte) {
	t.Helper()
	for {
		out := waitCmd(t, pd, osdp.CmdOUT).(osdp.Out)
		if out.Records[0].Control == control {
			return
		}
	}
}

// A fire alarm input on an emulated PD unlocks the door and holds it
// unlocked, through the alarm clearing and through a restart of menweid,
// until an operator ends the emergency.
func TestFireAlarmUnlocksUntilOperatorEndsIt(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	dir := t.TempDir()
	g := startGateWith(t, gateSetup{pd: pd, extra: fireYAML, dir: dir, seed: true})
	g.waitOnline(false)
	waitOut(t, pd, osdp.OutPermOffAbort) // locked on line

	require.NoError(t, pd.SetInput(3, true))
	waitOut(t, pd, osdp.OutPermOnAbort)
	fire := g.waitEvent("fire", func(e controller.Event) bool { return e.Kind == controller.KindFire })
	assert.True(t, fire.Alarm)
	require.Equal(t, "emergency_unlock", g.doors()[0].Mode)
	assert.True(t, pd.Outputs()[0], "the lock output is held released")

	require.NoError(t, pd.SetInput(3, false)) // the alarm clears: the door stays open
	g.pd.PresentWiegand26(1, 1234)            // a card meanwhile changes nothing
	g.waitEvent("emergency decision", func(e controller.Event) bool { return e.Reason == "emergency_unlock" })
	assert.Equal(t, "emergency_unlock", g.doors()[0].Mode)
	assert.True(t, pd.Outputs()[0])

	// Restart menweid: the emergency is still on, and re-asserted on line.
	g.shutdown()
	pd2, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g2 := startGateWith(t, gateSetup{pd: pd2, extra: fireYAML, dir: dir})
	g2.waitOnline(false)
	waitOut(t, pd2, osdp.OutPermOnAbort)
	assert.Equal(t, "emergency_unlock", g2.doors()[0].Mode)

	// Lockdown is refused during an emergency; normal ends it.
	status, body := g2.post("/api/v1/emergency", map[string]any{"mode": "lockdown"})
	assert.Equal(t, http.StatusConflict, status, body)
	status, _ = g2.post("/api/v1/doors/main-gate/mode", map[string]any{"mode": "normal", "reason": "fire brigade gave the all-clear"})
	require.Equal(t, http.StatusOK, status)
	waitOut(t, pd2, osdp.OutPermOffAbort)
	assert.Equal(t, "normal", g2.doors()[0].Mode)
	assert.False(t, pd2.Outputs()[0])
	g2.waitEvent("operator request", func(e controller.Event) bool {
		return e.Kind == "door.mode_requested" && e.Detail == "normal: fire brigade gave the all-clear (by admin)"
	})
}

// A door opened without a grant raises a forced-open alarm and an alert.
func TestForcedDoorRaisesAlarm(t *testing.T) {
	g := startGate(t, osdppd.Config{}, "")
	g.waitOnline(false)
	require.NoError(t, g.pd.SetInput(0, false))
	time.Sleep(100 * time.Millisecond) // the first contact report only sets the state
	require.NoError(t, g.pd.SetInput(0, true))
	forced := g.waitEvent("forced", func(e controller.Event) bool { return e.Kind == controller.KindForcedOpen })
	assert.True(t, forced.Alarm)
	g.waitEvent("alert", func(e controller.Event) bool { return e.Kind == "alert.door_forced" })
	require.Eventually(t, func() bool {
		d := g.doors()[0]
		return d.Open && len(d.Alarms) == 1 && d.Alarms[0] == "forced_open"
	}, 10*time.Second, 20*time.Millisecond)

	// A granted passage is not forced.
	require.NoError(t, g.pd.SetInput(0, false))
	g.waitEvent("closed", func(e controller.Event) bool { return e.Kind == controller.KindDoorClosed })
	g.pd.PresentWiegand26(1, 1234)
	g.waitEvent("granted", func(e controller.Event) bool { return e.Kind == controller.KindGranted })
	require.NoError(t, g.pd.SetInput(0, true))
	g.waitEvent("opened", func(e controller.Event) bool { return e.Kind == controller.KindDoorOpened && e.Seq > forced.Seq })
	n := 0
	for _, e := range g.events() {
		if e.Kind == controller.KindForcedOpen {
			n++
		}
	}
	assert.Equal(t, 1, n)
}

// Lockdown over the API: residents are refused, staff pass.
func TestLockdownLetsStaffOnly(t *testing.T) {
	g := startGate(t, osdppd.Config{}, "")
	g.waitOnline(false)
	status, _ := g.post("/api/v1/emergency", map[string]any{"mode": "lockdown", "reason": "intruder"})
	require.Equal(t, http.StatusOK, status)
	g.pd.PresentWiegand26(1, 1234)
	d := g.waitEvent("denied", func(e controller.Event) bool { return e.Kind == controller.KindDenied })
	assert.Equal(t, "lockdown", d.Reason)
	g.pd.PresentWiegand26(1, 3)
	s := g.waitEvent("staff", func(e controller.Event) bool { return e.Kind == controller.KindGranted })
	assert.Equal(t, "zhao", s.Identity)

	for _, bad := range []map[string]any{{"mode": "party"}, {"mode": "normal", "extra": 1}, {"mode": 3}} {
		status, body := g.post("/api/v1/emergency", bad)
		assert.Equal(t, http.StatusBadRequest, status, "%v → %v", bad, body)
	}
}

// A guard issues a pairing code, the resident's phone pairs and opens the
// door: judged by the door's policy, logged, and the PD releases the lock.
func TestPhoneOpensDoor(t *testing.T) {
	g := startGate(t, osdppd.Config{}, "")
	g.waitOnline(false)
	waitOut(t, g.pd, osdp.OutPermOffAbort)
	status, body := g.post("/api/v1/residents/li-wei/pairing", map[string]any{})
	require.Equal(t, http.StatusCreated, status, body)
	resp, err := http.Post(g.url+"/api/v1/pair", "application/json", bytes.NewReader([]byte(`{"code":"`+body["code"].(string)+`","name":"Li Wei's phone"}`)))
	require.NoError(t, err)
	var pr struct {
		Token string `json:"token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&pr))
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	req, _ := http.NewRequest(http.MethodPost, g.url+"/api/v1/doors/main-gate/open", nil)
	req.Header.Set("Authorization", "Device "+pr.Token)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	waitOut(t, g.pd, osdp.OutTempOnThenOff)
	e := g.waitEvent("phone grant", func(e controller.Event) bool { return e.Kind == controller.KindGranted })
	assert.Equal(t, "li-wei", e.Identity)
	assert.Equal(t, "phone", e.Factor)

	// The lock's terminal goes silent: the phone is told the door did not
	// open, and the record says so.
	g.pd.SetMode(osdppd.Silent)
	g.waitEvent("lock offline", func(e controller.Event) bool { return e.Kind == "door.lock_offline" })
	before := g.headSeq()
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var failed struct {
		Error api.APIError `json:"error"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&failed))
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "lock_offline", failed.Error.Code)
	g.waitEvent("lock failed", func(e controller.Event) bool { return e.Seq > before && e.Kind == controller.KindLockFailed })
	kinds, _ := g.kindsAfter(before)
	assert.NotContains(t, kinds, controller.KindUnlocked)
}

// http.opens_per_minute is the per-phone limit the API applies: with 2, a
// phone's third open within the minute is refused (429) and opens nothing.
func TestPhoneOpenLimitFromConfig(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: pd, seed: true, opens: 2})
	g.waitOnline(false)
	waitOut(t, g.pd, osdp.OutPermOffAbort)
	status, body := g.post("/api/v1/residents/li-wei/pairing", map[string]any{})
	require.Equal(t, http.StatusCreated, status, body)
	var pr struct {
		Token string `json:"token"`
	}
	require.Equal(t, http.StatusCreated, g.call(http.MethodPost, "/api/v1/pair", "", map[string]any{"code": body["code"], "name": "phone"}, &pr))
	device := "Device " + pr.Token
	for i := range 2 {
		require.Equal(t, http.StatusOK, g.call(http.MethodPost, "/api/v1/doors/main-gate/open", device, nil, nil), "open %d", i+1)
	}
	before := g.headSeq()
	assert.Equal(t, http.StatusTooManyRequests, g.call(http.MethodPost, "/api/v1/doors/main-gate/open", device, nil, nil))
	kinds, _ := g.kindsAfter(before)
	assert.NotContains(t, kinds, controller.KindGranted, "a refused request is not judged")
}

func TestMetricsAndReadiness(t *testing.T) {
	g := startGate(t, osdppd.Config{}, "")
	g.waitOnline(false)
	g.pd.PresentWiegand26(1, 1234)
	g.waitEvent("granted", func(e controller.Event) bool { return e.Kind == controller.KindGranted })
	resp, err := http.Get(g.url + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get(g.url + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`menwei_decisions_total{door="main-gate",result="granted"} 1`,
		`menwei_pd_online{pd="gate-reader"} 1`,
		`menwei_osdp_commands_total{bus="gate",command="POLL"}`,
		`menwei_event_append_seconds_count`,
	} {
		assert.Contains(t, string(body), want)
	}
}

// With a certificate and key configured, the API speaks HTTPS and the
// session cookie carries the Secure flag.
func TestHTTPS(t *testing.T) {
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600))

	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	pool := x509.NewCertPool()
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	old := http.DefaultClient
	http.DefaultClient = client // the harness's requests go through TLS
	defer func() { http.DefaultClient = old }()

	g := startGateWith(t, gateSetup{pd: pd, seed: true, tls: [2]string{certPath, keyPath}})
	require.True(t, strings.HasPrefix(g.url, "https://"))
	resp, err := client.Post(g.url+"/api/v1/login", "application/json", strings.NewReader(`{"name":"admin","password":"`+testPassword+`"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotNil(t, resp.TLS)
	require.NotEmpty(t, resp.Cookies())
	assert.True(t, resp.Cookies()[0].Secure, "the session cookie is Secure over HTTPS")
}

// kindsAfter lists the kinds of the events after seq, oldest first.
func (g *gate) kindsAfter(seq uint64) (kinds []string, last []controller.Event) {
	for _, e := range g.events() {
		if e.Seq > seq {
			kinds = append(kinds, e.Kind)
			last = append(last, e)
		}
	}
	return kinds, last
}

func (g *gate) headSeq() uint64 {
	var head uint64
	for _, e := range g.events() {
		head = max(head, e.Seq)
	}
	return head
}

// A guard's open is answered, and recorded, as what the lock did: opened
// only when the lock's terminal acknowledged the release; refused (NAK) and
// offline are errors, recorded as door.lock_failed and never door.unlocked.
func TestGuardOpenSaysWhatTheLockDid(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: pd, seed: true})
	g.waitOnline(false)
	// The PD is reported online before its door records that its lock is:
	// wait for that, so it is not taken for what the open did.
	g.waitEvent("door.lock_online", func(e controller.Event) bool { return e.Kind == door.EventLockOnline })

	open := func(want int) (map[string]any, []string) {
		t.Helper()
		before := g.headSeq()
		status, body := g.post("/api/v1/doors/main-gate/open", map[string]any{})
		require.Equal(t, want, status, "%v", body)
		var kinds []string
		require.Eventually(t, func() bool {
			kinds, _ = g.kindsAfter(before)
			return len(kinds) >= 2
		}, 10*time.Second, 20*time.Millisecond, "the grant and what the lock did are recorded")
		time.Sleep(100 * time.Millisecond) // nothing else follows
		kinds, _ = g.kindsAfter(before)
		return body, kinds
	}

	body, kinds := open(http.StatusOK)
	assert.Equal(t, true, body["opened"])
	assert.Equal(t, []string{controller.KindGranted, controller.KindUnlocked}, kinds)
	waitOut(t, g.pd, osdp.OutTempOnThenOff)

	g.pd.SetMode(osdppd.NAKAll)
	body, kinds = open(http.StatusBadGateway)
	assert.Equal(t, "lock_refused", body["error"].(map[string]any)["code"])
	assert.Equal(t, []string{controller.KindGranted, controller.KindLockFailed}, kinds, "refused: not unlocked")

	g.pd.SetMode(osdppd.Silent)
	require.Eventually(t, func() bool {
		var st struct {
			PDs []controller.PDStatus `json:"pds"`
		}
		g.get("/api/v1/pds", &st)
		return !st.PDs[0].Online
	}, 20*time.Second, 50*time.Millisecond)
	// The last of what going offline records (after pd.offline and its alert).
	g.waitEvent("lock offline", func(e controller.Event) bool { return e.Kind == "door.lock_offline" })
	body, kinds = open(http.StatusServiceUnavailable)
	assert.Equal(t, "lock_offline", body["error"].(map[string]any)["code"])
	assert.Equal(t, []string{controller.KindGranted, controller.KindLockFailed}, kinds, "offline: not unlocked")
	assert.NotContains(t, kinds, controller.KindUnlocked)
}

func (g *gate) readyz() (int, api.ReadyReply) {
	g.t.Helper()
	resp, err := http.Get(g.url + "/readyz")
	require.NoError(g.t, err)
	defer resp.Body.Close()
	var r api.ReadyReply
	require.NoError(g.t, json.NewDecoder(resp.Body).Decode(&r))
	return resp.StatusCode, r
}

// Ready means every part works (controller.Health): a terminal offline or
// a bus whose serial device does not exist is not ready, and says which.
func TestReadyMeansEveryPartWorks(t *testing.T) {
	g := startGate(t, osdppd.Config{}, "")
	g.waitOnline(false)
	status, r := g.readyz()
	require.Equal(t, http.StatusOK, status, "%+v", r)
	assert.True(t, r.Health.Ready)
	require.Len(t, r.Health.Terminals, 1)
	assert.True(t, r.Health.Terminals[0].Online)
	require.Len(t, r.Health.Ports, 1)
	assert.True(t, r.Health.Ports[0].Open)

	g.pd.SetMode(osdppd.Silent)
	require.Eventually(t, func() bool { status, r = g.readyz(); return status == http.StatusServiceUnavailable },
		20*time.Second, 50*time.Millisecond)
	assert.Equal(t, "not_ready", r.Status)
	assert.Equal(t, []string{"pd gate-reader offline"}, r.Health.NotReady)
	assert.Contains(t, r.Error.Message, "pd gate-reader offline")

	dir := t.TempDir()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
data_dir: %s
http: { listen: "127.0.0.1:0" }
buses:
  - name: gate
    device: %s
    pds: [{ name: gate-reader, address: 101 }]
doors:
  - name: main-gate
    readers: [{ pd: gate-reader }]
    lock: { pd: gate-reader, output: 0 }
`, dir, filepath.Join(dir, "no-such-tty"))), dir)
	require.NoError(t, err)
	seed(t, cfg.Store.Dir)
	g2 := run(t, cfg, nil, dir, nil)
	require.Eventually(t, func() bool { status, r = g2.readyz(); return len(r.Health.Ports) == 1 && r.Health.Ports[0].Error != "" },
		10*time.Second, 50*time.Millisecond)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.False(t, r.Health.Ports[0].Open)
	assert.Contains(t, r.Error.Message, "bus gate: serial port")
	assert.Contains(t, r.Error.Message, "pd gate-reader offline")
}
