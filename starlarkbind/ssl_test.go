package starlarkbind

import (
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"testing"

	"github.com/starnet-dev/starnet/internal/testpki"
	"go.starlark.net/starlark"
)

func TestSSLContextDefaultsAndPythonRules(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "rules CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	other := ca.issue("other", pkix.Name{CommonName: "other"}, "other")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv, "OTHER": other})
	caPEM, err := os.ReadFile(ca.File)
	if err != nil {
		t.Fatal(err)
	}
	te.e.Predeclare("CA_PEM", starlark.String(caPEM))
	te.e.Predeclare("CA_DER", starlark.Bytes(ca.Cert.Raw))
	te.e.Predeclare("MISSING", starlark.String(filepath.Join(ca.Dir, "missing.pem")))
	te.exec(`
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
assert.eq(type(c), "SSLContext")
assert.eq(c.protocol, ssl.PROTOCOL_TLS_CLIENT)
assert.eq(c.check_hostname, True)
assert.eq(c.verify_mode, ssl.CERT_REQUIRED)
assert.eq(c.minimum_version, ssl.TLSVersion.TLSv1_2)
assert.eq(c.maximum_version, ssl.TLSVersion.MAXIMUM_SUPPORTED)

s = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
assert.eq(s.check_hostname, False)
assert.eq(s.verify_mode, ssl.CERT_NONE)

# Python's rules between check_hostname and verify_mode.
def set_none():
    c.verify_mode = ssl.CERT_NONE
assert.fails(set_none, "ValueError: Cannot set verify_mode to CERT_NONE when check_hostname is enabled.")
c.check_hostname = False
c.verify_mode = ssl.CERT_NONE
assert.eq(c.verify_mode, ssl.CERT_NONE)
c.check_hostname = True
assert.eq(c.verify_mode, ssl.CERT_REQUIRED)

def set_field(ctx, name, v):
    if name == "verify_mode":
        ctx.verify_mode = v
    elif name == "minimum_version":
        ctx.minimum_version = v
    elif name == "check_hostname":
        ctx.check_hostname = v
    elif name == "protocol":
        ctx.protocol = v
assert.fails(lambda: set_field(c, "verify_mode", 7), "ValueError: invalid value for verify_mode")
assert.fails(lambda: set_field(c, "minimum_version", 5), "ValueError: Unsupported TLS/SSL version 0x5")
assert.fails(lambda: set_field(c, "check_hostname", "yes"), "TypeError: SSLContext.check_hostname: got string, want bool")
assert.fails(lambda: set_field(c, "protocol", 17), "read-only")
c.minimum_version = ssl.TLSVersion.TLSv1_3
assert.eq(c.minimum_version, 0x0304)

assert.fails(lambda: ssl.SSLContext(2), "ValueError: ssl.SSLContext: for parameter protocol: 2 is not")
assert.fails(lambda: ssl.create_default_context(purpose = "SOMETHING"), "ValueError: .*purpose")

d = ssl.create_default_context()
assert.eq(d.protocol, ssl.PROTOCOL_TLS_CLIENT)
assert.eq(d.verify_mode, ssl.CERT_REQUIRED)
assert.eq(d.check_hostname, True)
sd = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
assert.eq(sd.protocol, ssl.PROTOCOL_TLS_SERVER)
assert.eq(sd.verify_mode, ssl.CERT_NONE)

# CA certificates from a file, a PEM string, DER bytes.
f = ssl.create_default_context(cafile = CA)
# Go writes the organization before the common name; the DER order is kept.
assert.eq(f.get_ca_certs()[0]["subject"], ((("organizationName", "starnet tests"),), (("commonName", "rules CA"),)))
p = ssl.create_default_context(cadata = CA_PEM)
assert.eq(len(p.get_ca_certs()), 1)
p.load_verify_locations(cadata = CA_DER)
assert.eq(len(p.get_ca_certs()), 2)
assert.fails(lambda: p.load_verify_locations(), "TypeError: SSLContext.load_verify_locations: cafile and cadata cannot be both omitted")
assert.fails(lambda: p.load_verify_locations(cadata = "junk"), "SSLError: .X509: NO_CERTIFICATE_OR_CRL_FOUND. no certificate or crl found")
assert.fails(lambda: p.load_verify_locations(cadata = 3), "TypeError")

# Certificate chains.
s.load_cert_chain(SRV_CERT, SRV_KEY)
s.load_cert_chain(certfile = SRV_CERT, keyfile = SRV_KEY)
assert.fails(lambda: s.load_cert_chain(SRV_CERT, OTHER_KEY), "SSLError: .SSL: KEY_VALUES_MISMATCH. key values mismatch")
assert.fails(lambda: s.load_cert_chain(MISSING), "FileNotFoundError: .Errno 2. No such file or directory")
assert.fails(lambda: s.load_cert_chain(SRV_CERT), "SSLError: .SSL. PEM lib")

# ALPN.
s.set_alpn_protocols(["h2", "http/1.1"])
assert.fails(lambda: s.set_alpn_protocols([""]), "SSLError: NPN / ALPN protocols must be 1 to 255 in length")
assert.fails(lambda: s.set_alpn_protocols([1]), "TypeError: SSLContext.set_alpn_protocols: for parameter alpn_protocols: element 0 is int, want str")

# A frozen context (one from a loaded module) cannot change.
freeze(f)
def unfreeze():
    f.check_hostname = False
assert.fails(unfreeze, "frozen SSLContext")
assert.fails(lambda: f.load_verify_locations(CA), "frozen SSLContext")
assert.eq(len(f.get_ca_certs()), 1)
`)
}

