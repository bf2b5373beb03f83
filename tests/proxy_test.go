package tests

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pythonProxyPeers is both ends of a connection through the proxy: a backend
// listening on a port it prints, and a client connecting to the proxy port
// it reads from stdin. Their sockets have small kernel buffers (64 KiB) so
// that what is in flight is mostly what the proxy holds.
//
// argv[1] is the scenario:
//
//	down   the client sends "GO" and half-closes; the backend reads to EOF
//	       (the half-close went through), streams argv[2] bytes and closes;
//	       the client reads 1 MiB, then stops reading until the backend's
//	       send has made no progress for a second, then reads the rest.
//	up     the same the other way: the client streams argv[2] bytes and
//	       half-closes; the backend reads 1 MiB, stops, reads the rest to EOF
//	       and answers with the byte count and CRC; the client reads to EOF.
//	reset  the backend accepts and resets the connection (SO_LINGER 0); the
//	       client must see its connection end.
//
// With backpressure, the sender is blocked after at most argv[3] bytes;
// without it the proxy would read everything and the sender would never
// block. The stream's bytes are checked with a CRC at both ends.
const pythonProxyPeers = `
import os, socket, struct, sys, threading, zlib
scenario, total, stall_bound = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
SMALL = 64 << 10
FIRST = 1 << 20
PATTERN = memoryview(os.urandom((1 << 20) + 7))

def small_buffers(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SMALL)

listener = socket.socket()
small_buffers(listener)
listener.bind(("127.0.0.1", 0))
listener.listen(1)
listener.settimeout(30)
print("backend", listener.getsockname()[1], flush=True)
proxy_port = int(sys.stdin.readline())

reader_stopped = threading.Event()
sender_news = threading.Event()   # the sender stalled or finished
report = {}
errors = []

def send_stream(sock):
    """Sends total bytes of PATTERN; notes where a send first blocked for a
    second while the reader was not reading."""
    sent, crc = 0, 0
    sock.settimeout(1.0)
    while sent < total:
        off = sent % len(PATTERN)
        n = min(total - sent, len(PATTERN) - off, 256 << 10)
        try:
            k = sock.send(PATTERN[off:off + n])
        except socket.timeout:
            if reader_stopped.is_set() and "stalled_at" not in report:
                report["stalled_at"] = sent
                sender_news.set()
                sock.settimeout(60)
            continue
        crc = zlib.crc32(PATTERN[off:off + k], crc)
        sent += k
    report["sent"], report["crc"] = sent, crc
    sender_news.set()

def recv_stream(sock):
    """Reads FIRST bytes, stops until the sender is blocked, then reads to EOF."""
    sock.settimeout(60)
    got, crc, stopped = 0, 0, False
    while True:
        if got >= FIRST and not stopped:
            stopped = True
            reader_stopped.set()
            if not sender_news.wait(120):
                raise AssertionError("sender neither blocked nor finished in 120 s")
            if "stalled_at" not in report:
                raise AssertionError("no backpressure: the sender sent all %d bytes while the reader did not read" % total)
            if report["stalled_at"] > stall_bound:
                raise AssertionError("the sender blocked only after %d bytes (bound %d)" % (report["stalled_at"], stall_bound))
        b = sock.recv(256 << 10)
        if not b:
            return got, crc
        crc = zlib.crc32(b, crc)
        got += len(b)

def recv_all(sock):
    sock.settimeout(60)
    chunks = []
    while True:
        b = sock.recv(1 << 16)
        if not b:
            return b"".join(chunks)
        chunks.append(b)

def check_stream(got, crc):
    if got != total or crc != report.get("crc"):
        raise AssertionError("received %d bytes (crc %s), sent %s (crc %s)" % (got, crc, report.get("sent"), report.get("crc")))

def backend():
    conn, _ = listener.accept()
    if scenario == "reset":
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
    elif scenario == "down":
        request = recv_all(conn)
        if request != b"GO":
            raise AssertionError("backend got %r before EOF, want b'GO'" % request)
        send_stream(conn)
        conn.close()
    else:
        got, crc = recv_stream(conn)
        conn.sendall(b"%d %d" % (got, crc))
        conn.close()

def client():
    sock = socket.socket()
    small_buffers(sock)
    sock.settimeout(30)
    sock.connect(("127.0.0.1", proxy_port))
    if scenario == "reset":
        try:
            rest = recv_all(sock)
        except ConnectionResetError:
            rest = b""
        if rest:
            raise AssertionError("client got %r from a reset backend" % rest)
    elif scenario == "down":
        sock.sendall(b"GO")
        sock.shutdown(socket.SHUT_WR)
        check_stream(*recv_stream(sock))
    else:
        send_stream(sock)
        sock.shutdown(socket.SHUT_WR)
        answer = recv_all(sock)
        got, crc = map(int, answer.split())
        check_stream(got, crc)
    sock.close()

def run(fn):
    try:
        fn()
    except BaseException as e:
        errors.append("%s: %r" % (fn.__name__, e))
        sender_news.set()
        reader_stopped.set()

threads = [threading.Thread(target=run, args=(fn,)) for fn in (backend, client)]
for t in threads:
    t.start()
for t in threads:
    t.join(300)
if errors or any(t.is_alive() for t in threads):
    sys.exit("; ".join(errors) or "timed out")
print("ok", scenario, report.get("stalled_at"), flush=True)
`

