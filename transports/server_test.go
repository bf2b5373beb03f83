package transports

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// pyTwoClients connects two clients to argv[1]; after both read the
// server's welcome byte it prints "ready", then reports how each connection
// ended ("eof" or "reset"), then, once a line arrives on its stdin (the test
// sends it after closing the server), whether a new connection is refused.
const pyTwoClients = `
import socket, sys
port = int(sys.argv[1])
cs = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
for c in cs:
    assert c.recv(1) == b"w"
print("ready", flush=True)
for c in cs:
    try:
        while c.recv(1 << 20):
            pass
        print("eof", flush=True)
    except ConnectionResetError:
        print("reset", flush=True)
sys.stdin.readline()
try:
    socket.create_connection(("127.0.0.1", port))
    print("connected", flush=True)
except ConnectionRefusedError:
    print("refused", flush=True)
`

// welcomeServer serves recorders that write "w" on ConnectionMade; made is
// resolved when n connections are made.
func welcomeServer(tl *testLoop, n int, opts ListenOptions) (*Server, int, *[]*recorder, *loop.Future) {
	var recs []*recorder
	made := tl.NewFuture()
	srv, port := tl.serve(func() (BaseProtocol, error) {
		r := newRecorder(tl.Loop)
		r.onMade = func(r *recorder) {
			_ = r.tr.Write([]byte("w"))
			if len(recs) == n {
				_ = made.SetResult(nil)
			}
		}
		recs = append(recs, r)
		return r, nil
	}, opts)
	return srv, port, &recs, made
}

// Server.Close stops listening but leaves connections open; WaitClosed
// resolves once the server is closed and its connections are gone;
// CloseClients closes them gracefully.
func TestServerCloseWaitClosedCloseClients(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	srv, port, recs, made := welcomeServer(tl, 2, ListenOptions{})
	require.True(t, srv.IsServing(), "serving %v with %d sockets", srv.IsServing(), len(srv.Sockets()))
	require.Len(t, srv.Sockets(), 1, "serving %v with %d sockets", srv.IsServing(), len(srv.Sockets()))
	early := srv.WaitClosed()
	peer := startPython(tl, pyTwoClients, strconv.Itoa(port))
	tl.mustAwait(made)
	srv.Close()
	srv.Close()
	peer.Send("closed")
	assert.False(t, srv.IsServing(), "after Close: serving %v, %d sockets", srv.IsServing(), len(srv.Sockets()))
	assert.Empty(t, srv.Sockets(), "after Close: serving %v, %d sockets", srv.IsServing(), len(srv.Sockets()))
	assert.Empty(t, srv.Addrs(), "after Close: serving %v, %d sockets", srv.IsServing(), len(srv.Sockets()))
	tl.spin(3)
	require.False(t, early.Done(), "WaitClosed resolved while connections are open")
	for _, r := range *recs {
		assert.False(t, r.tr.IsClosing(), "Server.Close closed a connection")
	}
	late := srv.WaitClosed()
	srv.CloseClients()
	tl.mustAwait(early)
	tl.mustAwait(late)
	for _, r := range *recs {
		assert.Equal(t, 1, r.lostN, "ConnectionLost %d times with %v", r.lostN, r.lostErr)
		assert.NoError(t, r.lostErr, "ConnectionLost %d times with %v", r.lostN, r.lostErr)
	}
	assert.True(t, srv.WaitClosed().Done(), "WaitClosed after everything is gone is not done at once")
	assert.Error(t, srv.StartServing(), "StartServing on a closed server succeeded")
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "ready\neof\neof\nrefused\n", out, "peer printed %q", out)
	tl.expectNoReports()
}

// AbortClients drops buffers at once; WaitClosed also resolves when the
// connections go first and the server is closed afterwards.
func TestServerAbortClients(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	srv, port, recs, made := welcomeServer(tl, 2, ListenOptions{})
	wait := srv.WaitClosed()
	peer := startPython(tl, pyTwoClients, strconv.Itoa(port))
	tl.mustAwait(made)
	big := make([]byte, 32<<20)
	for _, r := range *recs {
		_ = r.tr.Write(big)
	}
	srv.AbortClients()
	for _, r := range *recs {
		assert.Equal(t, 0, r.tr.GetWriteBufferSize(), "buffer kept after AbortClients")
		tl.mustAwait(r.lost)
	}
	tl.spin(2)
	require.False(t, wait.Done(), "WaitClosed resolved while the server is open")
	srv.Close()
	peer.Send("closed")
	tl.mustAwait(wait)
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.True(t, strings.HasPrefix(out, "ready\n"), "peer printed %q", out)
	assert.True(t, strings.HasSuffix(out, "refused\n"), "peer printed %q", out)
	tl.expectNoReports()
}

