package transports

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Peers written with Python's ssl module (OpenSSL underneath): code nobody
// here wrote.

// pyTLSClientEcho connects to our server on argv[1] trusting CA argv[2],
// sends argv[3] bytes while it reads the echo (one thread, non-blocking:
// OpenSSL objects must not be used by two threads at once), then prints the
// version, the cipher and the sha256 of what came back.
const pyTLSClientEcho = `
import hashlib, json, selectors, socket, ssl, sys
port, cafile, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=cafile)
if len(sys.argv) > 4 and sys.argv[4] == "1.2":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.set_alpn_protocols(["h2", "http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
payload = memoryview(bytes((i * 7 + i // 251) % 256 for i in range(size)))
s.setblocking(False)
sel = selectors.DefaultSelector()
sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
h, got, sent = hashlib.sha256(), 0, 0
while got < size:
    if not sel.select(timeout=20):
        raise SystemExit("stalled")
    try:
        while got < size:
            b = s.recv(1 << 20)
            if not b:
                raise SystemExit("EOF after %d bytes" % got)
            h.update(b)
            got += len(b)
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        pass
    try:
        while sent < size:
            sent += s.send(payload[sent:sent + 65536])
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        pass
    if sent == size:
        sel.modify(s, selectors.EVENT_READ)
s.setblocking(True)
print(json.dumps({"version": s.version(), "cipher": s.cipher(), "alpn": s.selected_alpn_protocol(),
                  "got": got, "sha256": h.hexdigest()}), flush=True)
s.unwrap()
s.close()
`

// Python clients echo 8 MiB through our TLS server, over TLS 1.3 and 1.2;
// the cipher, version and ALPN protocol each side reports agree.
func TestTLSLargeEchoWithPythonClient(t *testing.T) {
	t.Parallel()
	for _, version := range []string{"1.3", "1.2"} {
		t.Run("TLSv"+version, func(t *testing.T) {
			t.Parallel()
			const size = 8 << 20
			tl := newTestLoop(t)
			pki := newTestPKI(t)
			var srv *recorder
			cfg := pki.serverConfig()
			cfg.NextProtos = []string{"http/1.1"}
			_, port := tl.tlsServe(func() (BaseProtocol, error) {
				srv = echoRecorder(tl)
				srv.onEOF = func(*recorder) bool { return false }
				return srv, nil
			}, ListenOptions{TLS: cfg})
			peer := startPython(tl, pyTLSClientEcho, strconv.Itoa(port), pki.File, strconv.Itoa(size), version)
			out := tl.mustAwait(peer.Output(tl)).(string)
			var res struct {
				Version string
				Cipher  []any
				ALPN    string
				Got     int
				SHA256  string
			}
			require.Nil(t, json.Unmarshal([]byte(out), &res), "peer output")
			sum := sha256.Sum256(patterned(size))
			require.Equal(t, size, res.Got, "peer got %d bytes with sha256 %s", res.Got, res.SHA256)
			assert.Equal(t, hex.EncodeToString(sum[:]), res.SHA256, "peer got %d bytes with sha256 %s", res.Got, res.SHA256)
			tl.mustAwait(srv.lost)
			obj := srv.tr.GetExtraInfo("ssl_object").(*SSLObject)
			c := srv.tr.GetExtraInfo("cipher").(TLSCipher)
			assert.Equal(t, res.Version, obj.Version(), "version: ours %s, python %s", obj.Version(), res.Version)
			assert.Equal(t, "TLSv"+version, res.Version, "version: ours %s, python %s", obj.Version(), res.Version)
			assert.Equal(t, fmt.Sprint(res.Cipher), fmt.Sprint([]any{c.Name, c.Version, float64(c.Bits)}), "cipher: ours")
			assert.Equal(t, "http/1.1", obj.SelectedALPNProtocol(), "ALPN: ours %q, python %q", obj.SelectedALPNProtocol(), res.ALPN)
			assert.Equal(t, "http/1.1", res.ALPN, "ALPN: ours %q, python %q", obj.SelectedALPNProtocol(), res.ALPN)
			// Echoing 8 MiB legitimately pauses and resumes writing.
			assert.NoError(t, srv.lostErr, "server events %s, lost with %v", eventsString(srv.events), srv.lostErr)
			assert.Equal(t, "made,data,eof,lost", withoutFlowControl(t, srv.events), "server events %s, lost with %v", eventsString(srv.events), srv.lostErr)
			tl.expectNoReports()
		})
	}
}

