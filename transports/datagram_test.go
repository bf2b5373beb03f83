package transports

import (
	"bytes"
	"fmt"
	"math/rand"
	"net"
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
)

// dgramRecorder is a DatagramProtocol recording its callbacks; hooks let a
// test act in them.
type dgramRecorder struct {
	tr        DatagramTransport
	events    []string
	datagrams [][]byte
	addrs     []net.Addr
	errs      []error
	pauses    int
	resumes   int
	lostErr   error
	lostN     int
	lost      *loop.Future
	onMade    func(r *dgramRecorder)
	onData    func(r *dgramRecorder, data []byte, addr net.Addr)
	onError   func(r *dgramRecorder, err error)
	onResume  func(r *dgramRecorder)
}

func newDgramRecorder(l *loop.Loop) *dgramRecorder { return &dgramRecorder{lost: l.NewFuture()} }

func (r *dgramRecorder) ConnectionMade(t BaseTransport) {
	r.tr = t.(DatagramTransport)
	r.events = append(r.events, "made")
	if r.onMade != nil {
		r.onMade(r)
	}
}

func (r *dgramRecorder) DatagramReceived(data []byte, addr net.Addr) {
	r.events = append(r.events, "datagram")
	r.datagrams = append(r.datagrams, append([]byte(nil), data...))
	r.addrs = append(r.addrs, addr)
	if r.onData != nil {
		r.onData(r, data, addr)
	}
}

func (r *dgramRecorder) ErrorReceived(err error) {
	r.events = append(r.events, "error")
	r.errs = append(r.errs, err)
	if r.onError != nil {
		r.onError(r, err)
	}
}

func (r *dgramRecorder) ConnectionLost(err error) {
	r.lostN++
	r.lostErr = err
	r.events = append(r.events, "lost")
	if !r.lost.Done() {
		_ = r.lost.SetResult(err)
	}
}

func (r *dgramRecorder) PauseWriting() {
	r.pauses++
	r.events = append(r.events, "pause")
}

func (r *dgramRecorder) ResumeWriting() {
	r.resumes++
	r.events = append(r.events, "resume")
	if r.onResume != nil {
		r.onResume(r)
	}
}

// writeLimiter is what the datagram transport offers beyond the interface.
type writeLimiter interface {
	GetWriteBufferLimits() (low, high int)
	SetWriteBufferLimits(high, low *int) error
}

// datagramSizes are the payload sizes the echo tests send: the edges, a few
// usual ones and random ones, up to UDP's maximum of 65,507 bytes.
func datagramSizes(seed int64) []int {
	sizes := []int{0, 1, 2, 3, 7, 8, 100, 508, 1023, 1024, 1025, 1472, 1473, 4096, 8192, 9000, 16384, 32768, 65000, 65506, 65507}
	rng := rand.New(rand.NewSource(seed))
	for i := 0; i < 20; i++ {
		sizes = append(sizes, rng.Intn(65508))
	}
	return sizes
}

// pyUDPEcho echoes every datagram until it gets b"QUIT-NOW".
const pyUDPEcho = `
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
print(s.getsockname()[1], flush=True)
while True:
    d, a = s.recvfrom(70000)
    if d == b"QUIT-NOW":
        break
    s.sendto(d, a)
print("bye")
`

