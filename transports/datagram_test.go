package transports

import (
	"bytes"
	"errors"
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
	for _, host := range []string{"127.0.0.1", "::1"} {
		t.Run(host, func(t *testing.T) {
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
			fut := CreateDatagramEndpoint(tl.Loop, func() BaseProtocol {
				rec = newDgramRecorder(tl.Loop)
				rec.onMade = func(r *dgramRecorder) {
					if err := r.tr.SendTo(payloads[0], nil); err != nil {
						t.Errorf("SendTo: %v", err)
					}
				}
				rec.onData = func(r *dgramRecorder, data []byte, addr net.Addr) {
					if !bytes.Equal(data, payloads[next]) {
						t.Errorf("datagram %d: got %d bytes, want %d (whole and equal)", next, len(data), len(payloads[next]))
					}
					if ua, ok := addr.(*net.UDPAddr); !ok || ua.Port != port || !ua.IP.Equal(net.ParseIP(host)) {
						t.Errorf("datagram from %v, want %s", addr, remote)
					}
					next++
					if next == len(payloads) {
						_ = r.tr.SendTo([]byte("QUIT-NOW"), nil)
						r.tr.Close()
						return
					}
					_ = r.tr.SendTo(payloads[next], nil)
				}
				return rec
			}, DatagramOptions{RemoteAddr: remote})
			conn := tl.mustAwait(fut).(*Connection)
			if conn.Protocol != rec {
				t.Errorf("Connection.Protocol = %v", conn.Protocol)
			}
			if err := tl.mustAwait(rec.lost); err != nil {
				t.Fatalf("ConnectionLost(%v)", err)
			}
			if out := tl.mustAwait(peer.Output(tl)).(string); strings.TrimSpace(out) != "bye" {
				t.Errorf("peer said %q", out)
			}
			if next != len(payloads) {
				t.Fatalf("%d of %d datagrams echoed", next, len(payloads))
			}
			if len(rec.errs) != 0 {
				t.Errorf("errors: %v", rec.errs)
			}
			peerName := conn.Transport.GetExtraInfo("peername")
			if ua, ok := peerName.(*net.UDPAddr); !ok || ua.Port != port {
				t.Errorf("peername = %v", peerName)
			}
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
	tl := newTestLoop(t)
	var rec *dgramRecorder
	fut := CreateDatagramEndpoint(tl.Loop, func() BaseProtocol {
		rec = newDgramRecorder(tl.Loop)
		rec.onData = func(r *dgramRecorder, data []byte, addr net.Addr) {
			if string(data) == "done" {
				r.tr.Close()
				return
			}
			if err := r.tr.SendTo(data, addr); err != nil {
				t.Errorf("SendTo(%v): %v", addr, err)
			}
		}
		return rec
	}, DatagramOptions{LocalAddr: "127.0.0.1:0"})
	conn := tl.mustAwait(fut).(*Connection)
	local := conn.Transport.GetExtraInfo("sockname").(*net.UDPAddr)
	if conn.Transport.GetExtraInfo("peername") != nil {
		t.Errorf("unconnected endpoint has a peername")
	}
	sizes := datagramSizes(5)
	strs := make([]string, len(sizes))
	for i, n := range sizes {
		strs[i] = strconv.Itoa(n)
	}
	peer := startPython(tl, pyUDPClient, strconv.Itoa(local.Port), strings.Join(strs, ","))
	out := tl.mustAwait(peer.Output(tl)).(string)
	tl.mustAwait(rec.lost)
	fields := strings.Fields(out)
	if len(fields) != 3 || fields[0] != "ok" || fields[1] != strconv.Itoa(len(sizes)) {
		t.Fatalf("peer said %q", out)
	}
	clientPort, _ := strconv.Atoi(fields[2])
	for i, a := range rec.addrs {
		if ua, ok := a.(*net.UDPAddr); !ok || ua.Port != clientPort || !ua.IP.Equal(net.IPv4(127, 0, 0, 1)) {
			t.Fatalf("datagram %d from %v, want 127.0.0.1:%d", i, a, clientPort)
		}
	}
	for i, n := range sizes {
		if len(rec.datagrams[i]) != n {
			t.Errorf("datagram %d: %d bytes, want %d", i, len(rec.datagrams[i]), n)
		}
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
	tl := newTestLoop(t)
	dir := t.TempDir()
	server, client := filepath.Join(dir, "srv.sock"), filepath.Join(dir, "cli.sock")
	var rec *dgramRecorder
	fut := CreateDatagramEndpoint(tl.Loop, func() BaseProtocol {
		rec = newDgramRecorder(tl.Loop)
		rec.onData = func(r *dgramRecorder, data []byte, addr net.Addr) {
			if string(data) == "done" {
				r.tr.Close()
				return
			}
			if err := r.tr.SendTo(data, addr); err != nil {
				t.Errorf("SendTo(%v): %v", addr, err)
			}
		}
		return rec
	}, DatagramOptions{Network: "unix", LocalAddr: server})
	conn := tl.mustAwait(fut).(*Connection)
	if a, ok := conn.Transport.GetExtraInfo("sockname").(*net.UnixAddr); !ok || a.Name != server || a.Net != "unixgram" {
		t.Errorf("sockname = %v", conn.Transport.GetExtraInfo("sockname"))
	}
	sizes := []int{0, 1, 100, 4096, 65507, 100000}
	strs := make([]string, len(sizes))
	for i, n := range sizes {
		strs[i] = strconv.Itoa(n)
	}
	peer := startPython(tl, pyUnixDgramClient, server, client, strings.Join(strs, ","))
	out := tl.mustAwait(peer.Output(tl)).(string)
	tl.mustAwait(rec.lost)
	if strings.TrimSpace(out) != fmt.Sprintf("ok %d", len(sizes)) {
		t.Fatalf("peer said %q", out)
	}
	for i, a := range rec.addrs {
		if ua, ok := a.(*net.UnixAddr); !ok || ua.Name != client {
			t.Errorf("datagram %d from %v, want %s", i, a, client)
		}
	}
	tl.expectNoReports()
}

// A connected UDP endpoint whose peer port is closed gets the kernel's ICMP
// port unreachable as ErrorReceived(ConnectionRefusedError) and stays open.
func TestDatagramICMPRefusedKeepsEndpointOpen(t *testing.T) {
	tl := newTestLoop(t)
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	c.Close() // nothing listens there now
	var rec *dgramRecorder
	refused := tl.NewFuture()
	fut := CreateDatagramEndpoint(tl.Loop, func() BaseProtocol {
		rec = newDgramRecorder(tl.Loop)
		rec.onMade = func(r *dgramRecorder) { _ = r.tr.SendTo([]byte("anyone?"), nil) }
		rec.onError = func(r *dgramRecorder, err error) {
			if len(r.errs) == 1 {
				_ = refused.SetResult(err)
			}
		}
		return rec
	}, DatagramOptions{RemoteAddr: "127.0.0.1:" + strconv.Itoa(port)})
	tl.mustAwait(fut)
	got := tl.mustAwait(refused).(error)
	var e *Error
	if !errors.As(got, &e) || e.Kind != KindConnectionRefusedError {
		t.Fatalf("ErrorReceived(%v), want ConnectionRefusedError", got)
	}
	tl.spin(3)
	if rec.tr.IsClosing() || rec.lostN != 0 {
		t.Fatalf("the endpoint closed after an ICMP error")
	}
	if err := rec.tr.SendTo([]byte("still here"), nil); err != nil {
		t.Fatalf("SendTo after the error: %v", err)
	}
	rec.tr.Close()
	if err := tl.mustAwait(rec.lost); err != nil {
		t.Errorf("ConnectionLost(%v)", err)
	}
	if rec.lostN != 1 {
		t.Errorf("ConnectionLost called %d times", rec.lostN)
	}
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
		if err := tr.SendTo(d, nil); err != nil {
			t.Fatalf("SendTo: %v", err)
		}
	}
	if err := tr.SendTo([]byte("END"), nil); err != nil {
		t.Fatalf("SendTo: %v", err)
	}
}

// Datagrams the kernel refuses are queued in order; the queue's size (each
// length + 8) drives PauseWriting/ResumeWriting; Close sends the whole queue
// before ConnectionLost(nil).
func TestDatagramQueueFlushesOnClose(t *testing.T) {
	tl := newTestLoop(t)
	path := filepath.Join(t.TempDir(), "sink.sock")
	peer := startPython(tl, pyUnixDgramSink, path, "all")
	peer.ReadLine()
	const count, size = 300, 1000
	var rec *dgramRecorder
	var queued, limitHigh int
	fut := CreateDatagramEndpoint(tl.Loop, func() BaseProtocol {
		rec = newDgramRecorder(tl.Loop)
		rec.onMade = func(r *dgramRecorder) {
			lim := r.tr.(writeLimiter)
			limitHigh = 20 * (size + datagramHeaderSize)
			if err := lim.SetWriteBufferLimits(&limitHigh, nil); err != nil {
				t.Fatal(err)
			}
			queueDatagrams(t, r.tr, count, size)
			queued = r.tr.GetWriteBufferSize()
			r.tr.Close()
			if !r.tr.IsClosing() {
				t.Errorf("IsClosing false after Close")
			}
			if err := r.tr.SendTo([]byte("ignored"), nil); err != nil {
				t.Errorf("SendTo on a closing endpoint: %v", err)
			}
			peer.Send("go")
		}
		return rec
	}, DatagramOptions{Network: "unix", RemoteAddr: path})
	tl.mustAwait(fut)
	if err := tl.mustAwait(rec.lost); err != nil {
		t.Fatalf("ConnectionLost(%v)", err)
	}
	out := tl.mustAwait(peer.Output(tl)).(string)
	if strings.TrimSpace(out) != strconv.Itoa(count) {
		t.Fatalf("peer received %q datagrams in order, want %d", out, count)
	}
	if queued <= limitHigh {
		t.Fatalf("only %d bytes were queued: the kernel took nearly everything, nothing to test", queued)
	}
	if (queued-(3+datagramHeaderSize))%(size+datagramHeaderSize) != 0 {
		t.Errorf("queued size %d is not a whole number of (%d+8)-byte datagrams plus END", queued, size)
	}
	if got := eventsString(rec.events); got != "made,pause,resume,lost" {
		t.Errorf("events %s, want made,pause,resume,lost", got)
	}
	if rec.tr.GetWriteBufferSize() != 0 {
		t.Errorf("buffer size %d after close", rec.tr.GetWriteBufferSize())
	}
	tl.expectNoReports()
}

// Abort drops the queue at once; ConnectionLost(nil) follows.
func TestDatagramAbortDropsQueue(t *testing.T) {
	tl := newTestLoop(t)
	path := filepath.Join(t.TempDir(), "sink.sock")
	peer := startPython(tl, pyUnixDgramSink, path, "some")
	peer.ReadLine()
	const count, size = 300, 1000
	var rec *dgramRecorder
	var queued int
	fut := CreateDatagramEndpoint(tl.Loop, func() BaseProtocol {
		rec = newDgramRecorder(tl.Loop)
		rec.onMade = func(r *dgramRecorder) {
			queueDatagrams(t, r.tr, count, size)
			queued = r.tr.GetWriteBufferSize()
			r.tr.Abort()
			if r.tr.GetWriteBufferSize() != 0 {
				t.Errorf("buffer size %d right after Abort", r.tr.GetWriteBufferSize())
			}
			if r.lostN != 0 {
				t.Errorf("ConnectionLost called inside Abort")
			}
		}
		return rec
	}, DatagramOptions{Network: "unix", RemoteAddr: path})
	tl.mustAwait(fut)
	if err := tl.mustAwait(rec.lost); err != nil {
		t.Fatalf("ConnectionLost(%v)", err)
	}
	peer.Send("go")
	out := tl.mustAwait(peer.Output(tl)).(string)
	got, _ := strconv.Atoi(strings.TrimSpace(out))
	if queued == 0 {
		t.Fatal("nothing was queued: nothing to test")
	}
	if got >= count+1 || got == 0 {
		t.Fatalf("peer received %d of %d datagrams; want the unqueued ones only", got, count+1)
	}
	if rec.lostN != 1 {
		t.Errorf("ConnectionLost called %d times", rec.lostN)
	}
}

// SendTo's argument errors, and the permission hook on destinations.
func TestDatagramSendToErrors(t *testing.T) {
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
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	remote := sink.LocalAddr().(*net.UDPAddr)
	conn := tl.mustAwait(CreateDatagramEndpoint(tl.Loop, func() BaseProtocol { return newDgramRecorder(tl.Loop) },
		DatagramOptions{RemoteAddr: remote.String(), Check: check})).(*Connection)
	tr := conn.Transport.(DatagramTransport)
	if err := tr.SendTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: remote.Port}); err != nil {
		t.Errorf("SendTo(the remote address): %v", err)
	}
	err = tr.SendTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: remote.Port + 1})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindValueError || !strings.Contains(e.Message, "Invalid address: must be None or ('127.0.0.1', "+strconv.Itoa(remote.Port)+")") {
		t.Errorf("SendTo(another address) = %v, want ValueError", err)
	}
	tr.Close()
	// Unconnected endpoint: an address is required, of the right kind, and
	// vetted.
	conn = tl.mustAwait(CreateDatagramEndpoint(tl.Loop, func() BaseProtocol { return newDgramRecorder(tl.Loop) },
		DatagramOptions{LocalAddr: "127.0.0.1:0", Check: check})).(*Connection)
	tr = conn.Transport.(DatagramTransport)
	if err := tr.SendTo([]byte("x"), nil); !errors.As(err, &e) || e.Kind != KindValueError {
		t.Errorf("SendTo(nil) unconnected = %v, want ValueError", err)
	}
	if err := tr.SendTo([]byte("x"), &net.UnixAddr{Name: "/tmp/x", Net: "unixgram"}); !errors.As(err, &e) || e.Kind != KindTypeError {
		t.Errorf("SendTo(a Unix address) on UDP = %v, want TypeError", err)
	}
	if err := tr.SendTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); err != errDenied {
		t.Errorf("SendTo(a denied address) = %v, want the check's error", err)
	}
	if err := tr.SendTo([]byte("x"), remote); err != nil {
		t.Errorf("SendTo(an allowed address) = %v", err)
	}
	buf := make([]byte, 10)
	_ = sink.SetReadDeadline(timeNowPlus(watchdog))
	if n, _, err := sink.ReadFrom(buf); err != nil || string(buf[:n]) != "x" {
		t.Errorf("sink read %q, %v", buf[:n], err)
	}
	tr.Close()
	tl.runIdle()
	want := []string{"udp " + remote.String(), "udp 127.0.0.1:0", "udp 127.0.0.1:9", "udp " + remote.String()}
	if strings.Join(checked, ";") != strings.Join(want, ";") {
		t.Errorf("checked %q, want %q", checked, want)
	}
	tl.expectNoReports()
}