// pyTLSEchoServer serves one TLS connection (cert argv[1], key argv[2]):
// after the handshake it waits for a line on stdin, then echoes until
// close_notify, answers with its own, and prints how much it echoed and the
// ALPN protocol. With argv[3] it offers those ALPN protocols.
const pyTLSEchoServer = `
import socket, ssl, sys
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
if len(sys.argv) > 3:
    ctx.set_alpn_protocols(sys.argv[3].split(","))
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
raw, _ = srv.accept()
c = ctx.wrap_socket(raw, server_side=True)
alpn = c.selected_alpn_protocol()
sys.stdin.readline()
n = 0
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    c.sendall(b)
    n += len(b)
c.unwrap().close()
print(n, alpn, flush=True)
`

// Our client writes 8 MiB at once to a Python echo server that does not
// read yet: the write buffer pauses the protocol; once the peer echoes it
// resumes, everything comes back in order, and Close exchanges
// close_notify with the peer.
func TestTLSLargeEchoWithPythonServer(t *testing.T) {
	t.Parallel()
	const size = 8 << 20
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	cert := pki.server()
	peer := startPython(tl, pyTLSEchoServer, cert.CertFile, cert.KeyFile, "h2,http/1.1")
	port, _ := strconv.Atoi(peer.ReadLine())
	payload := patterned(size)
	cli := newRecorder(tl.Loop)
	var maxBuffered int
	cli.onMade = func(r *recorder) {
		_ = r.tr.Write(payload)
		maxBuffered = r.tr.GetWriteBufferSize()
	}
	cli.onPause = func(*recorder) { peer.Send("go") }
	cli.onData = func(r *recorder, _ []byte) {
		if r.data.Len() == size {
			r.tr.Close()
		}
	}
	cfg := pki.clientConfig()
	cfg.NextProtos = []string{"http/1.1"}
	conn := tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "localhost", port, DialOptions{TLS: cfg})).(*Connection)
	require.Nil(t, tl.mustAwait(cli.lost), "ConnectionLost")
	sameBytes(t, "echo", cli.data.Bytes(), payload)
	assert.NotEqual(t, 0, maxBuffered, "buffered %d after the write; %d pauses, %d resumes", maxBuffered, cli.pauses, cli.resumes)
	assert.Equal(t, 1, cli.pauses, "buffered %d after the write; %d pauses, %d resumes", maxBuffered, cli.pauses, cli.resumes)
	assert.Equal(t, 1, cli.resumes, "buffered %d after the write; %d pauses, %d resumes", maxBuffered, cli.pauses, cli.resumes)
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, fmt.Sprint(size, " http/1.1"), strings.TrimSpace(out), "peer printed %q", out)
	assert.Equal(t, "http/1.1", conn.Transport.GetExtraInfo("ssl_object").(*SSLObject).SelectedALPNProtocol(), "ALPN")
	tl.expectNoReports()
}

// CertificateInfo reads a certificate exactly as Python's ssl module does
// (getpeercert() and _test_decode_cert share the decoder), and a client
// sees it as "peercert".
func TestTLSPeercertMatchesPython(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	rich := pki.richCertificate()
	peer := startPython(tl, `
import json, ssl, sys
print(json.dumps(ssl._ssl._test_decode_cert(sys.argv[1]), sort_keys=True, separators=(",", ":")))
`, rich.CertFile)
	want := strings.TrimSpace(tl.mustAwait(peer.Output(tl)).(string))
	got, err := json.Marshal(CertificateInfo(rich.Cert))
	require.NoError(t, err)
	assert.Equal(t, want, string(got), "CertificateInfo:\n got %s\nwant %s", got, want)
	assert.Contains(t, want, `"notBefore":"Jan  5 09:34:43 2020 GMT"`, "the certificate does not exercise the formats: %s", want)
	assert.Contains(t, want, "2001:DB8:0:0:0:0:0:1", "the certificate does not exercise the formats: %s", want)
	// The same through a connection: a client's "peercert".
	_, port := tl.tlsServe(echoFactory, ListenOptions{TLS: &tls.Config{Certificates: []tls.Certificate{rich.TLS}}})
	conn := tl.mustAwait(CreateConnection(tl.Loop, echoFactory, "127.0.0.1", port,
		DialOptions{TLS: pki.clientConfig(), ServerHostname: "rich.example"})).(*Connection)
	viaConn, _ := json.Marshal(conn.Transport.GetExtraInfo("peercert"))
	assert.Equal(t, want, string(viaConn), "peercert %s", viaConn)
	// Without verification the dict is empty, as Python's.
	conn2 := tl.mustAwait(CreateConnection(tl.Loop, echoFactory, "127.0.0.1", port,
		DialOptions{TLS: &tls.Config{InsecureSkipVerify: true}})).(*Connection)
	m, ok := conn2.Transport.GetExtraInfo("peercert").(map[string]any)
	require.True(t, ok, "unverified peercert = %v", conn2.Transport.GetExtraInfo("peercert"))
	assert.Empty(t, m, "unverified peercert = %v", conn2.Transport.GetExtraInfo("peercert"))
	conn.Transport.(Transport).Abort()
	conn2.Transport.(Transport).Abort()
	tl.spin(5)
}