// With DelayServing the socket is bound but not listening (connections are
// refused, as asyncio's start_serving=False) until StartServing.
func TestServerDelayServing(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	srv, port := tl.serve(echoFactory, ListenOptions{DelayServing: true})
	require.False(t, srv.IsServing(), "serving despite DelayServing")
	assert.True(t, tl.Idle(), "a server not serving keeps the loop alive")
	_, err := tl.await(CreateConnection(tl.Loop, echoFactory, "127.0.0.1", port, DialOptions{}))
	expectError(t, err, KindConnectionRefusedError, syscall.ECONNREFUSED, "")
	require.NoError(t, srv.StartServing())
	require.Nil(t, srv.StartServing(), "second StartServing")
	require.True(t, srv.IsServing(), "second StartServing")
	rec := newRecorder(tl.Loop)
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, "127.0.0.1", port, DialOptions{}))
	assert.False(t, tl.Idle(), "a serving server does not keep the loop alive")
	rec.tr.Close()
	srv.Close()
	tl.mustAwait(srv.WaitClosed())
	tl.runIdle()
}

// host "" binds 0.0.0.0 and :: (the IPv6 socket IPV6_V6ONLY).
func TestServerAllInterfaces(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	srv := tl.mustAwait(CreateServer(tl.Loop, echoFactory, "", 0, ListenOptions{DelayServing: true})).(*Server)
	defer srv.Close()
	families := map[int]bool{}
	for _, s := range srv.Sockets() {
		families[s.Family()] = true
		if s.Family() == unix.AF_INET6 {
			v, err := unix.GetsockoptInt(s.Fileno(), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
			assert.NoError(t, err, "IPV6_V6ONLY = %d, %v", v, err)
			assert.Equal(t, 1, v, "IPV6_V6ONLY = %d, %v", v, err)
		}
		v, err := unix.GetsockoptInt(s.Fileno(), unix.SOL_SOCKET, unix.SO_REUSEADDR)
		assert.NoError(t, err, "SO_REUSEADDR = %d, %v", v, err)
		assert.NotEqual(t, 0, v, "SO_REUSEADDR = %d, %v", v, err)
	}
	require.True(t, families[unix.AF_INET], "sockets %v", srv.Sockets())
	assert.True(t, families[unix.AF_INET6], "sockets %v", srv.Sockets())
	assert.Len(t, srv.Sockets(), 2, "sockets %v", srv.Sockets())
}

// Server options reach the socket (SO_REUSEADDR off, SO_REUSEPORT on), and
// bind errors carry asyncio's message.
func TestServerOptionsAndErrors(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	f := false
	srv := tl.mustAwait(CreateServer(tl.Loop, echoFactory, "127.0.0.1", 0, ListenOptions{ReuseAddress: &f, ReusePort: true, DelayServing: true})).(*Server)
	defer srv.Close()
	fd := srv.Sockets()[0].Fileno()
	v, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR)
	assert.Equal(t, 0, v, "SO_REUSEADDR set despite ReuseAddress=false")
	v, _ = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT)
	assert.NotEqual(t, 0, v, "SO_REUSEPORT not set")
	port := srv.Addrs()[0].(*net.TCPAddr).Port
	_, err := tl.await(CreateServer(tl.Loop, echoFactory, "127.0.0.1", port, ListenOptions{}))
	expectError(t, err, KindOSError, syscall.EADDRINUSE, fmt.Sprintf(
		"OSError: [Errno %d] error while attempting to bind on address ('127.0.0.1', %d): [errno %d] address already in use",
		syscall.EADDRINUSE, port, syscall.EADDRINUSE))
	_, err = tl.await(CreateServer(tl.Loop, echoFactory, "127.0.0.1", -1, ListenOptions{}))
	expectError(t, err, KindValueError, 0, "")
	deny := errors.New("denied")
	_, err = tl.await(CreateServer(tl.Loop, echoFactory, "127.0.0.1", 0, ListenOptions{Check: func(string, net.Addr) error { return deny }}))
	expectError(t, err, KindOSError, 0, "OSError: denied")
	assert.True(t, tl.Idle(), "loop referenced after failed CreateServer calls")
}

