package starlarkbind

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"

	"github.com/starnet-dev/starnet/internal/testpki"
	"go.starlark.net/starlark"
)

// testCA is a certificate authority made for one test (see testpki). Its
// key and the keys of what it issues live in memory and in the test's
// temporary directory (for the scripts and python3); none is ever
// committed.
type testCA struct {
	*testpki.CA
	t testing.TB
}

// newTestCA makes a CA named name for the test.
func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	ca := testpki.NewCA(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: name, Organization: []string{"starnet tests"}},
	})
	return &testCA{CA: ca, t: t}
}

// issue makes a certificate for subject with the given names (DNS names
// and IP addresses), usable by servers and clients, written as
// NAME.pem and NAME-key.pem.
func (ca *testCA) issue(name string, subject pkix.Name, names ...string) *testpki.Leaf {
	ca.t.Helper()
	return ca.Issue(name, testpki.AddNames(&x509.Certificate{Subject: subject}, names...))
}

// predeclareFiles gives a script the paths: CA, and CERT/KEY of each leaf
// by its predeclared prefix.
func predeclareFiles(te *testEnv, ca *testCA, leaves map[string]*testpki.Leaf) {
	te.e.Predeclare("CA", starlark.String(ca.File))
	for prefix, l := range leaves {
		te.e.Predeclare(prefix+"_CERT", starlark.String(l.CertFile))
		te.e.Predeclare(prefix+"_KEY", starlark.String(l.KeyFile))
	}
}