// pyHalfCloseClient (TLS 1.3, through ssl.MemoryBIO) sends a request, then
// close_notify, and keeps reading what the server sends until the server's
// close_notify.
const pyHalfCloseClient = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
def flush():
    data = out.read()
    if data:
        s.sendall(data)
def pump():
    data = s.recv(65536)
    if data:
        inc.write(data)
    else:
        inc.write_eof()
    return data
while True:
    try:
        obj.do_handshake()
        break
    except ssl.SSLWantReadError:
        flush()
        pump()
flush()
obj.write(b"request")
try:
    obj.unwrap()
except ssl.SSLWantReadError:
    pass
flush()
got = b""
while True:
    try:
        chunk = obj.read(65536)
        if not chunk:
            break
        got += chunk
    except ssl.SSLWantReadError:
        if not pump():
            break
    except ssl.SSLZeroReturnError:
        break
sys.stdout.write(got.decode())
`

// TLS 1.3 half-close from the peer: after its close_notify our server's
// EOFReceived returning true keeps the transport open for writing, and the
// reply reaches the peer (asyncio ignores the true and closes).
func TestTLSPeerHalfCloseEOFReceivedTrue(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	var srv *recorder
	_, port := tl.tlsServe(func() (BaseProtocol, error) {
		srv = newRecorder(tl.Loop)
		srv.onEOF = func(r *recorder) bool {
			tl.CallSoon(func() {
				assert.False(t, r.tr.IsClosing(), "EOFReceived returning true closed the transport")
				_ = r.tr.Write([]byte("reply to " + r.data.String()))
				r.tr.Close()
			})
			return true
		}
		return srv, nil
	}, ListenOptions{TLS: pki.serverConfig()})
	peer := startPython(tl, pyHalfCloseClient, strconv.Itoa(port), pki.File)
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "reply to request", out, "peer read %q", out)
	assert.Nil(t, tl.mustAwait(srv.lost), "ConnectionLost")
	assert.Equal(t, "made,data,eof,lost", eventsString(srv.events), "events")
	tl.expectNoReports()
}

// pyReadUntilCloseNotify serves one TLS connection: it reads until the
// client's close_notify, replies, sends its own close_notify, and prints
// what it read.
const pyReadUntilCloseNotify = `
import socket, ssl, sys
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
raw, _ = srv.accept()
c = ctx.wrap_socket(raw, server_side=True)
data = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    data += b
c.sendall(b"reply to " + data)
c.unwrap().close()
print(data.decode(), flush=True)
`

// Our client's WriteEOF over TLS 1.3 sends close_notify and keeps reading:
// the peer sees the end of the request, and its reply still arrives.
func TestTLSWriteEOFHalfClose(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	cert := pki.server()
	peer := startPython(tl, pyReadUntilCloseNotify, cert.CertFile, cert.KeyFile)
	port, _ := strconv.Atoi(peer.ReadLine())
	cli := newRecorder(tl.Loop)
	cli.onMade = func(r *recorder) {
		assert.True(t, r.tr.CanWriteEOF(), "CanWriteEOF is false over TLS 1.3")
		_ = r.tr.Write([]byte("request"))
		assert.NoError(t, r.tr.WriteEOF(), "WriteEOF")
		assert.Error(t, r.tr.Write([]byte("more")), "Write after WriteEOF did not fail")
	}
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "localhost", port, DialOptions{TLS: pki.clientConfig()}))
	assert.Nil(t, tl.mustAwait(cli.lost), "ConnectionLost")
	assert.Equal(t, "reply to request", cli.data.String(), "client read %q, events %s", cli.data.String(), eventsString(cli.events))
	assert.Equal(t, "made,data,eof,lost", eventsString(cli.events), "client read %q, events %s", cli.data.String(), eventsString(cli.events))
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "request", strings.TrimSpace(out), "peer read %q", out)
	tl.expectNoReports()
}

// Over TLS 1.2 there is no half-close: WriteEOF fails as asyncio's does.
func TestTLSWriteEOFNeedsTLS13(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	cfg := pki.serverConfig()
	cfg.MaxVersion = tls.VersionTLS12
	_, port := tl.tlsServe(echoFactory, ListenOptions{TLS: cfg})
	cfg12 := pki.clientConfig()
	conn := tl.mustAwait(CreateConnection(tl.Loop, echoFactory, "localhost", port, DialOptions{TLS: cfg12})).(*Connection)
	tr := conn.Transport.(Transport)
	checkTLSExtraInfo(t, tr, cfg12, true)
	expectError(t, tr.WriteEOF(), KindNotImplementedError, 0, "NotImplementedError: write_eof() needs TLS 1.3 (this connection uses TLSv1.2)")
	tr.Abort()
	tl.spin(5)
}

// pyStallAfterHandshake serves one TLS connection and then neither reads
// nor closes until its stdin ends.
const pyStallAfterHandshake = `
import socket, ssl, sys
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
raw, _ = srv.accept()
c = ctx.wrap_socket(raw, server_side=True)
print("handshaken", flush=True)
sys.stdin.read()
`

// A peer that never answers close_notify: after ShutdownTimeout the
// connection is aborted and ConnectionLost gets asyncio's TimeoutError.
func TestTLSShutdownTimeout(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	cert := pki.server()
	peer := startPython(tl, pyStallAfterHandshake, cert.CertFile, cert.KeyFile)
	port, _ := strconv.Atoi(peer.ReadLine())
	cli := newRecorder(tl.Loop)
	cli.onMade = func(r *recorder) { r.tr.Close() }
	start := time.Now()
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "localhost", port,
		DialOptions{TLS: pki.clientConfig(), ShutdownTimeout: 200 * time.Millisecond}))
	err, _ := tl.mustAwait(cli.lost).(error)
	expectError(t, err, KindTimeoutError, 0, "TimeoutError: SSL shutdown timed out")
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond, "aborted before the shutdown timeout")
	assert.Equal(t, "handshaken", peer.ReadLine(), "peer did not complete the handshake")
	tl.expectNoReports()
}

// pyStartTLSClient sends "STARTTLS\r\n" and its ClientHello in ONE send()
// (ssl.MemoryBIO makes the first flight before any answer), prints "sent",
// finishes the handshake, sends argv[3] and prints the echo.
const pyStartTLSClient = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
s.sendall(b"STARTTLS\r\n" + out.read())
print("sent", flush=True)
def pump():
    data = s.recv(65536)
    if not data:
        raise SystemExit("EOF from server")
    inc.write(data)
while True:
    try:
        obj.do_handshake()
        break
    except ssl.SSLWantReadError:
        d = out.read()
        if d:
            s.sendall(d)
        pump()
d = out.read()
msg = sys.argv[3].encode()
obj.write(msg)
s.sendall(d + out.read())
got = b""
while len(got) < len(msg):
    try:
        got += obj.read(65536)
    except ssl.SSLWantReadError:
        pump()
print(got.decode(), obj.version(), flush=True)
`

