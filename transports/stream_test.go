package transports

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// pyEchoClient connects to 127.0.0.1:argv[1], sends argv[2], half-closes and
// prints everything it receives until EOF.
const pyEchoClient = `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.argv[2].encode())
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
`

// A python3 client gets its echo, and the server protocol sees asyncio's
// callback order: made, data, eof, lost, once each.
func TestServerCallbackOrderWithPythonClient(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	var rec *recorder
	_, port := tl.serve(func() (BaseProtocol, error) {
		rec = newRecorder(tl.Loop)
		rec.onData = func(r *recorder, data []byte) { _ = r.tr.Write(data) }
		return rec, nil
	}, ListenOptions{})
	peer := startPython(tl, pyEchoClient, strconv.Itoa(port), "hello transports")
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "hello transports", out, "peer received %q", out)
	tl.mustAwait(rec.lost)
	assert.Equal(t, "made,data,eof,lost", eventsString(rec.events), "events")
	assert.NoError(t, rec.lostErr, "ConnectionLost called %d times, last with %v", rec.lostN, rec.lostErr)
	assert.Equal(t, 1, rec.lostN, "ConnectionLost called %d times, last with %v", rec.lostN, rec.lostErr)
	tl.expectNoReports()
}

// pyHalfCloseServer listens, prints its port, sends argv[1], half-closes,
// reads until EOF and prints what it read.
const pyHalfCloseServer = `
import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
c.sendall(sys.argv[1].encode())
c.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
`

// The client sees made, data, eof; EOFReceived returning true keeps the
// transport open for writing (half-close), and the connection future is
// resolved only after ConnectionMade.
func TestClientHalfCloseKeepsWriting(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	peer := startPython(tl, pyHalfCloseServer, "greeting")
	port, _ := strconv.Atoi(peer.ReadLine())
	rec := newRecorder(tl.Loop)
	rec.onEOF = func(r *recorder) bool {
		assert.False(t, r.tr.IsClosing(), "closing inside EOFReceived")
		tl.CallSoon(func() {
			assert.False(t, r.tr.IsClosing(), "EOFReceived returning true closed the transport")
			_ = r.tr.Write([]byte("reply after eof"))
			r.tr.Close()
		})
		return true
	}
	fut := CreateConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, "127.0.0.1", port, DialOptions{})
	fut.AddDoneCallback(func(f *loop.Future) {
		assert.Equal(t, 1, rec.madeN, "connection future resolved before ConnectionMade")
	})
	conn := tl.mustAwait(fut).(*Connection)
	assert.Same(t, rec, conn.Protocol, "Connection = %+v", conn)
	assert.Same(t, rec.tr, conn.Transport, "Connection = %+v", conn)
	out := tl.mustAwait(peer.Output(tl)).(string)
	tl.mustAwait(rec.lost)
	assert.Equal(t, "reply after eof", out, "peer read %q", out)
	assert.Equal(t, "greeting", rec.data.String(), "client read %q", rec.data.String())
	assert.Equal(t, "made,data,eof,lost", eventsString(rec.events), "events")
	tl.expectNoReports()
}

// pyReadAllServer listens, prints its port, reads until EOF, then sends
// argv[1] and closes; it prints what it read.
const pyReadAllServer = `
import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
out = b""
while True:
    b = c.recv(65536)
    if not b:
        break
    out += b
c.sendall(sys.argv[1].encode())
c.close()
sys.stdout.write(out.decode())
`

// WriteEOF flushes, half-closes, and data still arrives afterwards.
func TestWriteEOFThenReceive(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	peer := startPython(tl, pyReadAllServer, "answer")
	port, _ := strconv.Atoi(peer.ReadLine())
	rec := newRecorder(tl.Loop)
	rec.onMade = func(r *recorder) {
		assert.True(t, r.tr.CanWriteEOF(), "CanWriteEOF() = false")
		_ = r.tr.Write([]byte("question"))
		assert.NoError(t, r.tr.WriteEOF(), "WriteEOF")
		assert.NoError(t, r.tr.WriteEOF(), "second WriteEOF")
		err := r.tr.Write([]byte("more"))
		var e *Error
		require.ErrorAs(t, err, &e, "Write after WriteEOF = %v, want a RuntimeError", err)
		assert.Equal(t, KindRuntimeError, e.Kind, "Write after WriteEOF = %v, want a RuntimeError", err)
	}
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, "127.0.0.1", port, DialOptions{}))
	out := tl.mustAwait(peer.Output(tl)).(string)
	tl.mustAwait(rec.lost)
	assert.Equal(t, "question", out, "peer read %q", out)
	assert.Equal(t, "answer", rec.data.String(), "client read %q, events %v", rec.data.String(), rec.events)
	assert.Equal(t, "made,data,eof,lost", eventsString(rec.events), "client read %q, events %v", rec.data.String(), rec.events)
	tl.expectNoReports()
}

