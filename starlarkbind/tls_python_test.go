package starlarkbind

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"net/url"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/internal/testpki"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// pyTLSEchoClient connects with python3's ssl module, verifying the
// server against a CA and a name, offers ALPN, sends a message and prints
// what came back, the ALPN protocol and the TLS version.
const pyTLSEchoClient = `
import socket, ssl, sys
port, cafile, alpn = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
ctx.set_alpn_protocols(alpn.split(","))
with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"ping over tls")
        got = b""
        while len(got) < 13:
            chunk = s.recv(100)
            assert chunk, "closed early"
            got += chunk
        print(got.decode(), s.selected_alpn_protocol(), s.version())
`

// TestTLSServerWithPythonClients serves two python3 TLS clients with a
// script's TLS echo server: one offers an ALPN protocol the server accepts,
// the other none it does.
func TestTLSServerWithPythonClients(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "py CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	te.e.Predeclare("want", starlark.MakeInt(2))
	g := te.exec(`
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(SRV_CERT, SRV_KEY)
sctx.set_alpn_protocols(["echo/1", "h2"])
lost = []
def made(self, t):
    self.t = t
def data(self, d):
    self.t.write(d)
def gone(self, exc):
    lost.append(exc)
    if len(lost) == want:
        srv.close()
E = protocol("E", connection_made = made, data_received = data, connection_lost = gone)
srv = loop.run_until_complete(loop.create_server(E, "127.0.0.1", 0, ssl = sctx))
`)
	port := itoa(te.serverPort(g, "srv"))
	withALPN := testkit.StartPython(t, pyTLSEchoClient, port, ca.File, "h2,echo/1")
	otherALPN := testkit.StartPython(t, pyTLSEchoClient, port, ca.File, "spdy/1")
	te.run()
	assert.Equal(t, "ping over tls echo/1 TLSv1.3", waitPython(t, withALPN), "python client offering h2,echo/1")
	assert.Equal(t, "ping over tls None TLSv1.3", waitPython(t, otherALPN), "python client offering spdy/1")
	assert.Equal(t, "[None, None]", g["lost"].String(), "lost")
}

// pyTLSServer serves one TLS connection with python3's ssl module: it
// prints its port, then python's own getpeercert() decoding of its
// certificate file as JSON (and the keys in order), echoes until EOF.
const pyTLSServer = `
import json, socket, ssl, sys
certfile, keyfile = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(certfile, keyfile)
decoded = ssl._ssl._test_decode_cert(certfile)
ls = socket.create_server(("127.0.0.1", 0))
print(ls.getsockname()[1], flush=True)
print(json.dumps(decoded, sort_keys=True, separators=(",", ":")), flush=True)
print(json.dumps(list(decoded.keys()), separators=(",", ":")), flush=True)
ls.settimeout(20)
conn, _ = ls.accept()
with ctx.wrap_socket(conn, server_side=True) as s:
    while True:
        d = s.recv(1000)
        if not d:
            break
        s.sendall(d)
`

// TestTLSClientWithPythonServer compares get_extra_info("peercert") with
// python's own decoding of the same certificate, a certificate with a
// rich subject and every kind of subjectAltName Python names.
func TestTLSClientWithPythonServer(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "peercert CA")
	uri, err := url.Parse("https://example.com/x")
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		Subject: pkix.Name{
			CommonName: "localhost", Organization: []string{"Org"}, OrganizationalUnit: []string{"Unit"},
			Country: []string{"NL"}, Province: []string{"Zuid-Holland"}, Locality: []string{"Delft"},
			ExtraNames: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "ops@example.com"}},
		},
		DNSNames:              []string{"localhost", "*.example.com"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("2001:db8::1")},
		EmailAddresses:        []string{"admin@example.com"},
		URIs:                  []*url.URL{uri},
		OCSPServer:            []string{"http://ocsp.example.com"},
		IssuingCertificateURL: []string{"http://ca.example.com/ca.crt"},
		CRLDistributionPoints: []string{"http://crl.example.com/ca.crl"},
	}
	srv := ca.Issue("rich", tmpl)
	py := testkit.StartPython(t, pyTLSServer, srv.CertFile, srv.KeyFile)
	port, pyJSON, pyKeys := py.ReadLine(), py.ReadLine(), py.ReadLine()

	te := newTestEnv(t, Options{Permissions: allowLocal})
	predeclareFiles(te, ca, nil)
	te.e.Predeclare("PORT", starlark.String(port))
	g := te.exec(`
got = []
def made(self, t):
    self.t = t
    cert = t.get_extra_info("peercert")
    got.append(json.encode(cert))
    got.append(json.encode(list(cert.keys())))
    t.write(b"abc")
def data(self, d):
    got.append(d)
    self.t.close()
C = protocol("C", connection_made = made, data_received = data)
ctx = ssl.create_default_context(cafile = CA)
loop.run_until_complete(loop.create_connection(C, "127.0.0.1", int(PORT), ssl = ctx, server_hostname = "localhost"))
`)
	te.run()
	waitPython(t, py)
	got := g["got"].(*starlark.List)
	require.Equal(t, 3, got.Len(), "got = %s", got)
	s, _ := starlark.AsString(got.Index(0))
	assert.Equal(t, pyJSON, s, "peercert differs from python's getpeercert()")
	s, _ = starlark.AsString(got.Index(1))
	assert.Equal(t, pyKeys, s, "peercert keys in order")
	assert.Equal(t, starlark.Value(starlark.Bytes("abc")), got.Index(2), "echo")
}
