package starlarkbind

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/starnet-dev/starnet/internal/testpki"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestTLSBetweenScripts runs a TLS server and clients of the same script:
// the handshake, ALPN, get_extra_info, write_eof over TLS 1.3, and
// settings changed after create_server reaching later connections.
func TestTLSBetweenScripts(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "echo CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost", Organization: []string{"Echo Inc"}}, "localhost", "127.0.0.1")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	te.exec(`
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(SRV_CERT, SRV_KEY)
server_info = []

def s_made(self, t):
    self.t = t
    obj = t.get_extra_info("ssl_object")
    assert.true(t.get_extra_info("sslcontext") == sctx)
    assert.eq(obj.server_side, True)
    assert.eq(obj.server_hostname, None)
    assert.eq(t.get_write_buffer_limits(), (131072, 524288))  # asyncio's SSL defaults
    server_info.append((obj.selected_alpn_protocol(), t.get_extra_info("peercert")))
def s_data(self, d):
    self.t.write(d)
def s_eof(self):
    self.t.write(b"[eof]")
    self.t.close()
Echo = protocol("Echo", connection_made = s_made, data_received = s_data, eof_received = s_eof)

results = []
sockets = []
def c_made(self, t):
    self.t = t
    self.got = b""
    sockets.append(t.get_extra_info("socket").getpeername())
    t.write(b"hello")
    t.write_eof()
def c_data(self, d):
    self.got += d
def c_eof(self):
    results.append(self.got)
def c_lost(self, exc):
    results.append(exc)
    self.done.set_result(None)
Client = protocol("Client", connection_made = c_made, data_received = c_data, eof_received = c_eof, connection_lost = c_lost)

server = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0, ssl = sctx))
port = server.sockets[0].getsockname()[1]

def connect(ctx, **kwargs):
    done = loop.create_future()
    t, p = loop.run_until_complete(loop.create_connection(lambda: Client(done = done), "127.0.0.1", port, ssl = ctx, **kwargs))
    loop.run_until_complete(done)
    return t

cctx = ssl.create_default_context(cafile = CA)
cctx.set_alpn_protocols(["b", "a"])
t = connect(cctx)
assert.eq(results, [b"hello[eof]", None])
assert.true(t.get_extra_info("sslcontext") == cctx)
assert.eq(type(t), "transport")
obj = t.get_extra_info("ssl_object")
assert.eq(obj.version(), "TLSv1.3")
assert.eq(obj.selected_alpn_protocol(), None)
assert.eq(obj.server_side, False)
assert.eq(obj.server_hostname, "127.0.0.1")
assert.eq(obj.compression(), None)
assert.true(obj.context == cctx)
assert.eq(obj.cipher(), t.get_extra_info("cipher"))
assert.eq(len(obj.cipher()), 3)
assert.eq(obj.cipher()[1], "TLSv1.3")
assert.eq(t.get_extra_info("compression"), None)
assert.eq(t.get_extra_info("compression", "dflt"), "dflt")
assert.eq(t.get_extra_info("peername"), ("127.0.0.1", port))
assert.eq(sockets[0], ("127.0.0.1", port))
assert.true(t.get_extra_info("ssl_object") == obj)
cert = t.get_extra_info("peercert")
assert.eq(list(cert.keys()), ["subject", "issuer", "version", "serialNumber", "notBefore", "notAfter", "subjectAltName"])
assert.eq(cert["subject"], ((("organizationName", "Echo Inc"),), (("commonName", "localhost"),)))
assert.eq(cert["issuer"], ((("organizationName", "starnet tests"),), (("commonName", "echo CA"),)))
assert.eq(cert["subjectAltName"], (("DNS", "localhost"), ("IP Address", "127.0.0.1")))
assert.eq(cert["version"], 3)
assert.eq(type(obj.getpeercert(binary_form = True)), "bytes")
assert.eq(server_info[-1], (None, None))

# Settings changed after create_server apply to the next connections.
sctx.set_alpn_protocols(["a", "b"])
connect(cctx, server_hostname = "localhost")
assert.eq(server_info[-1][0], "a")
# A client offering nothing the server accepts connects without ALPN, as
# with OpenSSL.
other = ssl.create_default_context(cafile = CA)
other.set_alpn_protocols(["z"])
t = connect(other)
assert.eq(t.get_extra_info("ssl_object").selected_alpn_protocol(), None)

# TLS 1.2 only: no write_eof (asyncio's NotImplementedError).
sctx.maximum_version = ssl.TLSVersion.TLSv1_2
def eof_fails(self, t):
    self.t = t
    assert.eq(t.can_write_eof(), False)
    assert.fails(lambda: t.write_eof(), "NotImplementedError")
    assert.eq(t.get_extra_info("ssl_object").version(), "TLSv1.2")
    assert.eq(t.get_extra_info("cipher")[1], "TLSv1.2")
    t.close()
T12 = protocol("T12", connection_made = eof_fails, connection_lost = c_lost)
done = loop.create_future()
loop.run_until_complete(loop.create_connection(lambda: T12(done = done), "127.0.0.1", port, ssl = cctx))
loop.run_until_complete(done)
sctx.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED

# CERT_NONE: nothing verified; getpeercert() is {} but the DER is there.
insecure = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
insecure.check_hostname = False
insecure.verify_mode = ssl.CERT_NONE
t = connect(insecure)
assert.eq(t.get_extra_info("peercert"), {})
assert.eq(t.get_extra_info("ssl_object").getpeercert(), {})
assert.eq(type(t.get_extra_info("ssl_object").getpeercert(True)), "bytes")

# Verification failures.
def fails(ctx, **kwargs):
    res = loop.run_until_complete(loop.create_connection(Client, "127.0.0.1", port, ssl = ctx, **kwargs), return_exceptions = True)
    return res
system = ssl.create_default_context()       # the system's roots: not our CA
e = fails(system)
assert.eq(e.kind, "SSLCertVerificationError")
assert.true("certificate verify failed: unable to get local issuer certificate" in e.message, e.message)
e = fails(True)
assert.eq(e.kind, "SSLCertVerificationError")
e = fails(cctx, server_hostname = "wrong.example")
assert.eq(e.kind, "SSLCertVerificationError")
assert.eq(e.message, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'wrong.example'.")
# server_hostname="" checks the chain but not the name.
t = connect(cctx, server_hostname = "")
assert.eq(t.get_extra_info("peercert")["subject"][1], (("commonName", "localhost"),))
assert.eq(fails(system, server_hostname = "").kind, "SSLCertVerificationError")
assert.eq(fails(True, server_hostname = "").kind, "SSLCertVerificationError")
# check_hostname off: the same.
nohost = ssl.create_default_context(cafile = CA)
nohost.check_hostname = False
connect(nohost, server_hostname = "wrong.example")
server.close()
`)
	te.run()
	assert.Zero(t, te.e.OpenTransports(), "open transports after the run")
}