// A connected endpoint exchanges datagrams of every size up to the maximum
// with a python3 echo peer, in lockstep, over IPv4 and (where ::1 works)
// IPv6; each comes back whole from the peer's address.
func TestDatagramEchoConnected(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
			t.Parallel()
			if host == "::1" && !ipv6Loopback() {
				t.Skip("no IPv6 loopback here")
			}
			tl := newTestLoop(t)
			peer := startPython(tl, pyUDPEcho, host)
			port, _ := strconv.Atoi(peer.ReadLine())
			sizes := datagramSizes(11)
			payloads := make([][]byte, len(sizes))
			for i, n := range sizes {
				payloads[i] = randomBytes(n, int64(i))
			}
			var rec *dgramRecorder
			next := 0
			remote := net.JoinHostPort(host, strconv.Itoa(port))
			fut := CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) {
				rec = newDgramRecorder(tl.Loop)
				rec.onMade = func(r *dgramRecorder) {
					assert.NoError(t, r.tr.SendTo(payloads[0], nil), "SendTo")
				}
				rec.onData = func(r *dgramRecorder, data []byte, addr net.Addr) {
					assert.True(t, bytes.Equal(data, payloads[next]), "datagram %d: got %d bytes, want %d (whole and equal)", next, len(data), len(payloads[next]))
					ua, ok := addr.(*net.UDPAddr)
					require.True(t, ok, "datagram from %v, want %s", addr, remote)
					assert.Equal(t, port, ua.Port, "datagram from %v, want %s", addr, remote)
					assert.True(t, ua.IP.Equal(net.ParseIP(host)), "datagram from %v, want %s", addr, remote)
					next++
					if next == len(payloads) {
						_ = r.tr.SendTo([]byte("QUIT-NOW"), nil)
						r.tr.Close()
						return
					}
					_ = r.tr.SendTo(payloads[next], nil)
				}
				return rec, nil
			}, DatagramOptions{RemoteAddr: remote})
			conn := tl.mustAwait(fut).(*Connection)
			assert.Same(t, rec, conn.Protocol, "Connection.Protocol = %v", conn.Protocol)
			require.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
			out := tl.mustAwait(peer.Output(tl)).(string)
			assert.Equal(t, "bye", strings.TrimSpace(out), "peer said %q", out)
			require.Equal(t, len(payloads), next, "%d of %d datagrams echoed", next, len(payloads))
			assert.Empty(t, rec.errs, "errors: %v", rec.errs)
			peerName := conn.Transport.GetExtraInfo("peername")
			ua, ok := peerName.(*net.UDPAddr)
			require.True(t, ok, "peername = %v", peerName)
			assert.Equal(t, port, ua.Port, "peername = %v", peerName)
			tl.expectNoReports()
		})
	}
}

func ipv6Loopback() bool {
	c, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// pyUDPClient sends each size to our server and checks the echo.
const pyUDPClient = `
import socket, sys, random
port = int(sys.argv[1])
sizes = [int(x) for x in sys.argv[2].split(",")]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(15)
for i, n in enumerate(sizes):
    d = bytes(random.Random(i).getrandbits(8) for _ in range(min(n, 64))) * (n // 64 + 1)
    d = d[:n]
    s.sendto(d, ("127.0.0.1", port))
    back, a = s.recvfrom(70000)
    assert back == d, (i, n, len(back))
    assert a == ("127.0.0.1", port), a
s.sendto(b"done", ("127.0.0.1", port))
print("ok", len(sizes), s.getsockname()[1])
`

// An unconnected endpoint serves a python3 client: it receives each
// datagram (0 to 65,507 bytes) with the sender's address and answers with
// SendTo to that address.
func TestDatagramServerEchoesToSender(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	var rec *dgramRecorder
	fut := CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) {
		rec = newDgramRecorder(tl.Loop)
		rec.onData = func(r *dgramRecorder, data []byte, addr net.Addr) {
			if string(data) == "done" {
				r.tr.Close()
				return
			}
			err := r.tr.SendTo(data, addr)
			assert.NoError(t, err, "SendTo(%v): %v", addr, err)
		}
		return rec, nil
	}, DatagramOptions{LocalAddr: "127.0.0.1:0"})
	conn := tl.mustAwait(fut).(*Connection)
	local := conn.Transport.GetExtraInfo("sockname").(*net.UDPAddr)
	assert.Nil(t, conn.Transport.GetExtraInfo("peername"), "unconnected endpoint has a peername")
	sizes := datagramSizes(5)
	strs := make([]string, len(sizes))
	for i, n := range sizes {
		strs[i] = strconv.Itoa(n)
	}
	peer := startPython(tl, pyUDPClient, strconv.Itoa(local.Port), strings.Join(strs, ","))
	out := tl.mustAwait(peer.Output(tl)).(string)
	tl.mustAwait(rec.lost)
	fields := strings.Fields(out)
	require.Len(t, fields, 3, "peer said %q", out)
	require.Equal(t, "ok", fields[0], "peer said %q", out)
	require.Equal(t, strconv.Itoa(len(sizes)), fields[1], "peer said %q", out)
	clientPort, _ := strconv.Atoi(fields[2])
	for i, a := range rec.addrs {
		ua, ok := a.(*net.UDPAddr)
		require.True(t, ok, "datagram %d from %v, want 127.0.0.1:%d", i, a, clientPort)
		require.Equal(t, clientPort, ua.Port, "datagram %d from %v, want 127.0.0.1:%d", i, a, clientPort)
		require.True(t, ua.IP.Equal(net.IPv4(127, 0, 0, 1)), "datagram %d from %v, want 127.0.0.1:%d", i, a, clientPort)
	}
	for i, n := range sizes {
		assert.Len(t, rec.datagrams[i], n, "datagram %d", i)
	}
	tl.expectNoReports()
}

