// Package estatetest has what the estate's tests need: a certificate
// authority for loopback TLS, gate keys and a link that can be cut.
package estatetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
)

// PKI is a CA and a server certificate for 127.0.0.1 and localhost.
type PKI struct {
	Server *tls.Config // the office's listener
	Client *tls.Config // a gate's dialler: trusts the CA only
	// Files: the same as PEM files (CA, cert, key), for configurations.
	CAFile, CertFile, KeyFile string
}

// NewPKI makes a CA and a server certificate in t.TempDir().
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(t, err)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "menwei estate test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	check(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	check(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(t, err)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "office"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	check(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	check(t, err)
	dir := t.TempDir()
	p := &PKI{CAFile: filepath.Join(dir, "ca.pem"), CertFile: filepath.Join(dir, "office.pem"), KeyFile: filepath.Join(dir, "office.key")}
	check(t, os.WriteFile(p.CAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644))
	check(t, os.WriteFile(p.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	check(t, os.WriteFile(p.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	p.Server = &tls.Config{MinVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	p.Client = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	return p
}

// GateKey is a new NKey pair for a gate: its seed and its public key.
func GateKey(t testing.TB) (seed []byte, public string) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	check(t, err)
	seed, err = kp.Seed()
	check(t, err)
	public, err = kp.PublicKey()
	check(t, err)
	return seed, public
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Link is a TCP relay on loopback to an address, which can be cut (every
// connection closed, new ones refused) and restored.
type Link struct {
	ln   net.Listener
	to   string
	mu   sync.Mutex
	cut  bool
	open map[net.Conn]struct{}
	wg   sync.WaitGroup
}

// NewLink relays 127.0.0.1:<any> to to until t ends.
func NewLink(t testing.TB, to string) *Link {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(t, err)
	l := &Link{ln: ln, to: to, open: map[net.Conn]struct{}{}}
	l.wg.Add(1)
	go l.accept()
	t.Cleanup(l.close)
	return l
}

// Addr is where to dial.
func (l *Link) Addr() string { return l.ln.Addr().String() }

// Cut closes every relayed connection and refuses new ones.
func (l *Link) Cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut = true
	for c := range l.open {
		c.Close()
	}
}

// Restore lets connections through again.
func (l *Link) Restore() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut = false
}

func (l *Link) accept() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		if l.cut {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.open[c] = struct{}{}
		l.mu.Unlock()
		l.wg.Add(1)
		go l.relay(c)
	}
}

func (l *Link) relay(c net.Conn) {
	defer l.wg.Done()
	defer l.forget(c)
	up, err := net.Dial("tcp", l.to)
	if err != nil {
		return
	}
	l.mu.Lock()
	if l.cut {
		l.mu.Unlock()
		up.Close()
		return
	}
	l.open[up] = struct{}{}
	l.mu.Unlock()
	defer l.forget(up)
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); up.Close(); c.Close(); done <- struct{}{} }()
	io.Copy(c, up)
	up.Close()
	c.Close()
	<-done
}

func (l *Link) forget(c net.Conn) {
	c.Close()
	l.mu.Lock()
	delete(l.open, c)
	l.mu.Unlock()
}

func (l *Link) close() {
	l.ln.Close()
	l.Cut()
	l.wg.Wait()
}