// TestTLSClientCertificates checks verify_mode on the server side.
func TestTLSClientCertificates(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "mtls CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	cli := ca.issue("cli", pkix.Name{CommonName: "client one"})
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv, "CLI": cli})
	te.exec(`
sctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile = CA)
sctx.load_cert_chain(SRV_CERT, SRV_KEY)
sctx.verify_mode = ssl.CERT_REQUIRED
seen = []
def s_made(self, t):
    seen.append(t.get_extra_info("peercert"))
    t.close()
S = protocol("S", connection_made = s_made)
def c_lost(self, exc):
    self.lost.set_result(exc)
C = protocol("C", connection_lost = c_lost)
server = loop.run_until_complete(loop.create_server(S, "127.0.0.1", 0, ssl = sctx))
port = server.sockets[0].getsockname()[1]

def connect(ctx):
    lost = loop.create_future()
    loop.run_until_complete(loop.create_connection(lambda: C(lost = lost), "127.0.0.1", port, ssl = ctx, server_hostname = "localhost"))
    return loop.run_until_complete(lost)

with_cert = ssl.create_default_context(cafile = CA)
with_cert.load_cert_chain(CLI_CERT, CLI_KEY)
assert.eq(connect(with_cert), None)
assert.eq(seen[0]["subject"], ((("commonName", "client one"),),))
assert.eq(seen[0]["issuer"][1], (("commonName", "mtls CA"),))

# Without a certificate the server refuses it; over TLS 1.3 the client's
# handshake is over by then, and it learns it on its first read.
exc = connect(ssl.create_default_context(cafile = CA))
assert.eq(exc.kind, "SSLError")
assert.eq(exc.message, "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required")
assert.eq(len(seen), 1)

# Turned off later: the next client needs none.
sctx.verify_mode = ssl.CERT_NONE
assert.eq(connect(ssl.create_default_context(cafile = CA)), None)
assert.eq(seen[1], None)
server.close()
`)
	te.run()
}

