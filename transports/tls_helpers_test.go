package transports

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testpki"
	"github.com/stretchr/testify/require"
)

// testPKI is a certificate authority made for one test (see testpki),
// with certificates it issued. Keys live in memory and in the test's
// temporary directory (for python3 and openssl peers); none is ever
// committed.
type testPKI struct{ *testpki.CA }

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	return &testPKI{testpki.NewCA(t, &x509.Certificate{
		Subject:  pkix.Name{CommonName: "starnet test CA", Organization: []string{"starnet"}},
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	})}
}

// server issues a certificate for localhost, 127.0.0.1 and ::1.
func (p *testPKI) server() *testpki.Leaf {
	return p.Issue("server", &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost", Organization: []string{"starnet"}, Country: []string{"NZ"}},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	})
}

// serverConfig is a server config with the localhost certificate.
func (p *testPKI) serverConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.server().TLS}}
}

// clientConfig trusts the test CA.
func (p *testPKI) clientConfig() *tls.Config {
	return &tls.Config{RootCAs: p.Pool}
}

// richCertificate exercises every key Python's getpeercert() reports.
func (p *testPKI) richCertificate() *testpki.Leaf {
	u, _ := url.Parse("https://starnet.example/id")
	return p.Issue("rich", &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes([]byte{0x0a, 0xbc, 0xde, 0xf0, 0x12}),
		Subject: pkix.Name{
			CommonName:         "rich.example",
			Country:            []string{"NZ"},
			Province:           []string{"Otago"},
			Locality:           []string{"Dunedin"},
			Organization:       []string{"starnet"},
			OrganizationalUnit: []string{"tests"},
		},
		NotBefore:             time.Date(2020, 1, 5, 9, 34, 43, 0, time.UTC),
		NotAfter:              time.Date(2036, 12, 25, 23, 0, 1, 0, time.UTC),
		DNSNames:              []string{"rich.example", "www.rich.example"},
		EmailAddresses:        []string{"ops@rich.example"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.ParseIP("2001:db8::1")},
		URIs:                  []*url.URL{u},
		OCSPServer:            []string{"http://ocsp.rich.example"},
		IssuingCertificateURL: []string{"http://ca.rich.example/ca.der"},
		CRLDistributionPoints: []string{"http://crl.rich.example/ca.crl"},
	})
}

// waitGoroutines waits (bounded) until the process runs at most n
// goroutines: the TLS helper goroutines end on their own after the
// handshake, so there is no event to wait for, only the count to poll
// (not with require.Eventually, whose own goroutines would be counted).
func waitGoroutines(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(watchdog)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines still run, want at most %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// tlsRecorder is a recorder whose Close on EOF, echo and so on are set by
// the test; it adds nothing but a name for TLS tests.
func echoRecorder(tl *testLoop) *recorder {
	rec := newRecorder(tl.Loop)
	rec.onData = func(r *recorder, data []byte) { _ = r.tr.Write(data) }
	return rec
}

// patterned returns n bytes of a recognisable pattern.
func patterned(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// sameBytes compares large payloads without printing them.
func sameBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Errorf("%s: got %d bytes, want %d; first difference at %d", what, len(got), len(want), i)
	}
}

// x509Template is a compact certificate description for tests.
type x509Template struct {
	cn                  string
	dns                 []string
	notBefore, notAfter time.Time
}

func (c x509Template) certificate() *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: c.cn}, DNSNames: c.dns, NotBefore: c.notBefore, NotAfter: c.notAfter}
}

// selfSignedCert makes a self-signed certificate for host.
func selfSignedCert(t testing.TB, host string) tls.Certificate {
	t.Helper()
	key := testpki.NewKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
