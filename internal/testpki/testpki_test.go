package testpki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"slices"
	"testing"
)

// TestIssueVerifiesAgainstPool: an issued certificate chains to the CA's
// pool for each of its names, and what the template sets is kept.
func TestIssueVerifiesAgainstPool(t *testing.T) {
	ca := NewCA(t, &x509.Certificate{Subject: pkix.Name{CommonName: "test CA"}})
	leaf := ca.Issue("srv", AddNames(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, "localhost", "127.0.0.1"))
	if !slices.Equal(leaf.Cert.DNSNames, []string{"localhost"}) || len(leaf.Cert.IPAddresses) != 1 || !leaf.Cert.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("names: DNS %v, IP %v", leaf.Cert.DNSNames, leaf.Cert.IPAddresses)
	}
	if !slices.Equal(leaf.Cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("ExtKeyUsage %v, want ServerAuth only", leaf.Cert.ExtKeyUsage)
	}
	for _, name := range []string{"localhost", "127.0.0.1"} {
		if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool, DNSName: name}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if leaf.TLS.Leaf != leaf.Cert || leaf.CertFile == "" || leaf.KeyFile == "" || ca.File == "" {
		t.Errorf("leaf %+v, CA file %q", leaf, ca.File)
	}
}