// pyBulkReader connects to argv[1], prints "connected", and reads until EOF;
// it prints the byte count and SHA-256 of what it read.
const pyBulkReader = `
import socket, sys, hashlib
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print("connected", flush=True)
if len(sys.argv) > 2:
    sys.stdin.readline()
h = hashlib.sha256()
n = 0
while True:
    try:
        b = s.recv(1 << 20)
    except ConnectionResetError:
        print(n, h.hexdigest(), "reset")
        sys.exit(0)
    if not b:
        break
    n += len(b)
    h.update(b)
print(n, h.hexdigest(), "eof")
`

func randomBytes(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Close with a pending buffer flushes everything before closing, and
// ConnectionLost(nil) follows the flush. A write while it flushes joins the
// buffer and is sent too (asyncio's write checks _conn_lost, not _closing).
func TestCloseFlushesBuffer(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	payload := randomBytes(32<<20, 1)
	var rec *recorder
	var buffered int
	_, port := tl.serve(func() (BaseProtocol, error) {
		rec = newRecorder(tl.Loop)
		rec.onMade = func(r *recorder) {
			_ = r.tr.Write(payload)
			buffered = r.tr.GetWriteBufferSize()
			r.tr.Close()
			assert.True(t, r.tr.IsClosing(), "IsClosing() = false after Close")
			err := r.tr.Write([]byte("tail"))
			assert.NoError(t, err, "Write on a closing transport = %v, want nil", err)
		}
		return rec, nil
	}, ListenOptions{})
	peer := startPython(tl, pyBulkReader, strconv.Itoa(port))
	peer.ReadLine()
	out := tl.mustAwait(peer.Output(tl)).(string)
	tl.mustAwait(rec.lost)
	sent := append(payload, "tail"...)
	want := fmt.Sprintf("%d %s eof", len(sent), sha(sent))
	assert.Equal(t, want, strings.TrimSpace(out), "peer got %q, want %q", out, want)
	assert.NotEqual(t, 0, buffered, "the kernel took all %d bytes at once: the test did not exercise the buffer", len(payload))
	assert.Equal(t, 1, rec.lostN, "ConnectionLost %d times, err %v", rec.lostN, rec.lostErr)
	assert.NoError(t, rec.lostErr, "ConnectionLost %d times, err %v", rec.lostN, rec.lostErr)
	tl.expectNoReports()
}

// Abort drops the buffer: the peer receives exactly what the kernel had
// accepted, then EOF.
func TestAbortDropsBuffer(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	payload := randomBytes(64<<20, 2)
	var rec *recorder
	var accepted int
	_, port := tl.serve(func() (BaseProtocol, error) {
		rec = newRecorder(tl.Loop)
		rec.onMade = func(r *recorder) {
			_ = r.tr.Write(payload)
			accepted = len(payload) - r.tr.GetWriteBufferSize()
			r.tr.Abort()
			assert.Equal(t, 0, r.tr.GetWriteBufferSize(), "buffer size %d after Abort", r.tr.GetWriteBufferSize())
		}
		return rec, nil
	}, ListenOptions{})
	peer := startPython(tl, pyBulkReader, strconv.Itoa(port))
	peer.ReadLine()
	out := tl.mustAwait(peer.Output(tl)).(string)
	tl.mustAwait(rec.lost)
	fields := strings.Fields(out)
	require.Len(t, fields, 3, "peer printed %q", out)
	require.NotEqual(t, len(payload), accepted, "the kernel took all %d bytes: nothing was buffered", len(payload))
	assert.Equal(t, fmt.Sprintf("%d %s", accepted, sha(payload[:accepted])), fields[0]+" "+fields[1], "peer got")
	assert.Equal(t, 1, rec.lostN, "ConnectionLost %d times, err %v", rec.lostN, rec.lostErr)
	assert.NoError(t, rec.lostErr, "ConnectionLost %d times, err %v", rec.lostN, rec.lostErr)
	tl.expectNoReports()
}

// pyResetClient connects to argv[1], waits for 5 bytes, then closes with
// SO_LINGER 0, which sends a RST.
const pyResetClient = `
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
got = b""
while len(got) < 5:
    got += s.recv(5 - len(got))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
`

// A peer's RST is ConnectionLost(ConnectionResetError), exactly once, and
// (an OSError) is not reported to the exception handler.
func TestPeerResetIsConnectionResetError(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	var rec *recorder
	_, port := tl.serve(func() (BaseProtocol, error) {
		rec = newRecorder(tl.Loop)
		rec.onMade = func(r *recorder) { _ = r.tr.Write([]byte("hello")) }
		return rec, nil
	}, ListenOptions{})
	peer := startPython(tl, pyResetClient, strconv.Itoa(port))
	tl.mustAwait(peer.Output(tl))
	tl.mustAwait(rec.lost)
	var e *Error
	require.ErrorAs(t, rec.lostErr, &e, "ConnectionLost(%v), want ConnectionResetError", rec.lostErr)
	require.Equal(t, KindConnectionResetError, e.Kind, "ConnectionLost(%v), want ConnectionResetError", rec.lostErr)
	require.Equal(t, syscall.ECONNRESET, e.Errno, "ConnectionLost(%v), want ConnectionResetError", rec.lostErr)
	assert.True(t, strings.HasPrefix(e.Error(), "ConnectionResetError: [Errno 104] "), "Error() = %q", e.Error())
	rec.tr.Close()
	rec.tr.Abort()
	rec.tr.(ForceCloser).ForceClose(errors.New("late"))
	tl.spin(3)
	assert.Equal(t, 1, rec.lostN, "ConnectionLost called %d times; events %v", rec.lostN, rec.events)
	assert.Equal(t, "made,lost", eventsString(rec.events), "ConnectionLost called %d times; events %v", rec.lostN, rec.events)
	tl.expectNoReports()
}

// socketPair returns a connected pair of stream sockets as a transport on
// tl (with p) and a raw non-blocking descriptor for the test to drive.
func socketPair(t *testing.T, tl *testLoop, p BaseProtocol) (*socketTransport, int) {
	t.Helper()
	fds, err := socketpair()
	require.NoError(t, err)
	require.NoError(t, unix.SetNonblock(fds[0], true))
	t.Cleanup(func() { unix.Close(fds[1]) })
	tr := newSocketTransport(tl.Loop, fds[0], unix.AF_UNIX, p, nil, nil, nil)
	return tr, fds[1]
}

// ConnectionLost is called exactly once, on a later iteration, whether the
// transport is closed, aborted, force-closed or broken by a panic.
func TestConnectionLostExactlyOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		act     func(tr *socketTransport, peer int)
		wantErr string // kind of the error given to ConnectionLost, "" for nil
		report  string // exception handler message expected, if any
	}{
		{"close", func(tr *socketTransport, _ int) { tr.Close(); tr.Close() }, "", ""},
		{"abort", func(tr *socketTransport, _ int) { tr.Abort(); tr.Close(); tr.Abort() }, "", ""},
		{"close-then-abort", func(tr *socketTransport, _ int) { tr.Close(); tr.Abort() }, "", ""},
		{"force-close", func(tr *socketTransport, _ int) {
			tr.ForceClose(NewError(KindScriptError, "boom"))
			tr.ForceClose(NewError(KindScriptError, "again"))
		}, KindScriptError, ""},
		{"panic-in-data-received", func(tr *socketTransport, peer int) {
			unix.Write(peer, []byte("x"))
		}, KindRuntimeError, "Fatal error: protocol.data_received() call failed."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tl := newTestLoop(t)
			rec := newRecorder(tl.Loop)
			rec.onData = func(r *recorder, data []byte) { panic("protocol bug") }
			var tr *socketTransport
			var peer int
			rec.onMade = func(r *recorder) {
				tc.act(tr, peer)
				assert.Equal(t, 0, rec.lostN, "ConnectionLost called synchronously")
			}
			tr, peer = socketPair(t, tl, rec)
			err, _ := tl.mustAwait(rec.lost).(error)
			tl.spin(3)
			assert.Equal(t, 1, rec.lostN, "ConnectionLost called %d times", rec.lostN)
			var e *Error
			if tc.wantErr == "" {
				assert.NoError(t, err, "ConnectionLost")
			} else if assert.ErrorAs(t, err, &e, "ConnectionLost") {
				assert.Equal(t, tc.wantErr, e.Kind, "ConnectionLost(%v)", err)
			}
			if tc.report == "" {
				tl.expectNoReports()
			} else {
				assert.Equal(t, []string{tc.report}, tl.reportMessages(), "reports")
			}
			assert.Nil(t, tr.GetProtocol(), "after ConnectionLost: protocol %v, fd %d", tr.GetProtocol(), tr.sock.Fileno())
			assert.Equal(t, -1, tr.sock.Fileno(), "after ConnectionLost: protocol %v, fd %d", tr.GetProtocol(), tr.sock.Fileno())
			assert.True(t, tl.Idle(), "loop not idle after ConnectionLost: a reference leaked")
		})
	}
}