// TestConnectAcceptedSocketTLS serves TLS on a connected socket made
// outside (connect_accepted_socket with ssl=) to a Go TLS client.
func TestConnectAcceptedSocketTLS(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "accepted CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	peerFile := os.NewFile(uintptr(fds[1]), "peer")
	defer syscall.Close(fds[0])
	s, ok := newFDSocket(fds[0])
	require.True(t, ok, "socketpair end is not a socket")
	te.e.Predeclare("accepted", &socketValue{s: s})
	peer := make(chan string, 1)
	go func() {
		defer peerFile.Close()
		c, err := net.FileConn(peerFile)
		if err != nil {
			peer <- err.Error()
			return
		}
		tc := tls.Client(c, &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"})
		defer tc.Close()
		if _, err := tc.Write([]byte("hello")); err != nil {
			peer <- err.Error()
			return
		}
		buf := make([]byte, 100)
		n, err := tc.Read(buf)
		if err != nil {
			peer <- err.Error()
			return
		}
		peer <- string(buf[:n])
	}()
	g := te.exec(`
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(SRV_CERT, SRV_KEY)
got = []
def made(self, t):
    self.t = t
def data(self, d):
    got.append(d)
    self.t.write(b"echo:" + d)
    self.t.close()
E = protocol("E", connection_made = made, data_received = data)
assert.fails(lambda: loop.connect_accepted_socket(E, accepted, ssl = True), "ValueError: loop.connect_accepted_socket: Server side SSL needs a valid SSLContext")
t, p = loop.run_until_complete(loop.connect_accepted_socket(E, accepted, ssl = sctx, ssl_handshake_timeout = 10))
version = t.get_extra_info("ssl_object").version()
`)
	te.run()
	assert.Equal(t, "echo:hello", <-peer, "what the peer got")
	assert.Equal(t, starlark.Value(starlark.String("TLSv1.3")), g["version"], "version")
}

// TestTLSHandshakeTimeoutAndUnixSockets: a server that never answers the
// ClientHello; TLS over a Unix socket.
func TestTLSHandshakeTimeoutAndUnixSockets(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "unix CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	dir, err := os.MkdirTemp("", "tls-unix-") // short: a Unix socket's path is bounded
	require.NoError(t, err)
	defer os.RemoveAll(dir)
	te.e.Predeclare("SOCK", starlark.String(filepath.Join(dir, "s.sock")))
	te.exec(`
Silent = protocol("Silent")
silent = loop.run_until_complete(loop.create_server(Silent, "127.0.0.1", 0))
cctx = ssl.create_default_context(cafile = CA)
res = loop.run_until_complete(loop.create_connection(Silent, "127.0.0.1", silent.sockets[0].getsockname()[1],
    ssl = cctx, server_hostname = "localhost", ssl_handshake_timeout = 0.2), return_exceptions = True)
assert.eq(res.kind, "ConnectionAbortedError")
assert.eq(res.message, "SSL handshake is taking longer than 0.2 seconds: aborting the connection")
silent.close()

sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(SRV_CERT, SRV_KEY)
def made(self, t):
    t.write("over unix: " + t.get_extra_info("ssl_object").version())
    t.close()
got = []
def data(self, d):
    got.append(d)
def lost(self, exc):
    self.done.set_result(exc)
userver = loop.run_until_complete(loop.create_unix_server(protocol("U", connection_made = made), SOCK, ssl = sctx))
done = loop.create_future()
loop.run_until_complete(loop.create_unix_connection(lambda: protocol("C", data_received = data, connection_lost = lost)(done = done), SOCK, ssl = cctx, server_hostname = "localhost"))
assert.eq(loop.run_until_complete(done), None)
assert.eq(got, [b"over unix: TLSv1.3"])
res = loop.run_until_complete(loop.create_unix_connection(Silent, SOCK, ssl = cctx), return_exceptions = True)
assert.eq(res.kind, "ValueError")
userver.close()
`)
	te.run()
}
