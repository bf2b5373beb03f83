package testpki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIssueVerifiesAgainstPool: an issued certificate chains to the CA's
// pool for each of its names, and what the template sets is kept.
func TestIssueVerifiesAgainstPool(t *testing.T) {
	t.Parallel()
	ca := NewCA(t, &x509.Certificate{Subject: pkix.Name{CommonName: "test CA"}})
	leaf := ca.Issue("srv", AddNames(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, "localhost", "127.0.0.1"))
	require.Equal(t, []string{"localhost"}, leaf.Cert.DNSNames, "DNS names")
	require.Len(t, leaf.Cert.IPAddresses, 1, "IP addresses")
	require.True(t, leaf.Cert.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)), "IP address %v", leaf.Cert.IPAddresses[0])
	assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, leaf.Cert.ExtKeyUsage, "ExtKeyUsage")
	for _, name := range []string{"localhost", "127.0.0.1"} {
		_, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool, DNSName: name})
		assert.NoError(t, err, "verify for %s", name)
	}
	assert.Same(t, leaf.Cert, leaf.TLS.Leaf, "TLS.Leaf")
	assert.NotEmpty(t, leaf.CertFile, "CertFile")
	assert.NotEmpty(t, leaf.KeyFile, "KeyFile")
	assert.NotEmpty(t, ca.File, "the CA's File")
}

// TestDefaults: what the templates leave unset is filled in as documented:
// the CA is a CA with serial 1 and key usage CertSign, its leaves get the
// next serial numbers, DigitalSignature and both ServerAuth and ClientAuth,
// and every file holds one PEM block of the right type.
func TestDefaults(t *testing.T) {
	t.Parallel()
	ca := NewCA(t, &x509.Certificate{Subject: pkix.Name{CommonName: "test CA"}})
	assert.True(t, ca.Cert.IsCA, "IsCA")
	assert.Equal(t, big.NewInt(1), ca.Cert.SerialNumber, "the CA's serial number")
	assert.Equal(t, x509.KeyUsageCertSign, ca.Cert.KeyUsage, "the CA's key usage")
	assert.True(t, ca.Cert.NotBefore.Before(ca.Cert.NotAfter), "validity %v to %v", ca.Cert.NotBefore, ca.Cert.NotAfter)

	for i, name := range []string{"a", "b"} {
		leaf := ca.Issue(name, AddNames(&x509.Certificate{Subject: pkix.Name{CommonName: name}}, name))
		assert.Equal(t, big.NewInt(int64(i+2)), leaf.Cert.SerialNumber, "serial number of %s", name)
		assert.Equal(t, x509.KeyUsageDigitalSignature, leaf.Cert.KeyUsage, "key usage of %s", name)
		assert.Equal(t, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, leaf.Cert.ExtKeyUsage, "ExtKeyUsage of %s", name)
		requirePEM(t, leaf.CertFile, "CERTIFICATE", leaf.Cert.Raw)
		requirePEM(t, leaf.KeyFile, "PRIVATE KEY", nil)
	}
	requirePEM(t, ca.File, "CERTIFICATE", ca.Cert.Raw)
}

// requirePEM checks that the file at path holds exactly one PEM block of
// type typ, whose bytes are der unless der is nil.
func requirePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	block, rest := pem.Decode(data)
	require.NotNil(t, block, "no PEM block in %s", path)
	require.Empty(t, rest, "more than one PEM block in %s", path)
	require.Equal(t, typ, block.Type, "PEM type in %s", path)
	if der != nil {
		require.Equal(t, der, block.Bytes, "PEM bytes in %s", path)
	}
}
