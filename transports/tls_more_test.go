package transports

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/loop"
)

// pyGarbageClients tries handshakes that go wrong, each on its own
// connection, then a real one.
const pyGarbageClients = `
import socket, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
def probe(name, payload):
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(20)
    if payload:
        s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass
    s.close()
    print(name, "closed", flush=True)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
obj = ssl.create_default_context(cafile=cafile).wrap_bio(inc, out, server_hostname="localhost")
try:
    obj.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = out.read()
probe("http", b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
probe("truncated", hello[:len(hello) // 2])
probe("empty", b"")
probe("oversized", b"\x16\x03\x01\xff\xff" + bytes(1000))
probe("corrupt", hello[:20] + bytes(len(hello) - 20))
ctx = ssl.create_default_context(cafile=cafile)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.sendall(b"still serving")
print(s.recv(100).decode(), flush=True)
s.close()
`

// Garbage, truncated and empty handshakes cost only their own connection:
// each is closed, no protocol is connected, nothing is reported outside
// debug mode (in debug mode each is reported as "SSL handshake failed"),
// and a real client is served afterwards.
func TestTLSGarbageAndTruncatedHandshakes(t *testing.T) {
	for _, debug := range []bool{false, true} {
		t.Run(fmt.Sprintf("debug=%v", debug), func(t *testing.T) {
			tl := newTestLoop(t)
			tl.SetDebug(debug)
			pki := newTestPKI(t)
			var protos []*recorder
			_, port := tl.tlsServe(func() BaseProtocol {
				r := echoRecorder(tl)
				protos = append(protos, r)
				return r
			}, ListenOptions{TLS: pki.serverConfig()})
			peer := startPython(tl, pyGarbageClients, strconv.Itoa(port), pki.File)
			out := tl.mustAwait(peer.Output(tl)).(string)
			want := "http closed\ntruncated closed\nempty closed\noversized closed\ncorrupt closed\nstill serving\n"
			if out != want {
				t.Errorf("peer printed %q", out)
			}
			made := 0
			for _, p := range protos {
				made += p.madeN
			}
			if len(protos) != 6 || made != 1 {
				t.Errorf("%d protocols, %d connected", len(protos), made)
			}
			var kinds []string
			for _, r := range tl.reports {
				if r.Message == "SSL handshake failed" {
					kinds = append(kinds, MapError(r.Err).Kind)
				} else if !debug || !strings.Contains(r.Message, "took") {
					t.Errorf("unexpected report %s: %v", r.Message, r.Err)
				}
			}
			wantKinds := ""
			if debug {
				wantKinds = "SSLError ConnectionResetError ConnectionResetError SSLError SSLError"
			}
			if strings.Join(kinds, " ") != wantKinds {
				t.Errorf("reported kinds %q, want %q", kinds, wantKinds)
			}
		})
	}
}

// pySendThenUnwrap sends argv[3] bytes of the test pattern, then
// close_notify, waits for the server's, and prints "done".
const pySendThenUnwrap = `
import socket, ssl, sys
port, cafile, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=cafile)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
s.sendall(bytes((i * 7 + i // 251) % 256 for i in range(size)))
s.unwrap().close()
print("done", flush=True)
`

// While the application pauses reading, ciphertext waits in the layer
// only up to the read high-water mark: then the plain transport is paused.
// On resume everything arrives in order.
func TestTLSPauseReadingBoundsBuffering(t *testing.T) {
	const size = 4 << 20
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	var srv *recorder
	made := tl.NewFuture()
	_, port := tl.tlsServe(func() BaseProtocol {
		srv = newRecorder(tl.Loop)
		srv.onMade = func(r *recorder) {
			r.tr.PauseReading()
			if r.tr.IsReading() {
				t.Error("IsReading after PauseReading")
			}
			_ = made.SetResult(nil)
		}
		return srv
	}, ListenOptions{TLS: pki.serverConfig()})
	peer := startPython(tl, pySendThenUnwrap, strconv.Itoa(port), pki.File, strconv.Itoa(size))
	tl.mustAwait(made)
	layer := srv.tr.(*tlsTransport).e
	tl.mustAwait(pollUntil(tl, func() bool { return layer.plainReadingPaused }))
	if n := layer.pipe.buffered(); n < tlsReadHighWater || n > tlsReadHighWater+loop.ReadBufferSize {
		t.Errorf("%d bytes of ciphertext buffered while paused", n)
	}
	if srv.data.Len() != 0 {
		t.Errorf("%d bytes delivered while paused", srv.data.Len())
	}
	srv.tr.ResumeReading()
	if out := tl.mustAwait(peer.Output(tl)).(string); out != "done\n" {
		t.Errorf("peer printed %q", out)
	}
	tl.mustAwait(srv.lost)
	sameBytes(t, "received", srv.data.Bytes(), patterned(size))
	if got := eventsString(srv.events); got != "made,data,eof,lost" || srv.lostErr != nil {
		t.Errorf("events %s, lost with %v", got, srv.lostErr)
	}
	tl.expectNoReports()
}