// pyUnixDgramClient binds its own path, sends sizes to ours and checks the
// echoes.
const pyUnixDgramClient = `
import socket, sys
server, mine = sys.argv[1], sys.argv[2]
sizes = [int(x) for x in sys.argv[3].split(",")]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(mine)
s.settimeout(15)
for i, n in enumerate(sizes):
    d = bytes([i % 256]) * n
    s.sendto(d, server)
    back, a = s.recvfrom(300000)
    assert back == d, (i, n, len(back))
    assert a == server, a
s.sendto(b"done", server)
print("ok", len(sizes))
`

// A Unix datagram endpoint bound to a path serves a python3 client bound to
// another path: datagrams arrive whole with the sender's path and go back
// with SendTo.
func TestDatagramUnix(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	dir := t.TempDir()
	server, client := filepath.Join(dir, "srv.sock"), filepath.Join(dir, "cli.sock")
	var rec *dgramRecorder
	fut := CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) {
		rec = newDgramRecorder(tl.Loop)
		rec.onData = func(r *dgramRecorder, data []byte, addr net.Addr) {
			if string(data) == "done" {
				r.tr.Close()
				return
			}
			err := r.tr.SendTo(data, addr)
			assert.NoError(t, err, "SendTo(%v): %v", addr, err)
		}
		return rec, nil
	}, DatagramOptions{Network: "unix", LocalAddr: server})
	conn := tl.mustAwait(fut).(*Connection)
	a, ok := conn.Transport.GetExtraInfo("sockname").(*net.UnixAddr)
	require.True(t, ok, "sockname = %v", conn.Transport.GetExtraInfo("sockname"))
	assert.Equal(t, server, a.Name, "sockname = %v", conn.Transport.GetExtraInfo("sockname"))
	assert.Equal(t, "unixgram", a.Net, "sockname = %v", conn.Transport.GetExtraInfo("sockname"))
	sizes := []int{0, 1, 100, 4096, 65507, 100000}
	strs := make([]string, len(sizes))
	for i, n := range sizes {
		strs[i] = strconv.Itoa(n)
	}
	peer := startPython(tl, pyUnixDgramClient, server, client, strings.Join(strs, ","))
	out := tl.mustAwait(peer.Output(tl)).(string)
	tl.mustAwait(rec.lost)
	require.Equal(t, fmt.Sprintf("ok %d", len(sizes)), strings.TrimSpace(out), "peer said %q", out)
	for i, a := range rec.addrs {
		ua, ok := a.(*net.UnixAddr)
		require.True(t, ok, "datagram %d from %v, want %s", i, a, client)
		assert.Equal(t, client, ua.Name, "datagram %d from %v, want %s", i, a, client)
	}
	tl.expectNoReports()
}

