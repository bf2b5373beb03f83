package starlarkbind

import (
	"crypto/x509/pkix"
	"strconv"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/internal/testpki"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestStreamStartTLSServerKeepsClientHello: a start_server handler task
// reads the STARTTLS line with readline; the client's ClientHello came in
// the same segment and sits in the reader's buffer; writer.start_tls hands
// it to TLS (gh-142352), so the handshake completes and the lines read
// after it are the decrypted ones.
func TestStreamStartTLSServerKeepsClientHello(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "stream starttls CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	g := te.exec(`
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(SRV_CERT, SRV_KEY)
events = []

def handle(reader, writer):
    events.append(("line", wait(reader.readline())))
    writer.write(b"OK\r\n")
    plain = writer.transport
    assert.eq(wait(writer.start_tls(sctx)), None)
    events.append(("tls", writer.get_extra_info("ssl_object").version(), writer.transport != plain))
    for _ in range(2):
        line = wait(reader.readline())
        events.append(("echo", line))
        writer.write(line)
    wait(writer.drain())
    writer.close()
    srv.close()

srv = loop.run_until_complete(loop.start_server(handle, "127.0.0.1", 0))
`)
	py := testkit.StartPython(t, testkit.PyMemoryBIOStartTLSClient, itoa(te.serverPort(g, "srv")), ca.File, "one", "two")
	te.run()
	assert.Equal(t, `b'one\r\ntwo\r\n' TLSv1.3`, waitPython(t, py), "python client")
	want := `[("line", b"STARTTLS\r\n"), ("tls", "TLSv1.3", True), ("echo", b"one\r\n"), ("echo", b"two\r\n")]`
	assert.Equal(t, want, g["events"].String(), "events")
	assert.Empty(t, te.stderr.String(), "reports")
	assert.Zero(t, te.e.OpenTransports(), "open transports after the run")
}

// pyStreamStartTLSServer answers "STARTTLS\r\n" with "OK\r\n", becomes a
// TLS server, answers one line with "echo: LINE" and waits for the
// client's close_notify; it prints the line.
const pyStreamStartTLSServer = `
import socket, ssl, sys
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
raw, _ = srv.accept()
raw.settimeout(20)
line = b""
while not line.endswith(b"\r\n"):
    line += raw.recv(1)
assert line == b"STARTTLS\r\n", line
raw.sendall(b"OK\r\n")
c = ctx.wrap_socket(raw, server_side=True)
data = b""
while not data.endswith(b"\n"):
    data += c.recv(65536)
c.sendall(b"echo: " + data)
while c.recv(65536):
    pass
try:
    c.unwrap()
except OSError:
    pass
print(data.decode().strip(), flush=True)
`

// TestStreamStartTLSClient: open_connection, STARTTLS in plain text, then
// writer.start_tls as the TLS client (server_hostname checked), a round
// trip over TLS and a close answered by the server's close_notify.
func TestStreamStartTLSClient(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "stream starttls client CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	py := testkit.StartPython(t, pyStreamStartTLSServer, srv.CertFile, srv.KeyFile)
	port, err := strconv.Atoi(py.ReadLine())
	require.NoError(t, err)
	predeclareFiles(te, ca, nil)
	te.e.Predeclare("PORT", starlark.MakeInt(port))
	g := te.exec(`
ctx = ssl.create_default_context(cafile = CA)
reader, writer = wait(loop.open_connection("127.0.0.1", PORT))
writer.write(b"STARTTLS\r\n")
assert.eq(wait(reader.readline()), b"OK\r\n")
assert.eq(writer.get_extra_info("ssl_object"), None)
assert.fails(lambda: writer.start_tls(ctx), "ValueError: StreamWriter.start_tls: check_hostname requires server_hostname")
assert.fails(lambda: writer.start_tls(1, server_hostname = "localhost"), "sslcontext is expected to be an instance of ssl.SSLContext, got int")
wait(writer.start_tls(ctx, server_hostname = "localhost"))
version = writer.get_extra_info("ssl_object").version()
writer.write(b"hello\n")
answer = wait(reader.readline())
writer.close()
wait(writer.wait_closed())
`)
	te.run()
	assert.Equal(t, []string{itoa(port), "hello"}, lines(waitPython(t, py)), "python server")
	assert.Equal(t, `"TLSv1.3"`, g["version"].String())
	assert.Equal(t, `b"echo: hello\n"`, g["answer"].String())
	assert.Empty(t, te.stderr.String(), "reports")
	assert.Zero(t, te.e.OpenTransports(), "open transports after the run")
}

// TestStreamStartTLSHandshakeFails: a client that does not trust the
// server's certificate gets the verification error from start_tls, and
// its reader and wait_closed fail with it.
func TestStreamStartTLSHandshakeFails(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "stream starttls fail CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	py := testkit.StartPython(t, pyStreamStartTLSServer, srv.CertFile, srv.KeyFile)
	port, err := strconv.Atoi(py.ReadLine())
	require.NoError(t, err)
	te.e.Predeclare("PORT", starlark.MakeInt(port))
	g := te.exec(`
ctx = ssl.create_default_context()   # the system's CAs: not the test CA
reader, writer = wait(loop.open_connection("127.0.0.1", PORT))
writer.write(b"STARTTLS\r\n")
wait(reader.readline())
err = loop.run_until_complete(writer.start_tls(ctx, server_hostname = "localhost"), return_exceptions = True)
read_err = loop.run_until_complete(reader.read(), return_exceptions = True)
closed_err = loop.run_until_complete(writer.wait_closed(), return_exceptions = True)
`)
	te.run()
	for _, name := range []string{"err", "read_err", "closed_err"} {
		ev, ok := g[name].(*ErrorValue)
		require.True(t, ok, "%s is %v", name, g[name])
		assert.Equal(t, "SSLCertVerificationError", ev.Err().Kind, name)
	}
	assert.Zero(t, te.e.OpenTransports(), "open transports after the run")
}

// pyTLSLineClient connects over TLS (trusting argv[2], checking
// "localhost"), sends each of argv[3:] as a line, reads as many lines back
// and prints them, then closes with close_notify.
const pyTLSLineClient = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
c = ctx.wrap_socket(raw, server_hostname="localhost")
lines = sys.argv[3:]
c.sendall(b"".join(l.encode() + b"\n" for l in lines))
got = b""
while got.count(b"\n") < len(lines):
    chunk = c.recv(65536)
    assert chunk, got
    got += chunk
print(got.decode().replace("\n", "|"), c.version(), flush=True)
c.unwrap()
c.close()
`

// TestStreamsOverTLS: start_server(ssl=) with a handler task reading lines
// from a python TLS client, and open_connection(ssl=) from the same script
// to that server, each end reading to the TLS EOF.
func TestStreamsOverTLS(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	ca := newTestCA(t, "tls streams CA")
	srv := ca.issue("srv", pkix.Name{CommonName: "localhost"}, "localhost")
	predeclareFiles(te, ca, map[string]*testpki.Leaf{"SRV": srv})
	g := te.exec(`
sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
sctx.load_cert_chain(SRV_CERT, SRV_KEY)
served = []
client_result = []

def handle(reader, writer):
    while True:
        line = wait(reader.readline())
        if not line:
            break
        writer.write(b"> " + line)
    served.append(writer.get_extra_info("ssl_object").version())
    writer.close()
    if len(served) == 2:
        srv.close()

srv = wait(loop.start_server(handle, "127.0.0.1", 0, ssl = sctx, limit = 1024))
port = srv.sockets[0].getsockname()[1]

def client():
    ctx = ssl.create_default_context(cafile = CA)
    reader, writer = wait(loop.open_connection("127.0.0.1", port, ssl = ctx, server_hostname = "localhost"))
    writer.write(b"from starlark\n")
    got = wait(reader.readline())
    writer.write_eof()
    rest = wait(reader.read())
    writer.close()
    wait(writer.wait_closed())
    client_result.append((got, rest, reader.at_eof()))

loop.create_task(client)
`)
	py := testkit.StartPython(t, pyTLSLineClient, itoa(te.serverPort(g, "srv")), ca.File, "one", "two")
	te.run()
	assert.Equal(t, "> one|> two| TLSv1.3", waitPython(t, py), "python client")
	assert.Equal(t, `[(b"> from starlark\n", b"", True)]`, g["client_result"].String())
	assert.Equal(t, `["TLSv1.3", "TLSv1.3"]`, g["served"].String())
	assert.Empty(t, te.stderr.String(), "reports")
	assert.Zero(t, te.e.OpenTransports(), "open transports after the run")
}