// pollUntil resolves a future once cond holds, checking every millisecond
// (for internal states that announce themselves with no event).
func pollUntil(tl *testLoop, cond func() bool) *loop.Future {
	f := tl.NewFuture()
	var check func()
	check = func() {
		if cond() {
			_ = f.SetResult(nil)
			return
		}
		tl.CallLater(time.Millisecond, check)
	}
	tl.CallSoon(check)
	return f
}

// tlsBufProto is a BufferedProtocol with a small buffer that pauses reading
// now and then.
type tlsBufProto struct {
	tl      *testLoop
	tr      Transport
	buf     []byte
	got     bytes.Buffer
	updates int
	eof     bool
	lost    *loop.Future
}

func (p *tlsBufProto) ConnectionMade(t BaseTransport) { p.tr = t.(Transport) }
func (p *tlsBufProto) GetBuffer(int) []byte           { return p.buf }
func (p *tlsBufProto) BufferUpdated(n int) {
	p.got.Write(p.buf[:n])
	p.updates++
	if p.updates%7 == 0 {
		p.tr.PauseReading()
		p.tl.CallSoon(p.tr.ResumeReading)
	}
}
func (p *tlsBufProto) EOFReceived() bool        { p.eof = true; return false }
func (p *tlsBufProto) ConnectionLost(err error) { _ = p.lost.SetResult(err) }
func (p *tlsBufProto) PauseWriting()            {}
func (p *tlsBufProto) ResumeWriting()           {}

// A BufferedProtocol gets the plaintext copied into its own small buffers,
// and pausing between two of them holds the rest back.
func TestTLSBufferedProtocol(t *testing.T) {
	const size = 1 << 20
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	p := &tlsBufProto{tl: tl, buf: make([]byte, 1000), lost: tl.NewFuture()}
	_, port := tl.tlsServe(func() BaseProtocol { return p }, ListenOptions{TLS: pki.serverConfig()})
	peer := startPython(tl, pySendThenUnwrap, strconv.Itoa(port), pki.File, strconv.Itoa(size))
	tl.mustAwait(peer.Output(tl))
	if err := tl.mustAwait(p.lost); err != nil {
		t.Errorf("ConnectionLost(%v)", err)
	}
	sameBytes(t, "received", p.got.Bytes(), patterned(size))
	if !p.eof || p.updates < size/1000 {
		t.Errorf("eof %v, %d updates", p.eof, p.updates)
	}
	tl.expectNoReports()
}

// The Python echo server waits for "go" before reading: our client's write
// buffer fills, then Close flushes it all before close_notify.
func TestTLSCloseFlushesTheBuffer(t *testing.T) {
	const size = 16 << 20 // more than the kernel's socket buffers hold
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	cert := pki.server()
	peer := startPython(tl, pyTLSEchoServer, cert.CertFile, cert.KeyFile)
	port, _ := strconv.Atoi(peer.ReadLine())
	cli := newRecorder(tl.Loop)
	cli.onMade = func(r *recorder) {
		_ = r.tr.Write(patterned(size))
		if r.tr.GetWriteBufferSize() == 0 {
			t.Error("nothing buffered")
		}
		r.tr.Close()
		if err := r.tr.Write([]byte("ignored")); err != nil || !r.tr.IsClosing() {
			t.Errorf("Write on a closing transport: %v", err)
		}
		peer.Send("go")
	}
	tl.mustAwait(CreateConnection(tl.Loop, func() BaseProtocol { return cli }, "localhost", port, DialOptions{TLS: pki.clientConfig()}))
	if err := tl.mustAwait(cli.lost); err != nil {
		t.Errorf("ConnectionLost(%v)", err)
	}
	if out := tl.mustAwait(peer.Output(tl)).(string); strings.TrimSpace(out) != fmt.Sprint(size, " None") {
		t.Errorf("peer printed %q", out)
	}
	if cli.data.Len() != 0 {
		t.Errorf("%d bytes delivered after Close", cli.data.Len())
	}
	tl.expectNoReports()
}

