package estatetest

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
)

// LeafPublish connects to a leafnode listener as a leaf with the NKey seed,
// speaking the protocol by hand (INFO, TLS, CONNECT), sends one message on
// subj and a PING, and returns the first -ERR line the server answers
// before its PONG ("" when it answers PONG without one). It is a modified
// gate: it does what the gate's own server would refuse to send.
func LeafPublish(t testing.TB, addr string, tc *tls.Config, seed []byte, subj string, data []byte) string {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	check(t, err)
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(raw).ReadString('\n') // INFO, in the clear
	check(t, err)
	var info struct {
		Nonce string `json:"nonce"`
	}
	check(t, json.Unmarshal([]byte(strings.TrimPrefix(strings.TrimSpace(line), "INFO ")), &info))
	cfg := tc.Clone()
	cfg.ServerName = "127.0.0.1"
	c := tls.Client(raw, cfg)
	check(t, c.Handshake())
	kp, err := nkeys.FromSeed(seed)
	check(t, err)
	pub, _ := kp.PublicKey()
	sig, err := kp.Sign([]byte(info.Nonce))
	check(t, err)
	connect, _ := json.Marshal(map[string]any{"nkey": pub, "sig": base64.RawURLEncoding.EncodeToString(sig),
		"tls_required": true, "name": "thief", "headers": true})
	_, err = fmt.Fprintf(c, "CONNECT %s\r\nPING\r\nLMSG %s %d\r\n%s\r\nPING\r\n", connect, subj, len(data), data)
	check(t, err)
	r := bufio.NewReader(c)
	pongs := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("leaf publish: %v (no -ERR, %d PONGs)", err, pongs)
		}
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "-ERR"):
			return line
		case line == "PONG":
			if pongs++; pongs == 2 {
				return ""
			}
		case line == "PING":
			fmt.Fprint(c, "PONG\r\n")
		}
	}
}