// startTLSLine is a line protocol that upgrades on "STARTTLS\r\n", passing
// what followed in the same segment as Pending, then echoes over TLS.
type startTLSLine struct {
	t        *testing.T
	l        *testLoop
	cfg      *tls.Config
	plain    Transport
	tls      Transport
	firstLen int
	pending  int
	upgraded *recorder
	accepted *loop.Future
}

func (p *startTLSLine) ConnectionMade(t BaseTransport) {
	p.plain = t.(Transport)
	p.plain.PauseReading()
	_ = p.accepted.SetResult(nil)
}
func (p *startTLSLine) DataReceived(data []byte) {
	if p.firstLen > 0 {
		p.upgraded.DataReceived(data)
		if !assert.NotNil(p.t, p.tls, "data over TLS before the StartTLS future's callbacks ran") {
			return
		}
		_ = p.tls.Write(data)
		return
	}
	p.firstLen = len(data)
	i := bytes.Index(data, []byte("\r\n"))
	if !assert.True(p.t, i >= 0 && string(data[:i]) == "STARTTLS", "first line %q", data) {
		p.plain.Close()
		return
	}
	p.pending = len(data) - i - 2
	fut := StartTLS(p.l.Loop, p.plain, p, p.cfg, StartTLSOptions{ServerSide: true, Pending: data[i+2:]})
	clear(data) // Pending must have been copied
	fut.AddDoneCallback(func(f *loop.Future) {
		v, err := f.Result()
		if !assert.NoError(p.t, err, "StartTLS") {
			return
		}
		p.tls = v.(Transport)
	})
}
func (p *startTLSLine) EOFReceived() bool      { return false }
func (p *startTLSLine) ConnectionLost(e error) { p.upgraded.ConnectionLost(e) }
func (p *startTLSLine) PauseWriting()          {}
func (p *startTLSLine) ResumeWriting()         {}