// A connected UDP endpoint whose peer port is closed gets the kernel's ICMP
// port unreachable as ErrorReceived(ConnectionRefusedError) and stays open.
func TestDatagramICMPRefusedKeepsEndpointOpen(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	port := c.LocalAddr().(*net.UDPAddr).Port
	c.Close() // nothing listens there now
	var rec *dgramRecorder
	refused := tl.NewFuture()
	fut := CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) {
		rec = newDgramRecorder(tl.Loop)
		rec.onMade = func(r *dgramRecorder) { _ = r.tr.SendTo([]byte("anyone?"), nil) }
		rec.onError = func(r *dgramRecorder, err error) {
			if len(r.errs) == 1 {
				_ = refused.SetResult(err)
			}
		}
		return rec, nil
	}, DatagramOptions{RemoteAddr: "127.0.0.1:" + strconv.Itoa(port)})
	tl.mustAwait(fut)
	got := tl.mustAwait(refused).(error)
	var e *Error
	require.ErrorAs(t, got, &e, "ErrorReceived(%v), want ConnectionRefusedError", got)
	require.Equal(t, KindConnectionRefusedError, e.Kind, "ErrorReceived(%v), want ConnectionRefusedError", got)
	tl.spin(3)
	require.False(t, rec.tr.IsClosing(), "the endpoint closed after an ICMP error")
	require.Equal(t, 0, rec.lostN, "the endpoint closed after an ICMP error")
	require.NoError(t, rec.tr.SendTo([]byte("still here"), nil), "SendTo after the error")
	rec.tr.Close()
	assert.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	assert.Equal(t, 1, rec.lostN, "ConnectionLost called %d times", rec.lostN)
	tl.expectNoReports()
}

// pyUnixDgramSink receives on a path once told to, and checks the datagrams'
// order: "<seq> <payload>" up to b"END".
const pyUnixDgramSink = `
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
if sys.argv[2] == "all":
    n = 0
    while True:
        d = s.recv(100000)
        if d == b"END":
            break
        seq = int(d.split(b" ", 1)[0])
        assert seq == n, (seq, n)
        n += 1
    print(n)
else:
    s.setblocking(False)
    n = 0
    try:
        while True:
            d = s.recv(100000)
            n += 1
    except BlockingIOError:
        pass
    print(n)
`

// queueDatagrams sends count numbered datagrams of size bytes, then "END",
// on a connected Unix endpoint whose peer does not read yet; the kernel
// refuses some, which the transport must queue.
func queueDatagrams(t *testing.T, tr DatagramTransport, count, size int) {
	t.Helper()
	for i := 0; i < count; i++ {
		d := []byte(fmt.Sprintf("%d ", i))
		d = append(d, bytes.Repeat([]byte("x"), size-len(d))...)
		require.NoError(t, tr.SendTo(d, nil), "SendTo")
	}
	require.NoError(t, tr.SendTo([]byte("END"), nil), "SendTo")
}

// Datagrams the kernel refuses are queued in order; the queue's size (each
// length + 8) drives PauseWriting/ResumeWriting; Close sends the whole queue
// before ConnectionLost(nil).
func TestDatagramQueueFlushesOnClose(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	path := filepath.Join(t.TempDir(), "sink.sock")
	peer := startPython(tl, pyUnixDgramSink, path, "all")
	peer.ReadLine()
	const count, size = 300, 1000
	var rec *dgramRecorder
	var queued, limitHigh int
	fut := CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) {
		rec = newDgramRecorder(tl.Loop)
		rec.onMade = func(r *dgramRecorder) {
			lim := r.tr.(writeLimiter)
			limitHigh = 20 * (size + datagramHeaderSize)
			require.NoError(t, lim.SetWriteBufferLimits(&limitHigh, nil))
			queueDatagrams(t, r.tr, count, size)
			queued = r.tr.GetWriteBufferSize()
			r.tr.Close()
			assert.True(t, r.tr.IsClosing(), "IsClosing false after Close")
			assert.NoError(t, r.tr.SendTo([]byte("ignored"), nil), "SendTo on a closing endpoint")
			peer.Send("go")
		}
		return rec, nil
	}, DatagramOptions{Network: "unix", RemoteAddr: path})
	tl.mustAwait(fut)
	require.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	out := tl.mustAwait(peer.Output(tl)).(string)
	require.Equal(t, strconv.Itoa(count), strings.TrimSpace(out), "peer received %q datagrams in order, want %d", out, count)
	require.Greater(t, queued, limitHigh, "only %d bytes were queued: the kernel took nearly everything, nothing to test", queued)
	assert.Equal(t, 0, (queued-(3+datagramHeaderSize))%(size+datagramHeaderSize), "queued size %d is not a whole number of (%d+8)-byte datagrams plus END", queued, size)
	assert.Equal(t, "made,pause,resume,lost", eventsString(rec.events), "events")
	assert.Equal(t, 0, rec.tr.GetWriteBufferSize(), "buffer size %d after close", rec.tr.GetWriteBufferSize())
	tl.expectNoReports()
}