// sock= serves a listening socket the caller made; the server owns a
// duplicate.
func TestServerFromFile(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	file, err := ln.(*net.TCPListener).File()
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	defer file.Close()
	_, err = tl.await(CreateServer(tl.Loop, echoFactory, "127.0.0.1", 0, ListenOptions{File: file}))
	expectError(t, err, KindValueError, 0, "ValueError: host/port and sock can not be specified at the same time")
	srv := tl.mustAwait(CreateServer(tl.Loop, echoFactory, "", 0, ListenOptions{File: file})).(*Server)
	defer srv.Close()
	assert.Equal(t, port, srv.Addrs()[0].(*net.TCPAddr).Port, "serving")
	peer := startPython(tl, pyEchoClient, strconv.Itoa(port), "through sock=")
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "through sock=", out, "peer got %q", out)

	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer udp.Close()
	ufile, _ := udp.(*net.UDPConn).File()
	defer ufile.Close()
	_, err = tl.await(CreateServer(tl.Loop, echoFactory, "", 0, ListenOptions{File: ufile}))
	assert.True(t, strings.HasPrefix(expectError(t, err, KindValueError, 0, "").Message, "A Stream Socket was expected"), "message")
	tl.expectNoReports()
}

// ConnectAcceptedSocket wraps an already connected socket (a duplicate of
// it) in a transport that reads, writes and closes.
func TestConnectAcceptedSocket(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	fds, err := socketpair()
	require.NoError(t, err)
	defer unix.Close(fds[1])
	file := os.NewFile(uintptr(fds[0]), "pair")
	rec := newRecorder(tl.Loop)
	rec.onData = func(r *recorder, data []byte) { r.tr.Close() }
	conn := tl.mustAwait(ConnectAcceptedSocket(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, file)).(*Connection)
	file.Close() // the transport owns a duplicate
	require.Same(t, rec, conn.Protocol, "connection %+v", conn)
	require.Equal(t, 1, rec.madeN, "connection %+v", conn)
	_, err = unix.Write(fds[1], []byte("hello"))
	require.NoError(t, err)
	tl.mustAwait(rec.lost)
	assert.Equal(t, "hello", rec.data.String(), "received %q", rec.data.String())
	buf := make([]byte, 8)
	n, err := unix.Read(fds[1], buf)
	assert.Equal(t, 0, n, "peer read %d, %v; want EOF", n, err)
	require.NoError(t, err, "peer read %d, %v; want EOF", n, err)
	_, err = tl.await(ConnectAcceptedSocket(tl.Loop, echoFactory, nil))
	expectError(t, err, KindTypeError, 0, "")
}

// A factory that panics costs only that connection: it is closed and the
// error reported, and the server keeps serving.
func TestServerFactoryPanic(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	calls := 0
	_, port := tl.serve(func() (BaseProtocol, error) {
		calls++
		if calls == 1 {
			panic("factory bug")
		}
		return &echo{}, nil
	}, ListenOptions{})
	peer := startPython(tl, `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(repr(s.recv(10)))
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"second")
print(s.recv(10).decode())
`, strconv.Itoa(port))
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "b''\nsecond\n", out, "peer printed %q", out)
	require.Len(t, tl.reportMessages(), 1, "reports")
	assert.Equal(t, "Error on transport creation for incoming connection", tl.reportMessages()[0], "reports")
}

// A factory that returns an error costs only that connection: it is closed
// and the error reported as it is, and the server keeps serving.
func TestServerFactoryError(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	factoryErr := NewError(KindRuntimeError, "no protocol for this one")
	calls := 0
	_, port := tl.serve(func() (BaseProtocol, error) {
		calls++
		if calls == 1 {
			return nil, factoryErr
		}
		return &echo{}, nil
	}, ListenOptions{})
	peer := startPython(tl, `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(repr(s.recv(10)))
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"second")
print(s.recv(10).decode())
`, strconv.Itoa(port))
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "b''\nsecond\n", out, "peer printed %q", out)
	require.Len(t, tl.reportMessages(), 1, "reports")
	assert.Equal(t, "Error on transport creation for incoming connection", tl.reportMessages()[0], "reports")
	assert.Equal(t, 2, calls, "factory calls")
}

