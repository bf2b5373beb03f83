package transports

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// freePort returns a 127.0.0.1 port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	fd, err := sysSocket(unix.AF_INET, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	defer unix.Close(fd)
	require.NoError(t, unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	sa, _ := unix.Getsockname(fd)
	return sa.(*unix.SockaddrInet4).Port
}

// expectError fails the test unless err is an *Error of kind with errno
// and, when text is not empty, exactly that text; it returns the *Error.
func expectError(t *testing.T, err error, kind string, errno syscall.Errno, text string) *Error {
	t.Helper()
	var e *Error
	require.ErrorAs(t, err, &e, "want an *Error")
	assert.Equal(t, kind, e.Kind, "kind of %q", e.Error())
	assert.Equal(t, errno, e.Errno, "errno of %q", e.Error())
	if text != "" {
		assert.Equal(t, text, e.Error())
	}
	return e
}

// A connect to a closed port fails with asyncio's ConnectionRefusedError
// (errno and text) and leaves the loop unreferenced.
func TestConnectRefused(t *testing.T) {
	tl := newTestLoop(t)
	port := freePort(t)
	_, err := tl.await(CreateConnection(tl.Loop, echoFactory, "127.0.0.1", port, DialOptions{}))
	expectError(t, err, KindConnectionRefusedError, syscall.ECONNREFUSED,
		fmt.Sprintf("ConnectionRefusedError: [Errno %d] Connect call failed ('127.0.0.1', %d)", syscall.ECONNREFUSED, port))
	assert.True(t, tl.Idle(), "a failed connect left the loop referenced")
	tl.expectNoReports()
}

// host "" is getaddrinfo(None): ::1 then 127.0.0.1. When every address
// refuses, the error keeps the common kind with asyncio's combined message.
func TestConnectAllRefused(t *testing.T) {
	tl := newTestLoop(t)
	port := freePort(t)
	_, err := tl.await(CreateConnection(tl.Loop, echoFactory, "", port, DialOptions{}))
	e := expectError(t, err, KindConnectionRefusedError, 0, "")
	want := fmt.Sprintf("Multiple exceptions: [Errno %d] Connect call failed ('::1', %d, 0, 0), [Errno %d] Connect call failed ('127.0.0.1', %d)",
		syscall.ECONNREFUSED, port, syscall.ECONNREFUSED, port)
	assert.Equal(t, want, e.Message, "message %q, want %q", e.Message, want)
}

// A Unix connect to a path nobody listens on fails with FileNotFoundError.
func TestConnectUnixMissingPath(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	path := filepath.Join(t.TempDir(), "nobody.sock")
	_, err := tl.await(CreateUnixConnection(tl.Loop, echoFactory, path, DialOptions{}))
	expectError(t, err, KindFileNotFoundError, syscall.ENOENT, "FileNotFoundError: [Errno 2] No such file or directory")
}

// Check vets each address before a socket is made for it; its error fails
// the operation.
func TestConnectCheck(t *testing.T) {
	tl := newTestLoop(t)
	_, port := tl.serve(echoFactory, ListenOptions{})
	var seen []string
	deny := NewError(KindPermissionError, `net access to "127.0.0.1" denied`)
	before := countFDs(t)
	_, err := tl.await(CreateConnection(tl.Loop, echoFactory, "127.0.0.1", port, DialOptions{
		Check: func(network string, addr net.Addr) error {
			seen = append(seen, network+" "+addr.String())
			return deny
		},
	}))
	assert.Equal(t, deny, err, "error %v, want the Check's", err)
	require.Len(t, seen, 1, "Check saw")
	assert.Equal(t, fmt.Sprintf("tcp 127.0.0.1:%d", port), seen[0], "Check saw")
	assert.Equal(t, before, countFDs(t), "descriptors before and after")
}