// A client sends STARTTLS and its ClientHello in one segment: the bytes
// after the line reach TLS through Pending (the data loss CPython and
// uvloop have), the handshake completes and the protocol, which got no new
// ConnectionMade, echoes over TLS and gets one ConnectionLost.
func TestStartTLSKeepsBytesAfterTheUpgradeLine(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	proto := &startTLSLine{t: t, l: tl, cfg: pki.serverConfig(), upgraded: newRecorder(tl.Loop), accepted: tl.NewFuture()}
	_, port := tl.serve(func() (BaseProtocol, error) { return proto, nil }, ListenOptions{})
	peer := startPython(tl, pyStartTLSClient, strconv.Itoa(port), pki.File, "secret after upgrade")
	tl.mustAwait(proto.accepted) // reading is paused
	line := peer.ReadLine()
	require.Equal(t, "sent", line, "peer: %q", line)
	// Everything is in the kernel's queue: the first read gets it whole.
	proto.plain.ResumeReading()
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "secret after upgrade TLSv1.3", strings.TrimSpace(out), "peer printed %q", out)
	tl.mustAwait(proto.upgraded.lost)
	assert.NotEqual(t, 0, proto.pending, "the first segment (%d bytes) held no ClientHello bytes", proto.firstLen)
	assert.Equal(t, "secret after upgrade", proto.upgraded.data.String(), "upgraded protocol got %q, lost %d", proto.upgraded.data.String(), proto.upgraded.lostN)
	assert.Equal(t, 1, proto.upgraded.lostN, "upgraded protocol got %q, lost %d", proto.upgraded.data.String(), proto.upgraded.lostN)
	assert.Nil(t, proto.plain.GetProtocol(), "plain transport kept a protocol after ConnectionLost")
	tl.expectNoReports()
}

// pyStartTLSServer answers "STARTTLS\r\n" with "OK\r\n", becomes a TLS
// server and echoes one message.
const pyStartTLSServer = `
import socket, ssl, sys
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
raw, _ = srv.accept()
line = b""
while not line.endswith(b"\r\n"):
    line += raw.recv(1)
assert line == b"STARTTLS\r\n", line
raw.sendall(b"OK\r\n")
c = ctx.wrap_socket(raw, server_side=True)
data = c.recv(65536)
c.sendall(data)
while c.recv(65536):
    pass
c.unwrap().close()
print(data.decode(), flush=True)
`

// The client side of StartTLS against a Python server.
func TestStartTLSClientSide(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	cert := pki.server()
	peer := startPython(tl, pyStartTLSServer, cert.CertFile, cert.KeyFile)
	port, _ := strconv.Atoi(peer.ReadLine())
	rec := newRecorder(tl.Loop)
	upgraded := tl.NewFuture()
	rec.onMade = func(r *recorder) { _ = r.tr.Write([]byte("STARTTLS\r\n")) }
	rec.onData = func(r *recorder, data []byte) {
		if r.data.String() == "OK\r\n" {
			r.data.Reset()
			fut := StartTLS(tl.Loop, r.tr, r, pki.clientConfig(), StartTLSOptions{ServerHostname: "localhost"})
			fut.AddDoneCallback(func(f *loop.Future) {
				v, err := f.Result()
				if err != nil {
					_ = upgraded.SetException(err)
					return
				}
				r.tr = v.(Transport)
				_ = r.tr.Write([]byte("client secret"))
				_ = upgraded.SetResult(nil)
			})
			return
		}
		if r.data.String() == "client secret" {
			r.tr.Close()
		}
	}
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, "127.0.0.1", port, DialOptions{}))
	tl.mustAwait(upgraded)
	assert.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "client secret", strings.TrimSpace(out), "peer printed %q", out)
	// The server's close_notify answering our Close is an EOF, as in asyncio.
	assert.Equal(t, "made,data,eof,lost", eventsString(rec.events), "events")
	tl.expectNoReports()
}