// A Unix server replaces a stale socket file, serves a client, and removes
// its file at Close.
func TestUnixServer(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "s.sock")

	// A stale socket file (bound, never unlinked) is replaced.
	stale, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	require.NoError(t, unix.Bind(stale, &unix.SockaddrUnix{Name: path}))
	unix.Close(stale)

	var rec *recorder
	srv := tl.mustAwait(CreateUnixServer(tl.Loop, func() (BaseProtocol, error) {
		rec = newRecorder(tl.Loop)
		rec.onData = func(r *recorder, data []byte) { _ = r.tr.Write(data) }
		return rec, nil
	}, path, ListenOptions{})).(*Server)
	a, _ := srv.Addrs()[0].(*net.UnixAddr)
	require.NotNil(t, a, "Addrs %v", srv.Addrs())
	assert.Equal(t, path, a.Name, "Addrs %v", srv.Addrs())
	peer := startPython(tl, `
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"over unix")
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = s.recv(100)
    if not b:
        break
    out += b
print(out.decode())
`, path)
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "over unix\n", out, "peer printed %q", out)
	tl.mustAwait(rec.lost)
	a, _ = rec.tr.GetExtraInfo("sockname").(*net.UnixAddr)
	require.NotNil(t, a, "sockname %v", rec.tr.GetExtraInfo("sockname"))
	assert.Equal(t, path, a.Name, "sockname %v", rec.tr.GetExtraInfo("sockname"))
	_, ok := rec.tr.GetExtraInfo("peername").(*net.UnixAddr)
	assert.True(t, ok, "peername %#v", rec.tr.GetExtraInfo("peername"))
	assert.Equal(t, unix.AF_UNIX, rec.tr.GetExtraInfo("socket").(*Socket).Family(), "family")

	// A second server on a live socket's path replaces it, as asyncio does.
	// A path that is not a socket is left alone: binding fails.
	srv.Close()
	_, err := os.Stat(path)
	assert.True(t, os.IsNotExist(err), "socket file still there after Close: %v", err)
	regular := filepath.Join(dir, "regular")
	require.NoError(t, os.WriteFile(regular, []byte("keep"), 0o600))
	_, err = tl.await(CreateUnixServer(tl.Loop, echoFactory, regular, ListenOptions{}))
	expectError(t, err, KindOSError, syscall.EADDRINUSE, fmt.Sprintf("OSError: [Errno %d] Address '%s' is already in use", syscall.EADDRINUSE, regular))
	b, err := os.ReadFile(regular)
	require.NoError(t, err, "regular file damaged: %q, %v", b, err)
	assert.Equal(t, "keep", string(b), "regular file damaged: %q, %v", b, err)
	_, err = tl.await(CreateUnixServer(tl.Loop, echoFactory, "", ListenOptions{}))
	expectError(t, err, KindValueError, 0, "")
	tl.expectNoReports()
}

// Closing a Unix server leaves a file alone that another server bound at the
// same path since.
func TestUnixServerCloseKeepsReplacedFile(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	path := filepath.Join(t.TempDir(), "s.sock")
	first := tl.mustAwait(CreateUnixServer(tl.Loop, echoFactory, path, ListenOptions{})).(*Server)
	second := tl.mustAwait(CreateUnixServer(tl.Loop, echoFactory, path, ListenOptions{})).(*Server)
	first.Close()
	_, err := os.Stat(path)
	assert.NoError(t, err, "closing the first server removed the second's file")
	second.Close()
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err), "file left after the second server closed: %v", err)
}

// A Unix connection to a python3 server receives its data and then EOF.
func TestUnixConnection(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	path := filepath.Join(t.TempDir(), "py.sock")
	peer := startPython(tl, `
import socket, sys
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(1)
print("listening", flush=True)
c, _ = srv.accept()
c.sendall(b"hi from python")
c.close()
`, path)
	peer.ReadLine()
	rec := newRecorder(tl.Loop)
	var checked []string
	tl.mustAwait(CreateUnixConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, path, DialOptions{
		Check: func(network string, addr net.Addr) error {
			checked = append(checked, network+" "+addr.String())
			return nil
		},
	}))
	tl.mustAwait(rec.lost)
	tl.mustAwait(peer.Output(tl))
	assert.Equal(t, "hi from python", rec.data.String(), "got %q, events %v", rec.data.String(), rec.events)
	assert.Equal(t, "made,data,eof,lost", eventsString(rec.events), "got %q, events %v", rec.data.String(), rec.events)
	a, _ := rec.tr.GetExtraInfo("peername").(*net.UnixAddr)
	require.NotNil(t, a, "peername %v", rec.tr.GetExtraInfo("peername"))
	assert.Equal(t, path, a.Name, "peername %v", rec.tr.GetExtraInfo("peername"))
	require.Len(t, checked, 1, "Check saw %q", checked)
	assert.Equal(t, "unix "+path, checked[0], "Check saw %q", checked)
	tl.expectNoReports()
}

