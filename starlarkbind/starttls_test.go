package starlarkbind

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"net"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/internal/testpki"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestStartTLSKeepsBytesAfterTheUpgradePoint: the ClientHello arrives in
// the same read as the STARTTLS line; passed as pending= it reaches TLS,
// and the old protocol object gets no data_received after start_tls.
func TestStartTLSKeepsBytesAfterTheUpgradePoint(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "starttls CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	g := te.exec(`
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(SRV_CERT, SRV_KEY)
plain_calls = []      # data_received of the plain protocol after start_tls
tls_data = []
events = []

def tls_made(self, t):
    events.append("connection_made of the TLS protocol")   # must not happen
def tls_data_received(self, d):
    tls_data.append(d)
    self.t.write(d)
def tls_lost(self, exc):
    events.append(("lost", exc))
    srv.close()
TLS = protocol("TLS", connection_made = tls_made, data_received = tls_data_received, connection_lost = tls_lost)

def plain_made(self, t):
    self.t = t
    self.upgraded = False
def plain_data(self, d):
    if self.upgraded:
        plain_calls.append(d)
        return
    i = binary.find(d, b"\r\n")
    events.append(("first read", d[:i], len(d) - i - 2 > 0))
    self.t.write(b"OK\r\n")
    self.upgraded = True
    tp = TLS()
    fut = loop.start_tls(self.t, tp, sctx, server_side = True, pending = d[i + 2:])
    def done(f):
        tp.t = f.result()
        events.append(("upgraded", f.result().get_extra_info("ssl_object").version(), self.t.get_protocol() != tp))
    fut.add_done_callback(done)
Plain = protocol("Plain", connection_made = plain_made, data_received = plain_data)
srv = loop.run_until_complete(loop.create_server(Plain, "127.0.0.1", 0))
`)
	py := testkit.StartPython(t, testkit.PyMemoryBIOStartTLSClient, itoa(te.serverPort(g, "srv")), ca.File, "one", "two")
	te.run()
	assert.Equal(t, `b'one\r\ntwo\r\n' TLSv1.3`, waitPython(t, py), "python client")
	assert.Equal(t, "[]", g["plain_calls"].String(), "the plain protocol got data after start_tls")
	want := `[("first read", b"STARTTLS", True), ("upgraded", "TLSv1.3", True), ("lost", None)]`
	assert.Equal(t, want, g["events"].String(), "events")
	assert.Zero(t, te.e.OpenTransports(), "open transports after the run")
}

// TestStartTLSBetweenScripts upgrades both ends of a connection made in
// plain text, and checks the env's bookkeeping: the TLS transport replaces
// the plain one, and a failed handshake ends the connection once.
func TestStartTLSBetweenScripts(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "both CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	g := te.exec(`
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(SRV_CERT, SRV_KEY)
cctx = ssl.create_default_context(cafile = CA)
log = []          # the client's
slog = []         # the server's

def s_made(self, t):
    self.t = t
    self.tls = False
def s_data(self, d):
    if not self.tls:
        self.tls = True
        fut = loop.start_tls(self.t, self, sctx, server_side = True)
        fut.add_done_callback(lambda f: setattr_t(self, f))
        return
    self.t.write(b"tls:" + d)
def setattr_t(self, f):
    if f.exception() == None:
        self.t = f.result()
def s_lost(self, exc):
    slog.append(exc == None or exc.kind)
S = protocol("S", connection_made = s_made, data_received = s_data, connection_lost = s_lost)
srv = loop.run_until_complete(loop.create_server(S, "127.0.0.1", 0))
port = srv.sockets[0].getsockname()[1]

def c_data(self, d):
    log.append(d)
    self.t.close()
def c_lost(self, exc):
    log.append(exc == None or exc.kind)
    self.done.set_result(None)
C = protocol("C", data_received = c_data, connection_lost = c_lost)

done = loop.create_future()
plain, p = loop.run_until_complete(loop.create_connection(lambda: C(done = done), "127.0.0.1", port))
plain.write(b"go")     # the server upgrades on its first read
tls_t = loop.run_until_complete(loop.start_tls(plain, p, cctx, server_hostname = "localhost"))
p.t = tls_t
assert.eq(tls_t.get_extra_info("ssl_object").version(), "TLSv1.3")
assert.eq(tls_t.get_extra_info("peername"), ("127.0.0.1", port))
assert.true(tls_t.get_extra_info("sslcontext") == cctx)
assert.true(plain.get_protocol() != p)
assert.true(tls_t.get_protocol() == p)
tls_t.write(b"hello")
loop.run_until_complete(done)

# A handshake that fails: the client does not trust the server. The Future
# fails, and the protocol gets one connection_lost with the error.
done = loop.create_future()
plain, p = loop.run_until_complete(loop.create_connection(lambda: C(done = done), "127.0.0.1", port))
plain.write(b"go")
res = loop.run_until_complete(loop.start_tls(plain, p, ssl.create_default_context(), server_hostname = "localhost"), return_exceptions = True)
assert.eq(res.kind, "SSLCertVerificationError")
loop.run_until_complete(done)
assert.eq(plain.is_closing(), True)
srv.close()
`)
	te.run()
	assert.Equal(t, `[b"tls:hello", True, "SSLCertVerificationError"]`, g["log"].String(), "client log")
	assert.Equal(t, `[True, "SSLError"]`, g["slog"].String(), "server log")
	assert.Zero(t, te.e.OpenTransports(), "open transports after the run")
}

// TestStartTLSTracksTheTLSTransport checks that exit() closes an upgraded
// connection through TLS: the peer sees close_notify (a clean EOF), not a
// bare TCP close.
func TestStartTLSTracksTheTLSTransport(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "track CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	peer := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			peer <- err
			return
		}
		defer c.Close()
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{srv.TLS}})
		buf := make([]byte, 10)
		n, err := tc.Read(buf) // "hi", then EOF from close_notify
		if err == nil && string(buf[:n]) == "hi" {
			_, err = tc.Read(buf)
		}
		peer <- err
	}()
	te.e.Predeclare("PORT", starlark.MakeInt(ln.Addr().(*net.TCPAddr).Port))
	te.exec(`
C = protocol("C")
plain, p = loop.run_until_complete(loop.create_connection(C, "127.0.0.1", PORT))
t = loop.run_until_complete(loop.start_tls(plain, p, ssl.create_default_context(cafile = CA), server_hostname = "localhost"))
t.write(b"hi")
exit(0)
`)
	te.run()
	assert.EqualError(t, <-peer, "EOF", "what the peer read after \"hi\" (close_notify)")
}
