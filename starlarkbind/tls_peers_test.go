package starlarkbind

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/internal/testpki"
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

func TestTLSServerWithPythonClients(t *testing.T) {
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
	withALPN := startPython(t, pyTLSEchoClient, port, ca.File, "h2,echo/1")
	otherALPN := startPython(t, pyTLSEchoClient, port, ca.File, "spdy/1")
	te.run()
	if out := strings.TrimSpace(withALPN.wait(t)); out != "ping over tls echo/1 TLSv1.3" {
		t.Errorf("python client offering h2,echo/1: %q", out)
	}
	if out := strings.TrimSpace(otherALPN.wait(t)); out != "ping over tls None TLSv1.3" {
		t.Errorf("python client offering spdy/1: %q", out)
	}
	if got := g["lost"].String(); got != "[None, None]" {
		t.Errorf("lost = %s", got)
	}
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
	ca := newTestCA(t, "peercert CA")
	uri, _ := url.Parse("https://example.com/x")
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
	py := startPythonLines(t, pyTLSServer, srv.CertFile, srv.KeyFile)
	port, pyJSON, pyKeys := py.line(t), py.line(t), py.line(t)

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
	py.wait(t)
	got := g["got"].(*starlark.List)
	if got.Len() != 3 {
		t.Fatalf("got = %s", got)
	}
	if s, _ := starlark.AsString(got.Index(0)); s != pyJSON {
		t.Errorf("peercert differs from python's getpeercert():\n starnet: %s\n  python: %s", s, pyJSON)
	}
	if s, _ := starlark.AsString(got.Index(1)); s != pyKeys {
		t.Errorf("peercert keys in order %s, python's %s", s, pyKeys)
	}
	if got.Index(2) != starlark.Bytes("abc") {
		t.Errorf("echo = %s", got.Index(2))
	}
}

// pyLines is a python3 process whose stdout is read line by line.
type pyLines struct {
	*python
	r *bufio.Reader
}

func startPythonLines(t *testing.T, code string, args ...string) *pyLines {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &python{done: make(chan error, 1)}
	p.cmd = execPython(code, args...)
	p.cmd.Stdout = pw
	p.cmd.Stderr = &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start python3: %v", err)
	}
	pw.Close()
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		pr.Close()
	})
	return &pyLines{python: p, r: bufio.NewReader(pr)}
}

// line reads one line of the process's stdout (the process is killed by
// the test's cleanup if it never writes one: the read then ends).
func (p *pyLines) line(t *testing.T) string {
	t.Helper()
	s, err := p.r.ReadString('\n')
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, p.out.String())
	}
	return strings.TrimSpace(s)
}

// TestStartTLSKeepsBytesAfterTheUpgradePoint: the ClientHello arrives in
// the same read as the STARTTLS line; passed as pending= it reaches TLS,
// and the old protocol object gets no data_received after start_tls.
func TestStartTLSKeepsBytesAfterTheUpgradePoint(t *testing.T) {
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
	py := startPython(t, testkit.PyMemoryBIOStartTLSClient, itoa(te.serverPort(g, "srv")), ca.File, "one", "two")
	te.run()
	if out := strings.TrimSpace(py.wait(t)); out != `b'one\r\ntwo\r\n' TLSv1.3` {
		t.Errorf("python client: %q", out)
	}
	if got := g["plain_calls"].String(); got != "[]" {
		t.Errorf("the plain protocol got data after start_tls: %s", got)
	}
	events := g["events"].String()
	want := `[("first read", b"STARTTLS", True), ("upgraded", "TLSv1.3", True), ("lost", None)]`
	if events != want {
		t.Errorf("events = %s\nwant     %s", events, want)
	}
	if n := te.e.OpenTransports(); n != 0 {
		t.Errorf("open transports after the run: %d", n)
	}
}

// TestStartTLSBetweenScripts upgrades both ends of a connection made in
// plain text, and checks the env's bookkeeping: the TLS transport replaces
// the plain one, and a failed handshake ends the connection once.
func TestStartTLSBetweenScripts(t *testing.T) {
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
	if got, want := g["log"].String(), `[b"tls:hello", True, "SSLCertVerificationError"]`; got != want {
		t.Errorf("client log = %s, want %s", got, want)
	}
	if got, want := g["slog"].String(), `[True, "SSLError"]`; got != want {
		t.Errorf("server log = %s, want %s", got, want)
	}
	if n := te.e.OpenTransports(); n != 0 {
		t.Errorf("open transports after the run: %d", n)
	}
}

// TestStartTLSTracksTheTLSTransport checks that exit() closes an upgraded
// connection through TLS: the peer sees close_notify (a clean EOF), not a
// bare TCP close.
func TestStartTLSTracksTheTLSTransport(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "track CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
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
	if err := <-peer; err == nil || err.Error() != "EOF" {
		t.Errorf("the peer read %v, want EOF (close_notify)", err)
	}
}

func TestConnectAcceptedSocketTLS(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "accepted CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	peerFile := os.NewFile(uintptr(fds[1]), "peer")
	defer syscall.Close(fds[0])
	s, ok := newFDSocket(fds[0])
	if !ok {
		t.Fatal("socketpair end is not a socket")
	}
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
	if got := <-peer; got != "echo:hello" {
		t.Errorf("peer got %q", got)
	}
	if v := g["version"]; v != starlark.String("TLSv1.3") {
		t.Errorf("version = %s", v)
	}
}

// TestTLSHandshakeTimeoutAndUnixSockets: a server that never answers the
// ClientHello; TLS over a Unix socket.
func TestTLSHandshakeTimeoutAndUnixSockets(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "unix CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	dir, err := os.MkdirTemp("", "tls-unix-")
	if err != nil {
		t.Fatal(err)
	}
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

func execPython(code string, args ...string) *exec.Cmd {
	return exec.Command("python3", append([]string{"-c", code}, args...)...)
}
