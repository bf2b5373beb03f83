package starlarkbind

import (
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"testing"

	"github.com/starnet-dev/starnet/internal/testpki"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestSSLContextDefaultsAndPythonRules checks SSLContext's defaults, the
// rules Python keeps between its fields, loading CAs and certificate chains,
// ALPN settings and a frozen context.
func TestSSLContextDefaultsAndPythonRules(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "rules CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	other := ca.issue("other", pkix.Name{CommonName: "other"}, "other")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv, "OTHER": other})
	caPEM, err := os.ReadFile(ca.File)
	require.NoError(t, err)
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
assert.fails(lambda: s.set_alpn_protocols([1]), "TypeError: SSLContext.set_alpn_protocols: for parameter alpn_protocols: element 0: got int, want string")

# A frozen context (one from a loaded module) cannot change.
freeze(f)
def unfreeze():
    f.check_hostname = False
assert.fails(unfreeze, "frozen SSLContext")
assert.fails(lambda: f.load_verify_locations(CA), "frozen SSLContext")
assert.eq(len(f.get_ca_certs()), 1)
`)
}

// TestSSLFilesNeedAllowRead checks that certificate, key and CA files need
// --allow-read, each on its own.
func TestSSLFilesNeedAllowRead(t *testing.T) {
	t.Parallel()
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

// TestTLSArgumentErrors checks the errors of the TLS arguments of
// create_connection, create_server, the Unix variants and start_tls.
func TestTLSArgumentErrors(t *testing.T) {
	t.Parallel()
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