// Abort sends no close_notify: the peer sees the plain EOF, which asyncio
// treats as an EOF too.
func TestTLSAbort(t *testing.T) {
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	var srv *recorder
	_, port := tl.tlsServe(func() BaseProtocol {
		srv = newRecorder(tl.Loop)
		return srv
	}, ListenOptions{TLS: pki.serverConfig()})
	cli := newRecorder(tl.Loop)
	cli.onMade = func(r *recorder) {
		_ = r.tr.Write([]byte("last words"))
		r.tr.Abort()
		if !r.tr.IsClosing() {
			t.Error("not closing after Abort")
		}
	}
	tl.mustAwait(CreateConnection(tl.Loop, func() BaseProtocol { return cli }, "localhost", port, DialOptions{TLS: pki.clientConfig()}))
	if err := tl.mustAwait(cli.lost); err != nil || cli.lostN != 1 {
		t.Errorf("client ConnectionLost(%v) x%d", err, cli.lostN)
	}
	if err := tl.mustAwait(srv.lost); err != nil {
		t.Errorf("server ConnectionLost(%v)", err)
	}
	if got := eventsString(srv.events); got != "made,data,eof,lost" || srv.data.String() != "last words" {
		t.Errorf("server events %s, data %q", got, srv.data.String())
	}
	tl.expectNoReports()
}

// upgrader switches a TLS connection to a second, inner TLS session with
// StartTLS: TLS over TLS, as through an HTTPS proxy.
type upgrader struct {
	*recorder
	tl      *testLoop
	cfg     *tls.Config
	server  bool
	inner   *loop.Future
	started *loop.Future // resolved with inner once StartTLS was called
}

func (u *upgrader) DataReceived(data []byte) {
	u.recorder.DataReceived(data)
	if u.recorder.data.String() != "UPGRADE\n" || u.inner != nil {
		return
	}
	u.recorder.data.Reset()
	opts := StartTLSOptions{ServerSide: u.server, ServerHostname: "localhost"}
	u.inner = StartTLS(u.tl.Loop, u.tr, u, u.cfg, opts)
	if u.started != nil {
		_ = u.started.SetResult(u.inner)
	}
	u.inner.AddDoneCallback(func(f *loop.Future) {
		if v, err := f.Result(); err == nil {
			u.tr = v.(Transport)
		}
	})
}

// TLS inside TLS: both ends upgrade an established TLS connection, then
// 1 MiB is echoed through the inner session.
func TestStartTLSOverTLS(t *testing.T) {
	const size = 1 << 20
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	var srv *upgrader
	_, port := tl.tlsServe(func() BaseProtocol {
		srv = &upgrader{recorder: newRecorder(tl.Loop), tl: tl, cfg: pki.serverConfig(), server: true}
		srv.onMade = func(r *recorder) { _ = r.tr.Write([]byte("UPGRADE\n")) }
		srv.onData = func(r *recorder, data []byte) {
			if srv.inner != nil && srv.inner.Done() {
				_ = srv.tr.Write(data)
			}
		}
		return srv
	}, ListenOptions{TLS: pki.serverConfig()})
	cli := &upgrader{recorder: newRecorder(tl.Loop), tl: tl, cfg: pki.clientConfig(), started: tl.NewFuture()}
	cli.onMade = func(r *recorder) { _ = r.tr.Write([]byte("UPGRADE\n")) }
	cli.onData = func(r *recorder, _ []byte) {
		if r.data.Len() == size {
			cli.tr.Close()
		}
	}
	outer := tl.mustAwait(CreateConnection(tl.Loop, func() BaseProtocol { return cli }, "localhost", port, DialOptions{TLS: pki.clientConfig()})).(*Connection)
	inner := tl.mustAwait(tl.mustAwait(cli.started).(*loop.Future)).(Transport)
	if inner == outer.Transport {
		t.Fatal("StartTLS returned the outer transport")
	}
	_ = inner.Write(patterned(size))
	if err := tl.mustAwait(cli.lost); err != nil {
		t.Errorf("client ConnectionLost(%v)", err)
	}
	if err := tl.mustAwait(srv.lost); err != nil {
		t.Errorf("server ConnectionLost(%v)", err)
	}
	sameBytes(t, "echo through the inner session", cli.data.Bytes(), patterned(size))
	if cli.lostN != 1 || srv.lostN != 1 {
		t.Errorf("ConnectionLost: client %d, server %d", cli.lostN, srv.lostN)
	}
	if v := inner.GetExtraInfo("ssl_object").(*SSLObject).Version(); v != "TLSv1.3" {
		t.Errorf("inner version %s", v)
	}
	tl.expectNoReports()
}

// pyPlainThenGarbage answers "STARTTLS" with "OK" and then with text that
// is not TLS.
const pyPlainThenGarbage = `
import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
line = b""
while not line.endswith(b"\r\n"):
    line += c.recv(1)
c.sendall(b"OK\r\n")
c.recv(65536)
c.sendall(b"HTTP/1.0 400 not tls at all\r\n\r\n")
c.close()
`