// Abort drops the queue at once; ConnectionLost(nil) follows.
func TestDatagramAbortDropsQueue(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	path := filepath.Join(t.TempDir(), "sink.sock")
	peer := startPython(tl, pyUnixDgramSink, path, "some")
	peer.ReadLine()
	const count, size = 300, 1000
	var rec *dgramRecorder
	var queued int
	fut := CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) {
		rec = newDgramRecorder(tl.Loop)
		rec.onMade = func(r *dgramRecorder) {
			queueDatagrams(t, r.tr, count, size)
			queued = r.tr.GetWriteBufferSize()
			r.tr.Abort()
			assert.Equal(t, 0, r.tr.GetWriteBufferSize(), "buffer size %d right after Abort", r.tr.GetWriteBufferSize())
			assert.Equal(t, 0, r.lostN, "ConnectionLost called inside Abort")
		}
		return rec, nil
	}, DatagramOptions{Network: "unix", RemoteAddr: path})
	tl.mustAwait(fut)
	require.Nil(t, tl.mustAwait(rec.lost), "ConnectionLost")
	peer.Send("go")
	out := tl.mustAwait(peer.Output(tl)).(string)
	got, _ := strconv.Atoi(strings.TrimSpace(out))
	require.NotEqual(t, 0, queued, "nothing was queued: nothing to test")
	require.Less(t, got, count+1, "peer received %d of %d datagrams; want the unqueued ones only", got, count+1)
	require.NotEqual(t, 0, got, "peer received %d of %d datagrams; want the unqueued ones only", got, count+1)
	assert.Equal(t, 1, rec.lostN, "ConnectionLost called %d times", rec.lostN)
}

// SendTo's argument errors, and the permission hook on destinations.
func TestDatagramSendToErrors(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	errDenied := NewError(KindPermissionError, "net access denied")
	checked := []string{}
	check := func(network string, addr net.Addr) error {
		checked = append(checked, network+" "+addr.String())
		if ua, ok := addr.(*net.UDPAddr); ok && ua.Port == 9 {
			return errDenied
		}
		return nil
	}
	// Connected endpoint: only its remote address (or nil) is allowed.
	sink, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer sink.Close()
	remote := sink.LocalAddr().(*net.UDPAddr)
	conn := tl.mustAwait(CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) { return newDgramRecorder(tl.Loop), nil },
		DatagramOptions{RemoteAddr: remote.String(), Check: check})).(*Connection)
	tr := conn.Transport.(DatagramTransport)
	assert.NoError(t, tr.SendTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: remote.Port}), "SendTo(the remote address)")
	err = tr.SendTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: remote.Port + 1})
	var e *Error
	require.ErrorAs(t, err, &e, "SendTo(another address) = %v, want ValueError", err)
	assert.Equal(t, KindValueError, e.Kind, "SendTo(another address) = %v, want ValueError", err)
	assert.Contains(t, e.Message, "Invalid address: must be None or ('127.0.0.1', "+strconv.Itoa(remote.Port)+")", "SendTo(another address) = %v, want ValueError", err)
	tr.Close()
	// Unconnected endpoint: an address is required, of the right kind, and
	// vetted.
	conn = tl.mustAwait(CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) { return newDgramRecorder(tl.Loop), nil },
		DatagramOptions{LocalAddr: "127.0.0.1:0", Check: check})).(*Connection)
	tr = conn.Transport.(DatagramTransport)
	err = tr.SendTo([]byte("x"), nil)
	require.ErrorAs(t, err, &e, "SendTo(nil) unconnected = %v, want ValueError", err)
	assert.Equal(t, KindValueError, e.Kind, "SendTo(nil) unconnected = %v, want ValueError", err)
	err = tr.SendTo([]byte("x"), &net.UnixAddr{Name: "/tmp/x", Net: "unixgram"})
	require.ErrorAs(t, err, &e, "SendTo(a Unix address) on UDP = %v, want TypeError", err)
	assert.Equal(t, KindTypeError, e.Kind, "SendTo(a Unix address) on UDP = %v, want TypeError", err)
	err = tr.SendTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9})
	assert.Equal(t, errDenied, err, "SendTo(a denied address) = %v, want the check's error", err)
	assert.NoError(t, tr.SendTo([]byte("x"), remote), "SendTo(an allowed address) =")
	buf := make([]byte, 10)
	_ = sink.SetReadDeadline(timeNowPlus(watchdog))
	n, _, err := sink.ReadFrom(buf)
	require.NoError(t, err, "sink read %q, %v", buf[:n], err)
	assert.Equal(t, "x", string(buf[:n]), "sink read %q, %v", buf[:n], err)
	tr.Close()
	tl.runIdle()
	want := []string{"udp " + remote.String(), "udp 127.0.0.1:0", "udp 127.0.0.1:9", "udp " + remote.String()}
	assert.Equal(t, strings.Join(want, ";"), strings.Join(checked, ";"), "checked %q, want %q", checked, want)
	tl.expectNoReports()
}

