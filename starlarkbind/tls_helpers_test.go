package starlarkbind

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.starlark.net/starlark"
)

// testCA is a certificate authority made for one test. Its key and the
// keys of what it issues live in memory and in the test's temporary
// directory (for the scripts and python3); none is ever committed.
type testCA struct {
	t      testing.TB
	dir    string
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	file   string // the CA certificate, PEM
	serial int64
}

// leafCert is a certificate the CA issued, with its key, as PEM files.
type leafCert struct {
	tls      tls.Certificate
	certFile string
	keyFile  string
}

func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	key := newTestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"starnet tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &testCA{t: t, dir: t.TempDir(), cert: cert, key: key, serial: 1}
	ca.file = ca.writePEM("ca.pem", "CERTIFICATE", der)
	return ca
}

func newTestKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func (ca *testCA) writePEM(name, typ string, der []byte) string {
	ca.t.Helper()
	path := filepath.Join(ca.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		ca.t.Fatal(err)
	}
	return path
}

// issue makes a certificate for subject with the given names (DNS names
// and IP addresses), usable by servers and clients, written as
// NAME.pem and NAME-key.pem.
func (ca *testCA) issue(name string, subject pkix.Name, names ...string) *leafCert {
	ca.t.Helper()
	tmpl := &x509.Certificate{Subject: subject}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	return ca.issueTemplate(name, tmpl)
}

// issueTemplate signs tmpl, filling in what it leaves unset.
func (ca *testCA) issueTemplate(name string, tmpl *x509.Certificate) *leafCert {
	ca.t.Helper()
	key := newTestKey(ca.t)
	ca.serial++
	tmpl.SerialNumber = big.NewInt(ca.serial)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		ca.t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		ca.t.Fatal(err)
	}
	leaf := &leafCert{
		certFile: ca.writePEM(name+".pem", "CERTIFICATE", der),
		keyFile:  ca.writePEM(name+"-key.pem", "PRIVATE KEY", keyDER),
	}
	leaf.tls, err = tls.LoadX509KeyPair(leaf.certFile, leaf.keyFile)
	if err != nil {
		ca.t.Fatal(err)
	}
	return leaf
}

// pool returns a pool holding the CA.
func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// predeclareFiles gives a script the paths: CA, and CERT/KEY of each leaf
// by its predeclared prefix.
func predeclareFiles(te *testEnv, ca *testCA, leaves map[string]*leafCert) {
	te.e.Predeclare("CA", starlark.String(ca.file))
	for prefix, l := range leaves {
		te.e.Predeclare(prefix+"_CERT", starlark.String(l.certFile))
		te.e.Predeclare(prefix+"_KEY", starlark.String(l.keyFile))
	}
}