// proxyStreamBytes is how much the backpressure scenarios stream: more
// than maxProxyRSS, so that a proxy buffering it all would fail both checks.
const (
	proxyStreamBytes = 256 << 20
	maxStalledBytes  = 64 << 20
	maxProxyRSS      = 200 << 20
)

// proxyScripts are the two versions of the proxy: streams and tasks, and
// protocols.
var proxyScripts = []string{"scripts/tcp_proxy.star", "scripts/tcp_proxy_protocol.star"}

// TestTCPProxy runs the pythonProxyPeers scenarios through both versions of
// the proxy. It measures the proxy's memory and counts its descriptors: not
// parallel.
func TestTCPProxy(t *testing.T) {
	for _, script := range proxyScripts {
		for _, scenario := range []string{"down", "up", "reset"} {
			t.Run(script+"/"+scenario, func(t *testing.T) { testProxyScenario(t, script, scenario) })
		}
	}
}

// testProxyScenario runs one pythonProxyPeers scenario through a fresh
// proxy script, sampling the proxy's resident memory meanwhile, and then
// checks that the proxy closed both of its connections.
func testProxyScenario(t *testing.T, script, scenario string) {
	peers := testkit.StartPython(t, pythonProxyPeers, scenario, strconv.Itoa(proxyStreamBytes), strconv.Itoa(maxStalledBytes))
	backendPort := strings.Fields(peers.WaitLine("backend "))[1]

	proxy := startScript(t, "run", "-A", script, "0", "127.0.0.1", backendPort)
	proxyPort := listenPort(t, proxy)
	assert.Equal(t, "forwarding to 127.0.0.1:"+backendPort, proxy.WaitLine("forwarding to "), "what the proxy printed")
	idleFDs := countFDs(t, proxy.Pid())

	_, err := fmt.Fprintf(peers.Stdin, "%d\n", proxyPort)
	require.NoError(t, err, "tell the peers the proxy port")

	maxRSS := sampleRSSUntilExit(t, proxy.Pid(), peers)
	assert.LessOrEqual(t, maxRSS, int64(maxProxyRSS), "proxy RSS reached %d MiB, bound %d MiB", maxRSS>>20, maxProxyRSS>>20)
	require.Equal(t, 0, peers.WaitExit(waitTimeout), "the python peers' exit status; stderr:\n%s", peers.Stderr())
	t.Logf("%s; proxy max RSS %d MiB", peers.WaitLine("ok "), maxRSS>>20)
	waitFDs(t, proxy.Pid(), idleFDs)
	require.True(t, proxy.Running(), "proxy exited")
}

// sampleRSSUntilExit samples pid's VmRSS every 10 ms until p exits and
// returns the largest value seen.
func sampleRSSUntilExit(t *testing.T, pid int, p *testkit.Process) int64 {
	t.Helper()
	var maxRSS int64
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Minute)
	for {
		if rss, err := vmRSS(pid); err == nil && rss > maxRSS {
			maxRSS = rss
		}
		select {
		case <-p.Exited():
			return maxRSS
		case <-deadline:
			t.Fatalf("%s still running after 5 minutes", p.Name())
		case <-tick.C:
		}
	}
}

// TestTCPProxyBackendRefused: when the backend refuses, the proxy reports it
// and closes the client's connection; it keeps serving.
func TestTCPProxyBackendRefused(t *testing.T) {
	t.Parallel()
	closedPort := releasedPort(t)
	for _, script := range proxyScripts {
		t.Run(script, func(t *testing.T) {
			t.Parallel()
			proxy := startScript(t, "run", "-A", script, "0", "127.0.0.1", strconv.Itoa(closedPort))
			addr := listenAddr(t, proxy)
			for i := 0; i < 2; i++ {
				client := dialEcho(t, addr)
				rest, err := readAll(client.conn)
				assert.NoError(t, err, "client %d", i)
				assert.Empty(t, rest, "client %d read data, want EOF", i)
				assert.Contains(t, proxy.WaitLine("backend "), "ConnectionRefusedError", "what the proxy printed")
			}
			require.True(t, proxy.Running(), "proxy exited")
		})
	}
}