func TestSSLFilesNeedAllowRead(t *testing.T) {
	ca := newTestCA(t, "perm CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	te := newTestEnv(t, Options{Permissions: Permissions{Net: []string{"127.0.0.1"}}})
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	te.e.Predeclare("SRV_DIR", starlark.String(ca.Dir))
	te.exec(`
s = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
err = catch(lambda: s.load_cert_chain(SRV_CERT, SRV_KEY))
assert.eq(err, 'PermissionError: read access to "%s" denied; run with --allow-read=%s' % (SRV_CERT, SRV_CERT))
assert.fails(lambda: ssl.create_default_context(cafile = CA), "PermissionError: read access to .* denied; run with --allow-read=")
assert.fails(lambda: s.load_verify_locations(CA), "PermissionError")
`)
	// The key file is checked on its own.
	te2 := newTestEnv(t, Options{Permissions: Permissions{Read: []string{srv.CertFile}}})
	predeclareFiles(te2, ca, map[string]*testpki.Leaf{"SRV": srv})
	te2.exec(`
s = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
assert.fails(lambda: s.load_cert_chain(SRV_CERT, SRV_KEY), 'PermissionError: read access to ".*srv-key.pem" denied; run with --allow-read=')
`)
}

func TestTLSArgumentErrors(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "args CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	te.exec(`
P = protocol("P")
cctx = ssl.create_default_context(cafile = CA)
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
bare = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(SRV_CERT, SRV_KEY)
cc = loop.create_connection
assert.fails(lambda: cc(P, "127.0.0.1", 1, server_hostname = "x"), "ValueError: loop.create_connection: server_hostname is only meaningful with ssl")
assert.fails(lambda: cc(P, "127.0.0.1", 1, server_hostname = ""), "ValueError: loop.create_connection: server_hostname is only meaningful with ssl")
assert.fails(lambda: cc(P, "127.0.0.1", 1, ssl_handshake_timeout = 1), "ValueError: loop.create_connection: ssl_handshake_timeout is only meaningful with ssl")
assert.fails(lambda: cc(P, "127.0.0.1", 1, ssl = False, ssl_shutdown_timeout = 1), "ValueError: loop.create_connection: ssl_shutdown_timeout is only meaningful with ssl")
assert.fails(lambda: cc(P, "127.0.0.1", 1, ssl = cctx, ssl_handshake_timeout = 0), "ValueError: loop.create_connection: ssl_handshake_timeout should be a positive number, got 0")
assert.fails(lambda: cc(P, "127.0.0.1", 1, ssl = cctx, ssl_shutdown_timeout = -1.5), "ValueError: loop.create_connection: ssl_shutdown_timeout should be a positive number, got -1.5")
assert.fails(lambda: cc(P, "127.0.0.1", 1, ssl = "yes"), "TypeError: loop.create_connection: for parameter ssl: got string, want an ssl.SSLContext, True or None")
assert.fails(lambda: cc(P, "127.0.0.1", 1, ssl = sctx), "SSLError: Cannot create a client socket with a PROTOCOL_TLS_SERVER context")
assert.fails(lambda: cc(P, "127.0.0.1", 1, ssl = cctx, server_hostname = 3), "TypeError: loop.create_connection: for parameter server_hostname")

cs = loop.create_server
assert.fails(lambda: cs(P, "127.0.0.1", 0, ssl = True), "TypeError: loop.create_server: ssl argument must be an SSLContext or None")
assert.fails(lambda: cs(P, "127.0.0.1", 0, ssl = False), "TypeError: loop.create_server: ssl argument must be an SSLContext or None")
assert.fails(lambda: cs(P, "127.0.0.1", 0, ssl = cctx), "SSLError: Cannot create a server socket with a PROTOCOL_TLS_CLIENT context")
assert.fails(lambda: cs(P, "127.0.0.1", 0, ssl = bare), "ValueError: loop.create_server: the SSLContext has no certificate")
assert.fails(lambda: cs(P, "127.0.0.1", 0, ssl_handshake_timeout = 5), "ValueError: loop.create_server: ssl_handshake_timeout is only meaningful with ssl")

assert.fails(lambda: loop.create_unix_server(P, "/tmp/x.sock", ssl = True), "TypeError: loop.create_unix_server: ssl argument must be an SSLContext or None")
assert.fails(lambda: loop.create_unix_connection(P, "/tmp/x.sock", server_hostname = "x"), "ValueError: loop.create_unix_connection: server_hostname is only meaningful with ssl")
assert.fails(lambda: loop.create_unix_connection(P, "/tmp/x.sock", ssl_shutdown_timeout = 2), "ValueError: loop.create_unix_connection: ssl_shutdown_timeout is only meaningful with ssl")

# start_tls's own checks need a live transport: a connection to a server of ours.
srv = loop.run_until_complete(cs(P, "127.0.0.1", 0))
t, p = loop.run_until_complete(cc(P, "127.0.0.1", srv.sockets[0].getsockname()[1]))
st = loop.start_tls
assert.fails(lambda: st(t, p, True), "TypeError: loop.start_tls: sslcontext is expected to be an instance of ssl.SSLContext, got bool")
assert.fails(lambda: st(srv, p, cctx), "TypeError: loop.start_tls: transport .* is not supported by start_tls")
assert.fails(lambda: st(t, p, cctx), "ValueError: loop.start_tls: check_hostname requires server_hostname")
assert.fails(lambda: st(t, p, cctx, server_hostname = "localhost", ssl_handshake_timeout = -1), "ValueError: loop.start_tls: ssl_handshake_timeout should be a positive number, got -1")
assert.fails(lambda: st(t, p, cctx, server_side = True), "SSLError: Cannot create a server socket with a PROTOCOL_TLS_CLIENT context")
assert.fails(lambda: st(t, p, sctx), "SSLError: Cannot create a client socket with a PROTOCOL_TLS_SERVER context")
assert.fails(lambda: st(t, p, bare, server_side = True), "ValueError: loop.start_tls: the SSLContext has no certificate")
assert.fails(lambda: st(t, p, cctx, server_hostname = "localhost", pending = 3), "TypeError: loop.start_tls: for parameter pending: got int, want bytes")
assert.fails(lambda: st(t, 3, cctx, server_hostname = "localhost"), "TypeError: loop.start_tls: for parameter protocol: got int, want a protocol object")
t.close()
srv.close()
`)
	te.run()
}

// TestTLSBetweenScripts runs a TLS server and clients of the same script:
// the handshake, ALPN, get_extra_info, write_eof over TLS 1.3, and
// settings changed after create_server reaching later connections.
func TestTLSBetweenScripts(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "echo CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost", Organization: []string{"Echo Inc"}}, "localhost", "127.0.0.1")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	g := te.exec(`
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
	if n := te.e.OpenTransports(); n != 0 {
		t.Errorf("open transports after the run: %d", n)
	}
	_ = g
}

// TestTLSClientCertificates checks verify_mode on the server side.
func TestTLSClientCertificates(t *testing.T) {
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
