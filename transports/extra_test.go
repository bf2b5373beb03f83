package transports

import (
	"bytes"
	"fmt"
	"math/rand"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The write buffer returns exactly the bytes appended, in order, through
// any mix of appends, vectors and partial consumes.
func TestWriteBufferQueue(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	var b writeBuffer
	var want, got bytes.Buffer
	for step := 0; step < 6000; step++ {
		if rng.Intn(3) > 0 {
			n := rng.Intn(30000)
			if rng.Intn(4) == 0 {
				n = rng.Intn(16)
			}
			p := make([]byte, n)
			rng.Read(p)
			b.append(p)
			want.Write(p)
			continue
		}
		vecs := b.vectors()
		if len(vecs) > maxIovecs {
			t.Fatalf("%d vectors", len(vecs))
		}
		total := 0
		for _, v := range vecs {
			total += len(v)
		}
		if total == 0 {
			if b.len() != 0 {
				t.Fatalf("no vectors for %d pending bytes", b.len())
			}
			continue
		}
		n := rng.Intn(total) + 1
		left := n
		for _, v := range vecs {
			k := min(left, len(v))
			got.Write(v[:k])
			left -= k
			if left == 0 {
				break
			}
		}
		b.consume(n)
	}
	for b.len() > 0 {
		for _, v := range b.vectors() {
			got.Write(v)
			b.consume(len(v))
		}
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Fatalf("read back %d bytes that differ from the %d appended", got.Len(), want.Len())
	}
	if len(b.chunks) != 0 || b.head != 0 || b.off != 0 {
		t.Errorf("empty buffer keeps state: %d chunks, head %d, off %d", len(b.chunks), b.head, b.off)
	}
}

// Each readiness event of a listener accepts up to backlog connections.
func TestAcceptUpToBacklogPerEvent(t *testing.T) {
	tl := newTestLoop(t)
	made := 0
	srv, port := tl.serve(func() BaseProtocol {
		r := newRecorder(tl.Loop)
		r.onMade = func(*recorder) { made++ }
		return r
	}, ListenOptions{DelayServing: true, Backlog: 2})
	ln := srv.listeners[0]
	events := 0
	ln.onReady = func() { events++; ln.acceptReady() }
	if err := srv.StartServing(); err != nil {
		t.Fatal(err)
	}
	// Three connections fit a backlog-2 queue (Linux holds backlog+1) while
	// the loop is not running; the accept loop takes at most two per event.
	for i := 0; i < 3; i++ {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	for i := 0; i < 1000 && made < 3; i++ {
		tl.spin(1)
	}
	if made != 3 || len(srv.clients) != 3 {
		t.Fatalf("%d connections made, %d tracked", made, len(srv.clients))
	}
	if events != 2 {
		t.Errorf("%d readiness events for 3 connections with backlog 2, want 2", events)
	}
	srv.AbortClients()
	srv.Close()
	tl.mustAwait(srv.WaitClosed())
}

// A server gets one socket per resolved address.
func TestServerBindsEveryAddress(t *testing.T) {
	tl := newTestLoop(t)
	ips := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}
	srv, err := bindTCP(tl.Loop, echoFactory, ips, 0, ListenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if len(srv.Sockets()) != 2 || srv.Sockets()[0].Family() != unix.AF_INET || srv.Sockets()[1].Family() != unix.AF_INET6 {
		t.Errorf("sockets %v", srv.Sockets())
	}
}

// A name goes through the resolver (off the loop thread) and connects.
func TestConnectByName(t *testing.T) {
	tl := newTestLoop(t)
	srv, port := tl.serve(echoFactory, ListenOptions{})
	rec := newRecorder(tl.Loop)
	tl.mustAwait(CreateConnection(tl.Loop, func() BaseProtocol { return rec }, "localhost", port, DialOptions{LocalAddr: "localhost:0"}))
	if a, _ := rec.tr.GetExtraInfo("peername").(*net.TCPAddr); a == nil || a.Port != port {
		t.Errorf("peername %v", rec.tr.GetExtraInfo("peername"))
	}
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
	_, err := tl.await(CreateConnection(tl.Loop, func() BaseProtocol { panic("no protocol for you") }, "127.0.0.1", port, DialOptions{}))
	if e := expectError(t, err, KindRuntimeError, 0, ""); e.Message != "panic in protocol factory: no protocol for you" {
		t.Errorf("message %q", e.Message)
	}
	_, err = tl.await(CreateConnection(tl.Loop, func() BaseProtocol { return nil }, "127.0.0.1", port, DialOptions{}))
	expectError(t, err, KindTypeError, 0, "TypeError: protocol factory returned nil")
	tl.spin(3) // let the server side notice the closed connections
	if after := countFDs(t); after != before {
		t.Errorf("%d descriptors before, %d after", before, after)
	}
}

func TestTransportAndServerStrings(t *testing.T) {
	tl := newTestLoop(t)
	srv, _ := tl.serve(echoFactory, ListenOptions{})
	rec := newRecorder(tl.Loop)
	tr, _ := socketPair(t, tl, rec)
	tl.spin(2)
	if s := tr.String(); s != fmt.Sprintf("<socket transport fd=%d read=polling write=<idle, bufsize=0>>", tr.sock.Fileno()) {
		t.Errorf("transport %s", s)
	}
	tr.Close()
	if s := tr.String(); !strings.Contains(s, " closing ") {
		t.Errorf("closing transport %s", s)
	}
	if s := srv.String(); !strings.HasPrefix(s, "<Server sockets=(<socket fd=") || !strings.Contains(s, "laddr=('127.0.0.1', ") {
		t.Errorf("server %s", s)
	}
}
