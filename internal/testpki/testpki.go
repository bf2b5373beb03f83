// Package testpki makes throw-away certificate authorities and the
// certificates they issue, for tests that need TLS peers (Go, python3,
// openssl). Keys are ECDSA P-256, generated per test; they live in memory
// and as PEM files in the test's temporary directory, and none is ever
// committed.
//
// It is for tests only: import it from _test.go files, never from code that
// is built into a starnet library or binary.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a certificate authority made for one test. Everything it writes
// goes to Dir, a directory removed when the test ends.
type CA struct {
	// Cert is the CA's self-signed certificate.
	Cert *x509.Certificate
	// Key is the CA's private key.
	Key *ecdsa.PrivateKey
	// File is the path of the CA certificate as PEM (ca.pem in Dir), the
	// file a peer is told to trust.
	File string
	// Dir is the test's temporary directory that holds every file written.
	Dir string
	// Pool is a certificate pool holding only Cert.
	Pool *x509.CertPool

	t      testing.TB
	serial int64
}

// Leaf is a certificate a CA issued, with its key, in memory and as PEM
// files.
type Leaf struct {
	// TLS is the certificate and key, ready for a tls.Config; its Leaf is set.
	TLS tls.Certificate
	// Cert is the parsed certificate.
	Cert *x509.Certificate
	// CertFile is the path of the certificate as PEM (NAME.pem).
	CertFile string
	// KeyFile is the path of the PKCS #8 private key as PEM (NAME-key.pem).
	KeyFile string
}

// NewKey generates a P-256 ECDSA key, failing the test on error.
func NewKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// NewCA makes a self-signed certificate authority from tmpl, which names at
// least its Subject. What tmpl leaves unset is filled in: serial number 1,
// validity from an hour ago to 24 hours from now, and key usage
// CertSign; IsCA and BasicConstraintsValid are always set. The CA
// certificate is written to ca.pem in a new temporary directory of t.
func NewCA(t testing.TB, tmpl *x509.Certificate) *CA {
	t.Helper()
	key := NewKey(t)
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(1)
	}
	fillValidity(tmpl)
	if tmpl.KeyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageCertSign
	}
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &CA{t: t, Dir: t.TempDir(), Cert: cert, Key: key, Pool: x509.NewCertPool(), serial: 1}
	ca.Pool.AddCert(cert)
	ca.File = ca.WritePEM("ca.pem", "CERTIFICATE", der)
	return ca
}

// WritePEM writes der as one PEM block of type typ to the file name in
// Dir (mode 0600) and returns its path.
func (ca *CA) WritePEM(name, typ string, der []byte) string {
	ca.t.Helper()
	path := filepath.Join(ca.Dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		ca.t.Fatal(err)
	}
	return path
}

// Issue signs a certificate for tmpl with a new key and writes it as
// NAME.pem and NAME-key.pem in Dir. What tmpl leaves unset is filled in:
// the next serial number of this CA, validity from an hour ago to 24 hours
// from now (when NotBefore is zero), key usage DigitalSignature, and
// extended key usage ServerAuth and ClientAuth (when nil).
func (ca *CA) Issue(name string, tmpl *x509.Certificate) *Leaf {
	ca.t.Helper()
	key := NewKey(ca.t)
	ca.serial++
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(ca.serial)
	}
	fillValidity(tmpl)
	if tmpl.KeyUsage == 0 {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	}
	if tmpl.ExtKeyUsage == nil {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		ca.t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		ca.t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		ca.t.Fatal(err)
	}
	return &Leaf{
		TLS:      tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert},
		Cert:     cert,
		CertFile: ca.WritePEM(name+".pem", "CERTIFICATE", der),
		KeyFile:  ca.WritePEM(name+"-key.pem", "PRIVATE KEY", keyDER),
	}
}

// AddNames adds names to tmpl's subject alternative names: each one that
// parses as an IP address to IPAddresses, every other one to DNSNames. It
// returns tmpl.
func AddNames(tmpl *x509.Certificate, names ...string) *x509.Certificate {
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return tmpl
}

// fillValidity sets tmpl's validity to an hour ago until 24 hours from now
// when NotBefore is unset.
func fillValidity(tmpl *x509.Certificate) {
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = time.Now().Add(-time.Hour)
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	}
}
