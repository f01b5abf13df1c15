package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"menwei/controller/store"
)

// makeCert writes a self-signed ECDSA P-256 certificate and key for the
// gate box's HTTPS API: cert.pem and key.pem (mode 600) in -out.
func makeCert(fs *flag.FlagSet, out io.Writer) func(*store.Store) error {
	hosts := fs.String("host", "", "host names and IP addresses, comma separated")
	dir := fs.String("out", ".", "directory for cert.pem and key.pem")
	days := fs.Int("days", 825, "validity in days")
	return func(*store.Store) error {
		if *hosts == "" {
			return errors.New("cert: give -host (the names and addresses phones and guards use)")
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
		if err != nil {
			return err
		}
		tmpl := x509.Certificate{
			SerialNumber: serial,
			Subject:      pkix.Name{CommonName: strings.Split(*hosts, ",")[0], Organization: []string{"menwei gate controller"}},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Duration(*days) * 24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		for _, h := range strings.Split(*hosts, ",") {
			if ip := net.ParseIP(strings.TrimSpace(h)); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, strings.TrimSpace(h))
			}
		}
		der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
		if err != nil {
			return err
		}
		kb, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(*dir, 0o700); err != nil {
			return err
		}
		certPath, keyPath := filepath.Join(*dir, "cert.pem"), filepath.Join(*dir, "key.pem")
		if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s and %s; set http.cert and http.key in the configuration\n", certPath, keyPath)
		return nil
	}
}
