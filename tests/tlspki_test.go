package tests

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"

	"github.com/starnet-dev/starnet/internal/testpki"
)

// testPKI is a certificate authority made for one test (see testpki), with
// the certificates it issued, as PEM files in the test's temporary
// directory (for starnet, python3 and openssl). No key is ever committed.
type testPKI struct {
	*testpki.CA
	t *testing.T
}

// newTestPKI makes a CA named name.
func newTestPKI(t *testing.T, name string) *testPKI {
	t.Helper()
	return &testPKI{CA: testpki.NewCA(t, &x509.Certificate{Subject: pkix.Name{CommonName: name}}), t: t}
}

// issue signs a server certificate for names (DNS names or IP addresses)
// and returns the paths of its certificate and key files.
func (p *testPKI) issue(file string, names ...string) (certFile, keyFile string) {
	p.t.Helper()
	tmpl := testpki.AddNames(&x509.Certificate{
		Subject:     pkix.Name{CommonName: names[0]},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, names...)
	leaf := p.Issue(file, tmpl)
	return leaf.CertFile, leaf.KeyFile
}