// The permission hook also covers binding: a refusal fails the Future and
// no socket is made.
func TestDatagramCheckRefusesBind(t *testing.T) {
	tl := newTestLoop(t)
	before := countFDs(t)
	errDenied := NewError(KindPermissionError, "net access to \"127.0.0.1:0\" denied")
	made := false
	_, err := tl.await(CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) {
		made = true
		return newDgramRecorder(tl.Loop), nil
	}, DatagramOptions{LocalAddr: "127.0.0.1:0", Check: func(string, net.Addr) error { return errDenied }}))
	require.Equal(t, errDenied, err, "err = %v, want the check's error", err)
	assert.False(t, made, "factory called %v; fds %d -> %d", made, before, countFDs(t))
	assert.Equal(t, before, countFDs(t), "factory called %v; fds %d -> %d", made, before, countFDs(t))
	// Bad arguments fail the Future too.
	for _, opts := range []DatagramOptions{{}, {Network: "tcp", LocalAddr: "127.0.0.1:0"}, {LocalAddr: "127.0.0.1"}, {LocalAddr: "127.0.0.1:70000"}} {
		_, err := tl.await(CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) { return newDgramRecorder(tl.Loop), nil }, opts))
		var e *Error
		require.ErrorAs(t, err, &e, "%+v: err = %v, want ValueError", opts, err)
		assert.Equal(t, KindValueError, e.Kind, "%+v: err = %v, want ValueError", opts, err)
	}
}

// panicky is a datagram protocol whose first DatagramReceived panics.
type panicky struct {
	*dgramRecorder
	calls int
}

func (p *panicky) DatagramReceived(data []byte, addr net.Addr) {
	p.calls++
	if p.calls == 1 {
		panic("boom")
	}
	p.dgramRecorder.DatagramReceived(data, addr)
}

// A panic in DatagramReceived is reported and the endpoint keeps serving.
func TestDatagramReceivedPanicKeepsServing(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	var p *panicky
	conn := tl.mustAwait(CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) {
		p = &panicky{dgramRecorder: newDgramRecorder(tl.Loop)}
		p.onData = func(r *dgramRecorder, data []byte, addr net.Addr) { r.tr.Close() }
		return p, nil
	}, DatagramOptions{LocalAddr: "127.0.0.1:0"})).(*Connection)
	addr := conn.Transport.GetExtraInfo("sockname").(*net.UDPAddr)
	c, err := net.DialUDP("udp4", nil, addr)
	require.NoError(t, err)
	defer c.Close()
	for _, m := range []string{"first", "second"} {
		_, err := c.Write([]byte(m))
		require.NoError(t, err)
	}
	tl.mustAwait(p.lost)
	require.Len(t, p.datagrams, 1, "delivered %q, want the second datagram", p.datagrams)
	assert.Equal(t, "second", string(p.datagrams[0]), "delivered %q, want the second datagram", p.datagrams)
	msgs := tl.reportMessages()
	require.Len(t, msgs, 1, "reports %q", msgs)
	assert.Equal(t, "Exception in callback protocol.datagram_received()", msgs[0], "reports %q", msgs)
}

func timeNowPlus(d time.Duration) time.Time { return time.Now().Add(d) }