// When the StartTLS handshake fails, the Future fails with the SSLError
// and the protocol, which was connected, gets exactly one ConnectionLost
// with it.
func TestStartTLSHandshakeFailure(t *testing.T) {
	tl := newTestLoop(t)
	peer := startPython(tl, pyPlainThenGarbage)
	port, _ := strconv.Atoi(peer.ReadLine())
	rec := newRecorder(tl.Loop)
	var fut *loop.Future
	rec.onMade = func(r *recorder) { _ = r.tr.Write([]byte("STARTTLS\r\n")) }
	rec.onData = func(r *recorder, _ []byte) {
		if r.data.String() == "OK\r\n" && fut == nil {
			fut = StartTLS(tl.Loop, r.tr, r, &tls.Config{InsecureSkipVerify: true}, StartTLSOptions{})
		}
	}
	tl.mustAwait(CreateConnection(tl.Loop, func() BaseProtocol { return rec }, "127.0.0.1", port, DialOptions{}))
	err, _ := tl.mustAwait(rec.lost).(error)
	expectError(t, err, KindSSLError, 0, "")
	_, ferr := tl.await(fut)
	if ferr != err {
		t.Errorf("future failed with %v, ConnectionLost got %v", ferr, err)
	}
	if rec.madeN != 1 || rec.lostN != 1 {
		t.Errorf("made %d, lost %d", rec.madeN, rec.lostN)
	}
	tl.mustAwait(peer.Output(tl))
	tl.expectNoReports()
}

// StartTLS validates its arguments.
func TestStartTLSArgumentErrors(t *testing.T) {
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	rec := newRecorder(tl.Loop)
	_, port := tl.serve(echoFactory, ListenOptions{})
	tl.mustAwait(CreateConnection(tl.Loop, func() BaseProtocol { return rec }, "127.0.0.1", port, DialOptions{}))
	cases := []struct {
		fut  *loop.Future
		text string
	}{
		{StartTLS(tl.Loop, rec.tr, rec, nil, StartTLSOptions{}), "TypeError: sslcontext is expected to be a *tls.Config, got nil"},
		{StartTLS(tl.Loop, rec.tr, rec, pki.clientConfig(), StartTLSOptions{}), "ValueError: check_hostname requires server_hostname"},
		{StartTLS(tl.Loop, rec.tr, rec, &tls.Config{}, StartTLSOptions{ServerSide: true}),
			"ValueError: Server side SSL needs a certificate: set tls.Config.Certificates or GetCertificate"},
		{StartTLS(tl.Loop, nil, rec, pki.clientConfig(), StartTLSOptions{}), "TypeError: start_tls: transport must not be nil"},
	}
	for _, c := range cases {
		_, err := tl.await(c.fut)
		if err == nil || err.Error() != c.text {
			t.Errorf("error %v, want %s", err, c.text)
		}
	}
	if rec.tr.GetProtocol() != rec {
		t.Error("a failed StartTLS replaced the protocol")
	}
	rec.tr.Close()
	tl.mustAwait(rec.lost)
}

// ConnectAcceptedSocketTLS makes the server side of TLS on a socket
// accepted elsewhere (here one end of a socket pair; crypto/tls at the
// other).
func TestConnectAcceptedSocketTLS(t *testing.T) {
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	fds, err := socketpair()
	if err != nil {
		t.Fatal(err)
	}
	ours := os.NewFile(uintptr(fds[0]), "ours")
	defer ours.Close()
	theirs := os.NewFile(uintptr(fds[1]), "theirs")
	raw, err := net.FileConn(theirs)
	theirs.Close()
	if err != nil {
		t.Fatal(err)
	}
	done := tl.NewFuture()
	tl.Ref()
	go func() {
		c := tls.Client(raw, &tls.Config{RootCAs: pki.Pool, ServerName: "localhost"})
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(watchdog))
		_, err := c.Write([]byte("accepted elsewhere"))
		if err == nil {
			err = c.CloseWrite()
		}
		got, rerr := io.ReadAll(c)
		if err == nil {
			err = rerr
		}
		_ = tl.CallSoonThreadsafe(func() {
			tl.Unref()
			_ = done.SetResult([]any{string(got), err})
		})
	}()
	srv := echoRecorder(tl)
	conn := tl.mustAwait(ConnectAcceptedSocketTLS(tl.Loop, func() BaseProtocol { return srv }, ours, pki.serverConfig(), 0, 0)).(*Connection)
	if conn.Protocol != srv || srv.madeN != 1 {
		t.Errorf("Connection %+v, made %d", conn, srv.madeN)
	}
	if res := tl.mustAwait(done).([]any); res[0] != "accepted elsewhere" || res[1] != nil {
		t.Errorf("client got %v", res)
	}
	if err := tl.mustAwait(srv.lost); err != nil {
		t.Errorf("ConnectionLost(%v)", err)
	}
	tl.expectNoReports()
}