// LocalAddr binds the client socket: a matching address is used, one of
// another family or one already in use fails the connect.
func TestConnectLocalAddr(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	_, port := tl.serve(echoFactory, ListenOptions{})
	rec := newRecorder(tl.Loop)
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, "127.0.0.1", port, DialOptions{LocalAddr: "127.0.0.1:0"}))
	a, _ := rec.tr.GetExtraInfo("sockname").(*net.TCPAddr)
	require.NotNil(t, a, "sockname %v", rec.tr.GetExtraInfo("sockname"))
	assert.True(t, a.IP.Equal(net.IPv4(127, 0, 0, 1)), "sockname %v", rec.tr.GetExtraInfo("sockname"))
	rec.tr.Close()

	_, err := tl.await(CreateConnection(tl.Loop, echoFactory, "127.0.0.1", port, DialOptions{LocalAddr: "[::1]:0"}))
	expectError(t, err, KindOSError, 0, "OSError: no matching local address with family=AddressFamily.AF_INET found")

	_, err = tl.await(CreateConnection(tl.Loop, echoFactory, "127.0.0.1", port, DialOptions{LocalAddr: fmt.Sprintf("127.0.0.1:%d", port)}))
	expectError(t, err, KindOSError, syscall.EADDRINUSE, fmt.Sprintf(
		"OSError: [Errno %d] error while attempting to bind on address ('127.0.0.1', %d): [errno %d] address already in use",
		syscall.EADDRINUSE, port, syscall.EADDRINUSE))
	tl.expectNoReports()
}

// stalledListener listens on loopback of family with a full accept queue,
// so that a new connection attempt hangs (the kernel drops its SYN).
func stalledListener(t *testing.T, family int) int {
	t.Helper()
	lfd, err := sysSocket(family, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	t.Cleanup(func() { unix.Close(lfd) })
	var sa unix.Sockaddr = &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if family == unix.AF_INET6 {
		sa = &unix.SockaddrInet6{Addr: netip.IPv6Loopback().As16()}
	}
	require.Nil(t, unix.Bind(lfd, sa), "bind loopback (family")
	require.NoError(t, unix.Listen(lfd, 0))
	got, _ := unix.Getsockname(lfd)
	var port int
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		port = a.Port
	case *unix.SockaddrInet6:
		port = a.Port
	}
	// One completed connection fills a backlog-0 queue.
	cfd, err := sysSocket(family, unix.SOCK_STREAM, 0)
	require.NoError(t, err)
	require.NoError(t, unix.SetNonblock(cfd, false))
	t.Cleanup(func() { unix.Close(cfd) })
	require.NoError(t, unix.Connect(cfd, got), "filling the accept queue")
	return port
}

// With happy eyeballs, the next address is tried after the delay while the
// first attempt hangs; the winner's rivals are closed.
func TestHappyEyeballsStaggers(t *testing.T) {
	tl := newTestLoop(t)
	var port int
	var srv *Server
	accepted := tl.NewFuture()
	factory := func() (BaseProtocol, error) {
		r := newRecorder(tl.Loop)
		r.onMade = func(*recorder) { _ = accepted.SetResult(nil) }
		return r, nil
	}
	for try := 0; srv == nil; try++ {
		port = stalledListener(t, unix.AF_INET6)
		v, err := tl.await(CreateServer(tl.Loop, factory, "127.0.0.1", port, ListenOptions{}))
		if err == nil {
			srv = v.(*Server)
		} else if try == 5 {
			t.Fatalf("no port free on both ::1 and 127.0.0.1: %v", err)
		}
	}
	t.Cleanup(srv.Close)
	before := countFDs(t)
	rec := newRecorder(tl.Loop)
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, "", port, DialOptions{HappyEyeballsDelay: 30 * time.Millisecond}))
	a, _ := rec.tr.GetExtraInfo("peername").(*net.TCPAddr)
	require.NotNil(t, a, "connected to %v, want 127.0.0.1", rec.tr.GetExtraInfo("peername"))
	require.NotNil(t, a.IP.To4(), "connected to %v, want 127.0.0.1", rec.tr.GetExtraInfo("peername"))
	tl.mustAwait(accepted)
	// The client transport and the accepted one; the hung IPv6 attempt is
	// closed.
	assert.Equal(t, before+2, countFDs(t), "descriptors: the losing attempt leaked")
	tl.expectNoReports()
}

// A failed attempt starts the next one at once, without waiting for the
// delay; without happy eyeballs, addresses are tried in turn.
func TestConnectFallsThroughRefusedAddress(t *testing.T) {
	t.Parallel()
	for _, delay := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprint(delay), func(t *testing.T) {
			t.Parallel()
			tl := newTestLoop(t)
			_, port := tl.serve(echoFactory, ListenOptions{}) // 127.0.0.1 only: ::1 refuses
			rec := newRecorder(tl.Loop)
			tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, "", port, DialOptions{HappyEyeballsDelay: delay}))
			a, _ := rec.tr.GetExtraInfo("peername").(*net.TCPAddr)
			require.NotNil(t, a, "peername %v", rec.tr.GetExtraInfo("peername"))
			assert.Equal(t, port, a.Port, "peername %v", rec.tr.GetExtraInfo("peername"))
			require.NotNil(t, a.IP.To4(), "peername %v", rec.tr.GetExtraInfo("peername"))
			tl.expectNoReports()
		})
	}
}