// The permission hook also covers binding: a refusal fails the Future and
// no socket is made.
func TestDatagramCheckRefusesBind(t *testing.T) {
	tl := newTestLoop(t)
	before := countFDs(t)
	errDenied := NewError(KindPermissionError, "net access to \"127.0.0.1:0\" denied")
	made := false
	_, err := tl.await(CreateDatagramEndpoint(tl.Loop, func() BaseProtocol {
		made = true
		return newDgramRecorder(tl.Loop)
	}, DatagramOptions{LocalAddr: "127.0.0.1:0", Check: func(string, net.Addr) error { return errDenied }}))
	if err != errDenied {
		t.Fatalf("err = %v, want the check's error", err)
	}
	if made || countFDs(t) != before {
		t.Errorf("factory called %v; fds %d -> %d", made, before, countFDs(t))
	}
	// Bad arguments fail the Future too.
	for _, opts := range []DatagramOptions{{}, {Network: "tcp", LocalAddr: "127.0.0.1:0"}, {LocalAddr: "127.0.0.1"}, {LocalAddr: "127.0.0.1:70000"}} {
		_, err := tl.await(CreateDatagramEndpoint(tl.Loop, func() BaseProtocol { return newDgramRecorder(tl.Loop) }, opts))
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindValueError {
			t.Errorf("%+v: err = %v, want ValueError", opts, err)
		}
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
	tl := newTestLoop(t)
	var p *panicky
	conn := tl.mustAwait(CreateDatagramEndpoint(tl.Loop, func() BaseProtocol {
		p = &panicky{dgramRecorder: newDgramRecorder(tl.Loop)}
		p.onData = func(r *dgramRecorder, data []byte, addr net.Addr) { r.tr.Close() }
		return p
	}, DatagramOptions{LocalAddr: "127.0.0.1:0"})).(*Connection)
	addr := conn.Transport.GetExtraInfo("sockname").(*net.UDPAddr)
	c, err := net.DialUDP("udp4", nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range []string{"first", "second"} {
		if _, err := c.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	tl.mustAwait(p.lost)
	if len(p.datagrams) != 1 || string(p.datagrams[0]) != "second" {
		t.Errorf("delivered %q, want the second datagram", p.datagrams)
	}
	msgs := tl.reportMessages()
	if len(msgs) != 1 || msgs[0] != "Exception in callback protocol.datagram_received()" {
		t.Errorf("reports %q", msgs)
	}
}

func timeNowPlus(d time.Duration) time.Time { return time.Now().Add(d) }

// ReusePort lets two endpoints bind the same port; without it the second
// bind fails with EADDRINUSE.
func TestDatagramReusePort(t *testing.T) {
	tl := newTestLoop(t)
	factory := func() BaseProtocol { return newDgramRecorder(tl.Loop) }
	first := tl.mustAwait(CreateDatagramEndpoint(tl.Loop, factory, DatagramOptions{LocalAddr: "127.0.0.1:0", ReusePort: true})).(*Connection)
	port := first.Transport.GetExtraInfo("sockname").(*net.UDPAddr).Port
	local := "127.0.0.1:" + strconv.Itoa(port)
	second := tl.mustAwait(CreateDatagramEndpoint(tl.Loop, factory, DatagramOptions{LocalAddr: local, ReusePort: true})).(*Connection)
	if p := second.Transport.GetExtraInfo("sockname").(*net.UDPAddr).Port; p != port {
		t.Errorf("second endpoint on port %d, want %d", p, port)
	}
	_, err := tl.await(CreateDatagramEndpoint(tl.Loop, factory, DatagramOptions{LocalAddr: local}))
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindOSError || e.Errno != syscall.EADDRINUSE {
		t.Errorf("bind without ReusePort: %v, want EADDRINUSE", err)
	}
	first.Transport.Close()
	second.Transport.Close()
	tl.runIdle()
}

// With AllowBroadcast the remote address is the default destination but the
// socket is not connected (no peername), as asyncio does.
func TestDatagramAllowBroadcastRemote(t *testing.T) {
	tl := newTestLoop(t)
	sink, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	remote := sink.LocalAddr().(*net.UDPAddr)
	conn := tl.mustAwait(CreateDatagramEndpoint(tl.Loop, func() BaseProtocol { return newDgramRecorder(tl.Loop) },
		DatagramOptions{RemoteAddr: remote.String(), AllowBroadcast: true})).(*Connection)
	tr := conn.Transport.(DatagramTransport)
	if p := tr.GetExtraInfo("peername"); p != nil {
		t.Errorf("peername %v for an unconnected endpoint", p)
	}
	if err := tr.SendTo([]byte("to remote"), nil); err != nil {
		t.Fatal(err)
	}
	var e *Error
	if err := tr.SendTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}); !errors.As(err, &e) || e.Kind != KindValueError {
		t.Errorf("SendTo(another address) = %v, want ValueError", err)
	}
	buf := make([]byte, 100)
	_ = sink.SetReadDeadline(timeNowPlus(watchdog))
	if n, _, err := sink.ReadFrom(buf); err != nil || string(buf[:n]) != "to remote" {
		t.Errorf("sink read %q, %v", buf[:n], err)
	}
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
	tl := newTestLoop(t)
	path := filepath.Join(t.TempDir(), "srv.sock")
	var rec *dgramRecorder
	tl.mustAwait(CreateDatagramEndpoint(tl.Loop, func() BaseProtocol {
		rec = newDgramRecorder(tl.Loop)
		rec.onData = func(r *dgramRecorder, data []byte, addr net.Addr) {
			if len(r.datagrams) == 2 {
				r.tr.Close()
			}
		}
		return rec
	}, DatagramOptions{Network: "unix", LocalAddr: path}))
	name := "starnet-test-" + strconv.Itoa(os.Getpid())
	peer := startPython(tl, pyUnixDgramSenders, path, name)
	tl.mustAwait(peer.Output(tl))
	tl.mustAwait(rec.lost)
	if len(rec.addrs) != 2 || rec.addrs[0] != nil {
		t.Fatalf("addresses %v: want nil first", rec.addrs)
	}
	if a, ok := rec.addrs[1].(*net.UnixAddr); !ok || a.Name != "@"+name {
		t.Errorf("abstract sender %v, want @%s", rec.addrs[1], name)
	}
}