// A TCP transport's extra info (peername, sockname, socket) describes both
// ends of the connection.
func TestExtraInfo(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	var server *recorder
	accepted := tl.NewFuture()
	_, port := tl.serve(func() (BaseProtocol, error) {
		server = newRecorder(tl.Loop)
		server.onMade = func(*recorder) { _ = accepted.SetResult(nil) }
		return server, nil
	}, ListenOptions{})
	client := newRecorder(tl.Loop)
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return client, nil }, "127.0.0.1", port, DialOptions{}))
	tl.mustAwait(accepted)
	peer, _ := client.tr.GetExtraInfo("peername").(*net.TCPAddr)
	local, _ := client.tr.GetExtraInfo("sockname").(*net.TCPAddr)
	require.NotNil(t, peer, "peername = %v", client.tr.GetExtraInfo("peername"))
	assert.Equal(t, port, peer.Port, "peername = %v", client.tr.GetExtraInfo("peername"))
	assert.True(t, peer.IP.Equal(net.IPv4(127, 0, 0, 1)), "peername = %v", client.tr.GetExtraInfo("peername"))
	srvPeer, _ := server.tr.GetExtraInfo("peername").(*net.TCPAddr)
	require.NotNil(t, local, "client sockname %v, server's peername %v", local, srvPeer)
	require.NotNil(t, srvPeer, "client sockname %v, server's peername %v", local, srvPeer)
	assert.Equal(t, local.Port, srvPeer.Port, "client sockname %v, server's peername %v", local, srvPeer)
	sock, _ := client.tr.GetExtraInfo("socket").(*Socket)
	require.NotNil(t, sock, "socket = %v", client.tr.GetExtraInfo("socket"))
	require.GreaterOrEqual(t, sock.Fileno(), 0, "socket = %v", client.tr.GetExtraInfo("socket"))
	require.Equal(t, unix.AF_INET, sock.Family(), "socket = %v", client.tr.GetExtraInfo("socket"))
	require.Equal(t, unix.SOCK_STREAM, sock.Type(), "socket = %v", client.tr.GetExtraInfo("socket"))
	assert.Equal(t, peer.String(), sock.Getpeername().String(), "Getpeername")
	assert.Equal(t, fmt.Sprintf("('127.0.0.1', %d)", port), PyAddr(peer), "PyAddr")
	nodelay, err := unix.GetsockoptInt(sock.Fileno(), unix.IPPROTO_TCP, unix.TCP_NODELAY)
	assert.NoError(t, err, "TCP_NODELAY = %d, %v", nodelay, err)
	assert.NotEqual(t, 0, nodelay, "TCP_NODELAY = %d, %v", nodelay, err)
	assert.Nil(t, client.tr.GetExtraInfo("nonsense"), "unknown key")
	client.tr.Close()
	tl.mustAwait(client.lost)
	assert.Equal(t, -1, sock.Fileno(), "closed socket: fd %d, name %v", sock.Fileno(), sock.Getsockname())
	assert.Nil(t, sock.Getsockname(), "closed socket: fd %d, name %v", sock.Fileno(), sock.Getsockname())
	assert.NotNil(t, client.tr.GetExtraInfo("peername"), "peername forgotten after close (asyncio keeps it)")
	tl.expectNoReports()
}

// A socket transport's and a server's String follow asyncio's reprs, open
// and closing.
func TestTransportAndServerStrings(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	srv, _ := tl.serve(echoFactory, ListenOptions{})
	rec := newRecorder(tl.Loop)
	tr, _ := socketPair(t, tl, rec)
	tl.spin(2)
	assert.Equal(t, fmt.Sprintf("<socket transport fd=%d read=polling write=<idle, bufsize=0>>", tr.sock.Fileno()), tr.String(), "transport")
	tr.Close()
	assert.Contains(t, tr.String(), " closing ", "closing transport")
	assert.True(t, strings.HasPrefix(srv.String(), "<Server sockets=(<socket fd="), "server")
	assert.Contains(t, srv.String(), "laddr=('127.0.0.1', ", "server")
}