// Cancelling the Future closes the pending attempt and releases the loop.
func TestConnectCancel(t *testing.T) {
	tl := newTestLoop(t)
	port := stalledListener(t, unix.AF_INET)
	before := countFDs(t)
	made := false
	fut := CreateConnection(tl.Loop, func() (BaseProtocol, error) { made = true; return &echo{}, nil }, "127.0.0.1", port, DialOptions{})
	tl.CallSoon(func() { tl.CallSoon(func() { fut.Cancel() }) })
	_, err := tl.await(fut)
	assert.Equal(t, loop.ErrCancelled, err, "await = %v, want cancelled", err)
	tl.runIdle() // returns only if nothing holds the loop
	assert.False(t, made, "protocol factory called for a cancelled connect")
	assert.Equal(t, before, countFDs(t), "descriptors before and after")
}

// interleaveByFamily alternates the address families, starting with the
// first address's, as asyncio's _interleave_addrinfos.
func TestInterleaveByFamily(t *testing.T) {
	t.Parallel()
	mk := func(s string) dialTarget {
		ip := netip.MustParseAddr(s)
		f, sa := ipSockaddr(ip, 1)
		return dialTarget{family: f, sa: sa, addr: ipNetAddr(ip, 1)}
	}
	in := []dialTarget{mk("::1"), mk("::2"), mk("::3"), mk("10.0.0.1"), mk("10.0.0.2")}
	var got []string
	for _, d := range interleaveByFamily(in) {
		got = append(got, d.addr.(*net.TCPAddr).IP.String())
	}
	assert.Equal(t, "::1 10.0.0.1 ::2 10.0.0.2 ::3", strings.Join(got, " "), "interleaved")
}

// A literal address is used without the resolver: the callback runs before
// lookupHost returns.
func TestLiteralNeedsNoResolver(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	for _, host := range []string{"127.0.0.1", "::1", "fe80::1%1", "::ffff:127.0.0.1"} {
		called := false
		lookupHost(tl.Loop, host, false, func(ips []netip.Addr, err error) {
			called = true
			assert.NoError(t, err, "%s: %v %v", host, ips, err)
			assert.Len(t, ips, 1, "%s: %v %v", host, ips, err)
		})
		assert.True(t, called, "%s went to the resolver", host)
		assert.True(t, tl.Idle(), "%s: loop referenced", host)
	}
}

// GetAddrInfo resolves off the loop thread into stream/TCP entries with the
// port, and takes literal addresses as they are.
func TestGetAddrInfo(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	infos := tl.mustAwait(GetAddrInfo(tl.Loop, "localhost", 8080)).([]AddrInfo)
	found := false
	for _, ai := range infos {
		assert.Equal(t, unix.SOCK_STREAM, ai.Type, "entry %+v", ai)
		assert.Equal(t, unix.IPPROTO_TCP, ai.Proto, "entry %+v", ai)
		assert.Equal(t, 8080, ai.Port, "entry %+v", ai)
		if ai.Family == unix.AF_INET && ai.IP.Equal(net.IPv4(127, 0, 0, 1)) {
			found = true
		}
	}
	assert.True(t, found, "localhost resolved to %+v", infos)
	infos = tl.mustAwait(GetAddrInfo(tl.Loop, "::1", 0)).([]AddrInfo)
	require.Len(t, infos, 1, "::1 = %+v", infos)
	assert.Equal(t, unix.AF_INET6, infos[0].Family, "::1 = %+v", infos)
	_, err := tl.await(GetAddrInfo(tl.Loop, "127.0.0.1", 70000))
	expectError(t, err, KindValueError, 0, "ValueError: port must be 0-65535, not 70000")
	assert.True(t, tl.Idle(), "loop referenced after GetAddrInfo")
}