// ReusePort lets two endpoints bind the same port; without it the second
// bind fails with EADDRINUSE.
func TestDatagramReusePort(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	factory := func() (BaseProtocol, error) { return newDgramRecorder(tl.Loop), nil }
	first := tl.mustAwait(CreateDatagramEndpoint(tl.Loop, factory, DatagramOptions{LocalAddr: "127.0.0.1:0", ReusePort: true})).(*Connection)
	port := first.Transport.GetExtraInfo("sockname").(*net.UDPAddr).Port
	local := "127.0.0.1:" + strconv.Itoa(port)
	second := tl.mustAwait(CreateDatagramEndpoint(tl.Loop, factory, DatagramOptions{LocalAddr: local, ReusePort: true})).(*Connection)
	assert.Equal(t, port, second.Transport.GetExtraInfo("sockname").(*net.UDPAddr).Port, "second endpoint on port")
	_, err := tl.await(CreateDatagramEndpoint(tl.Loop, factory, DatagramOptions{LocalAddr: local}))
	var e *Error
	require.ErrorAs(t, err, &e, "bind without ReusePort: %v, want EADDRINUSE", err)
	assert.Equal(t, KindOSError, e.Kind, "bind without ReusePort: %v, want EADDRINUSE", err)
	assert.Equal(t, syscall.EADDRINUSE, e.Errno, "bind without ReusePort: %v, want EADDRINUSE", err)
	first.Transport.Close()
	second.Transport.Close()
	tl.runIdle()
}

// With AllowBroadcast the remote address is the default destination but the
// socket is not connected (no peername), as asyncio does.
func TestDatagramAllowBroadcastRemote(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	sink, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer sink.Close()
	remote := sink.LocalAddr().(*net.UDPAddr)
	conn := tl.mustAwait(CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) { return newDgramRecorder(tl.Loop), nil },
		DatagramOptions{RemoteAddr: remote.String(), AllowBroadcast: true})).(*Connection)
	tr := conn.Transport.(DatagramTransport)
	assert.Nil(t, tr.GetExtraInfo("peername"), "peername")
	require.NoError(t, tr.SendTo([]byte("to remote"), nil))
	var e *Error
	err = tr.SendTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1})
	require.ErrorAs(t, err, &e, "SendTo(another address) = %v, want ValueError", err)
	assert.Equal(t, KindValueError, e.Kind, "SendTo(another address) = %v, want ValueError", err)
	buf := make([]byte, 100)
	_ = sink.SetReadDeadline(timeNowPlus(watchdog))
	n, _, err := sink.ReadFrom(buf)
	require.NoError(t, err, "sink read %q, %v", buf[:n], err)
	assert.Equal(t, "to remote", string(buf[:n]), "sink read %q, %v", buf[:n], err)
	tr.Close()
	tl.runIdle()
}

// pyUnixDgramSenders sends from an unbound socket and from an abstract one.
const pyUnixDgramSenders = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"unbound", sys.argv[1])
a = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
a.bind("\0" + sys.argv[2])
a.sendto(b"abstract", sys.argv[1])
print("sent")
`

// A Unix datagram from an unbound socket has no source address (nil, as
// Python's None); one from an abstract socket is "@name".
func TestDatagramUnixSourceAddresses(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	path := filepath.Join(t.TempDir(), "srv.sock")
	var rec *dgramRecorder
	tl.mustAwait(CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) {
		rec = newDgramRecorder(tl.Loop)
		rec.onData = func(r *dgramRecorder, data []byte, addr net.Addr) {
			if len(r.datagrams) == 2 {
				r.tr.Close()
			}
		}
		return rec, nil
	}, DatagramOptions{Network: "unix", LocalAddr: path}))
	name := "starnet-test-" + strconv.Itoa(os.Getpid())
	peer := startPython(tl, pyUnixDgramSenders, path, name)
	tl.mustAwait(peer.Output(tl))
	tl.mustAwait(rec.lost)
	require.Len(t, rec.addrs, 2, "addresses %v: want nil first", rec.addrs)
	require.Nil(t, rec.addrs[0], "addresses %v: want nil first", rec.addrs)
	a, ok := rec.addrs[1].(*net.UnixAddr)
	require.True(t, ok, "abstract sender %v, want @%s", rec.addrs[1], name)
	assert.Equal(t, "@"+name, a.Name, "abstract sender %v, want @%s", rec.addrs[1], name)
}