// A thousand connections come and go without leaving a descriptor open or
// the loop referenced.
func TestNoDescriptorLeak(t *testing.T) {
	tl := newTestLoop(t)
	round := func(n, parallel int) {
		srv := tl.mustAwait(CreateServer(tl.Loop, echoFactory, "127.0.0.1", 0, ListenOptions{})).(*Server)
		port := srv.Addrs()[0].(*net.TCPAddr).Port
		done := tl.NewFuture()
		started, finished := 0, 0
		var start func()
		start = func() {
			started++
			rec := newRecorder(tl.Loop)
			rec.onMade = func(r *recorder) { _ = r.tr.Write([]byte("ping")) }
			rec.onData = func(r *recorder, _ []byte) {
				if r.data.String() == "ping" {
					r.tr.Close()
				}
			}
			rec.onLost = func(r *recorder, err error) {
				assert.NoError(t, err, "connection ended with %v after %q", err, r.data.String())
				assert.Equal(t, "ping", r.data.String(), "connection ended with %v after %q", err, r.data.String())
				finished++
				if started < n {
					start()
				} else if finished == n {
					_ = done.SetResult(nil)
				}
			}
			fut := CreateConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, "127.0.0.1", port, DialOptions{})
			fut.AddDoneCallback(func(f *loop.Future) {
				if err := f.Exception(); err != nil {
					assert.NoError(t, err, "connect")
					_ = done.SetResult(nil)
				}
			})
		}
		for i := 0; i < parallel; i++ {
			start()
		}
		tl.mustAwait(done)
		require.Equal(t, n, finished, "%d of %d connections finished", finished, n)
		srv.Close()
		tl.mustAwait(srv.WaitClosed())
		tl.runIdle()
	}
	round(10, 2) // warm up anything the runtime opens once
	before := countFDs(t)
	round(1000, 20)
	assert.Equal(t, before, countFDs(t), "descriptors before and after")
	tl.expectNoReports()
}

// Each readiness event of a listener accepts up to backlog connections.
func TestAcceptUpToBacklogPerEvent(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	made := 0
	srv, port := tl.serve(func() (BaseProtocol, error) {
		r := newRecorder(tl.Loop)
		r.onMade = func(*recorder) { made++ }
		return r, nil
	}, ListenOptions{DelayServing: true, Backlog: 2})
	ln := srv.listeners[0]
	events := 0
	ln.onReady = func() { events++; ln.acceptReady() }
	require.NoError(t, srv.StartServing())
	// Three connections fit a backlog-2 queue (Linux holds backlog+1) while
	// the loop is not running; the accept loop takes at most two per event.
	for i := 0; i < 3; i++ {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
		require.NoError(t, err)
		defer c.Close()
	}
	for i := 0; i < 1000 && made < 3; i++ {
		tl.spin(1)
	}
	require.Equal(t, 3, made, "%d connections made, %d tracked", made, len(srv.clients))
	require.Len(t, srv.clients, 3, "%d connections made, %d tracked", made, len(srv.clients))
	assert.Equal(t, 2, events, "%d readiness events for 3 connections with backlog 2, want 2", events)
	srv.AbortClients()
	srv.Close()
	tl.mustAwait(srv.WaitClosed())
}

// A server gets one socket per resolved address.
func TestServerBindsEveryAddress(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	ips := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}
	srv, err := bindTCP(tl.Loop, echoFactory, ips, 0, ListenOptions{})
	require.Nil(t, err) // a *Error
	defer srv.Close()
	require.Len(t, srv.Sockets(), 2, "sockets %v", srv.Sockets())
	require.Equal(t, unix.AF_INET, srv.Sockets()[0].Family(), "sockets %v", srv.Sockets())
	assert.Equal(t, unix.AF_INET6, srv.Sockets()[1].Family(), "sockets %v", srv.Sockets())
}