// Resolver errors become asyncio's gaierror, with its errno and text,
// counted as OSError and wrapping the cause.
func TestGaiErrorMapping(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		want string
	}{
		{&net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, "gaierror: [Errno -2] Name or service not known"},
		{&net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}, "gaierror: [Errno -3] Temporary failure in name resolution"},
		{errors.New("weird"), "gaierror: [Errno -4] Non-recoverable failure in name resolution"},
	}
	for _, tc := range cases {
		e := gaiError(tc.err)
		assert.Equal(t, tc.want, e.Error(), "gaiError(%v) = %q", tc.err, e.Error())
		assert.Equal(t, KindGaiError, MapError(e).Kind, "gaiError(%v) = %q", tc.err, e.Error())
		assert.True(t, IsOSError(e), "gaiError(%v) = %q", tc.err, e.Error())
		assert.ErrorIs(t, e, tc.err, "gaiError(%v) = %q", tc.err, e.Error())
	}
}

// MapError gives errno errors, wrapped or not, the kinds of asyncio's
// OSError subclasses, and OSError for the rest.
func TestMapError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		kind string
	}{
		{syscall.ECONNRESET, KindConnectionResetError},
		{syscall.EPIPE, KindBrokenPipeError},
		{syscall.ECONNREFUSED, KindConnectionRefusedError},
		{syscall.ECONNABORTED, KindConnectionAbortedError},
		{syscall.ETIMEDOUT, KindTimeoutError},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), KindConnectionResetError},
		{&os.SyscallError{Syscall: "write", Err: syscall.EPIPE}, KindBrokenPipeError},
		{syscall.EADDRINUSE, KindOSError},
		{errors.New("plain"), KindOSError},
	}
	for _, tc := range cases {
		e := MapError(tc.err)
		assert.Equal(t, tc.kind, e.Kind, "MapError(%v) = %s", tc.err, e.Kind)
		assert.True(t, IsOSError(e), "MapError(%v) = %s", tc.err, e.Kind)
	}
	assert.Equal(t, fmt.Sprintf("BrokenPipeError: [Errno %d] Broken pipe", syscall.EPIPE), MapError(syscall.EPIPE).Error(), "EPIPE reads")
	assert.Nil(t, MapError(nil), "nil did not map to nil")
	assert.False(t, IsOSError(NewError(KindRuntimeError, "x")), "RuntimeError/ScriptError counted as OSError")
	assert.False(t, IsOSError(NewError(KindScriptError, "x")), "RuntimeError/ScriptError counted as OSError")
}

// A name goes through the resolver (off the loop thread) and connects.
func TestConnectByName(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	srv, port := tl.serve(echoFactory, ListenOptions{})
	rec := newRecorder(tl.Loop)
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, "localhost", port, DialOptions{LocalAddr: "localhost:0"}))
	a, _ := rec.tr.GetExtraInfo("peername").(*net.TCPAddr)
	require.NotNil(t, a, "peername %v", rec.tr.GetExtraInfo("peername"))
	assert.Equal(t, port, a.Port, "peername %v", rec.tr.GetExtraInfo("peername"))
	rec.tr.Close()
	tl.mustAwait(rec.lost)
	srv.Close()
	tl.runIdle() // nothing (no resolver reference) is left holding the loop
	tl.expectNoReports()
}

// A protocol factory that panics fails the connect with a RuntimeError and
// leaves no socket behind.
func TestConnectFactoryPanic(t *testing.T) {
	tl := newTestLoop(t)
	_, port := tl.serve(echoFactory, ListenOptions{})
	tl.spin(1)
	before := countFDs(t)
	_, err := tl.await(CreateConnection(tl.Loop, func() (BaseProtocol, error) { panic("no protocol for you") }, "127.0.0.1", port, DialOptions{}))
	assert.Equal(t, "panic in protocol factory: no protocol for you", expectError(t, err, KindRuntimeError, 0, "").Message, "message")
	_, err = tl.await(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return nil, nil }, "127.0.0.1", port, DialOptions{}))
	expectError(t, err, KindTypeError, 0, "TypeError: protocol factory returned nil")
	tl.spin(3) // let the server side notice the closed connections
	assert.Equal(t, before, countFDs(t), "descriptors before and after")
}

// A protocol factory that returns an error fails the connect with that very
// error and leaves no socket behind.
func TestConnectFactoryError(t *testing.T) {
	tl := newTestLoop(t)
	_, port := tl.serve(echoFactory, ListenOptions{})
	tl.spin(1)
	before := countFDs(t)
	factoryErr := NewError(KindValueError, "no protocol for you")
	_, err := tl.await(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return nil, factoryErr }, "127.0.0.1", port, DialOptions{}))
	require.ErrorIs(t, err, factoryErr, "the factory's error")
	tl.spin(3) // let the server side notice the closed connection
	assert.Equal(t, before, countFDs(t), "descriptors before and after")
}
