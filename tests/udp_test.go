package tests

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startUDPEchoServer runs scripts/udp_echo_server.star on a kernel-chosen
// port with net access to 127.0.0.1 only, and returns it with its port.
func startUDPEchoServer(t *testing.T) (*testkit.Process, int) {
	t.Helper()
	p := startScript(t, "run", "--allow-net=127.0.0.1", "scripts/udp_echo_server.star", "0")
	return p, listenPort(t, p)
}

// pythonUDPEchoCheck sends datagrams of several sizes (an empty one too)
// from up to argv[2] sockets at once and checks that each comes back whole, to
// the socket it came from.
const pythonUDPEchoCheck = `
import os, socket, sys
port, nsock = int(sys.argv[1]), int(sys.argv[2])
socks = []
for _ in range(nsock):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(20)
    socks.append(s)
for size in (0, 1, 512, 9000, 65507):
    # At most ~100 KB in flight: more could overflow the server's receive
    # buffer, and UDP would drop datagrams.
    batch = socks[:max(1, min(len(socks), 100000 // max(size, 1)))]
    msgs = [os.urandom(size) for _ in batch]
    for s, m in zip(batch, msgs):
        s.sendto(m, ("127.0.0.1", port))
    for s, m in zip(batch, msgs):
        got, addr = s.recvfrom(70000)
        assert got == m, "size %d: got %d bytes back" % (size, len(got))
        assert addr == ("127.0.0.1", port), addr
print("ok")
`

// TestUDPEchoServerPython: scripts/udp_echo_server.star returns every
// datagram, whole, to the socket it came from, and prints nothing but its
// listening line.
func TestUDPEchoServerPython(t *testing.T) {
	t.Parallel()
	server, port := startUDPEchoServer(t)
	require.Equal(t, "ok\n", testkit.RunPython(t, pythonUDPEchoCheck, strconv.Itoa(port), "20"), "what the python client printed")
	require.True(t, server.Running(), "server exited")
	assert.Equal(t, fmt.Sprintf("listening on 127.0.0.1:%d\n", port), server.Stdout(), "the server must print only the listening line")
}

// TestUDPEchoServerSocat: socat's datagram comes back.
func TestUDPEchoServerSocat(t *testing.T) {
	t.Parallel()
	_, port := startUDPEchoServer(t)
	// socat sends what it reads from stdin as one datagram and prints what
	// comes back. Its stdin stays open until the reply is read.
	socat := testkit.StartTool(t, "socat", "-", fmt.Sprintf("UDP:127.0.0.1:%d", port))
	const msg = "datagram from socat"
	_, err := io.WriteString(socat.Stdin, msg+"\n")
	require.NoError(t, err)
	assert.Equal(t, msg, socat.ReadLine(), "what socat got back")
	require.NoError(t, socat.Stdin.Close())
	assert.Equal(t, 0, socat.WaitExit(waitTimeout), "socat's exit status; stderr:\n%s", socat.Stderr())
	assert.Equal(t, msg+"\n", socat.Stdout(), "all socat got back")
}

// TestUDPEchoClientAndServer: scripts/udp_echo_client.star against the
// server script gets each message back, in order.
func TestUDPEchoClientAndServer(t *testing.T) {
	t.Parallel()
	_, port := startUDPEchoServer(t)
	code, out, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/udp_echo_client.star",
		"127.0.0.1", strconv.Itoa(port), "one", "two words", "three")
	require.Equal(t, 0, code, "client's exit status\n%s%s", out, stderr)
	assert.Equal(t, "received: one\nreceived: two words\nreceived: three\n", out, "what the client printed")
}

// pythonUDPEchoOnce is an echo server that prints its port, then answers
// every datagram but the first (which it drops, as a lossy network would)
// until it is killed. It answers duplicates too: on a loaded machine an
// echo may take longer than the client's TIMEOUT, and the client's extra
// try must not use up an answer that a later message needs.
const pythonUDPEchoOnce = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("port", s.getsockname()[1], flush=True)
data, addr = s.recvfrom(65536)
print("dropped", data.decode(), flush=True)
while True:
    data, addr = s.recvfrom(65536)
    s.sendto(data, addr)
`

// TestUDPEchoClientRetries checks that the client sends a message again
// when its first datagram is lost.
func TestUDPEchoClientRetries(t *testing.T) {
	t.Parallel()
	peer := testkit.StartPython(t, pythonUDPEchoOnce)
	port := strings.Fields(peer.WaitLine("port "))[1]
	code, out, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/udp_echo_client.star", "127.0.0.1", port, "lost once", "then fine")
	require.Equal(t, 0, code, "client's exit status\n%s%s", out, stderr)
	assert.Equal(t, "received: lost once\nreceived: then fine\n", out, "what the client printed")
	peer.WaitLine("dropped lost once")
}

// TestUDPEchoClientRefused: the ICMP refusal of a datagram makes the
// client report ConnectionRefusedError and exit 1.
func TestUDPEchoClientRefused(t *testing.T) {
	t.Parallel()
	port := releasedUDPPort(t)
	code, out, _ := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/udp_echo_client.star", "127.0.0.1", strconv.Itoa(port))
	assert.Equal(t, 1, code, "exit status")
	assert.Equal(t, "error: ConnectionRefusedError: [Errno 111] Connection refused\n", out, "what the client printed")
}

// releasedUDPPort returns a UDP port of 127.0.0.1 that was just bound and
// released: datagrams to it are refused (ICMP port unreachable).
func releasedUDPPort(t *testing.T) int {
	t.Helper()
	out := testkit.RunPython(t, `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
`)
	port, err := strconv.Atoi(strings.TrimSpace(out))
	require.NoError(t, err)
	return port
}

// pythonUnixDgram sends a datagram from a bound Unix datagram socket to the
// server's path and checks the echo.
const pythonUnixDgram = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.settimeout(20)
s.bind(sys.argv[2])
s.sendto(b"over unix", sys.argv[1])
data, addr = s.recvfrom(100)
assert data == b"over unix" and addr == sys.argv[1], (data, addr)
print("ok")
`

// TestUDPEchoServerUnixSocket: the server script serves a Unix datagram
// socket too, under --allow-read and --allow-write for its directory.
func TestUDPEchoServerUnixSocket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "echo.sock")
	server := startScript(t, "run", "--allow-read="+dir, "--allow-write="+dir, "scripts/udp_echo_server.star", "0", path)
	require.Equal(t, "listening on "+path, server.WaitLine("listening on "), "what the server printed")
	require.Equal(t, "ok\n", testkit.RunPython(t, pythonUnixDgram, path, filepath.Join(dir, "client.sock")), "what the python client printed")
}

// TestUDPPermissionDenied: binding a datagram endpoint and sending to a
// remote address both need --allow-net.
func TestUDPPermissionDenied(t *testing.T) {
	t.Parallel()
	// Binding needs --allow-net.
	code, _, stderr := runScript(t, "run", "scripts/udp_echo_server.star", "0")
	assert.Equal(t, 1, code, "server without --allow-net: exit status")
	assert.Contains(t, stderr, `PermissionError: net access to "127.0.0.1:0" denied; run with --allow-net=127.0.0.1:0`, "server without --allow-net")
	// So does the remote address.
	code, _, stderr = runScript(t, "run", "--allow-net=127.0.0.1:53", "scripts/udp_echo_client.star", "127.0.0.1", "5353")
	assert.Equal(t, 1, code, "client: exit status")
	assert.Contains(t, stderr, `PermissionError: net access to "127.0.0.1:5353" denied; run with --allow-net=127.0.0.1:5353`, "client")
}

// pythonTwoSenders has two sockets: it prints the allowed one's port, reads
// the server's port, sends from the denied socket and then from the allowed
// one, checks the allowed one's echo and that the denied one got nothing.
const pythonTwoSenders = `
import socket, sys
allowed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
allowed.bind(("127.0.0.1", 0))
allowed.settimeout(20)
denied = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
denied.bind(("127.0.0.1", 0))
print("allowed", allowed.getsockname()[1], flush=True)
print("denied", denied.getsockname()[1], flush=True)
port = int(sys.stdin.readline())
denied.sendto(b"from denied", ("127.0.0.1", port))
allowed.sendto(b"from allowed", ("127.0.0.1", port))
assert allowed.recv(100) == b"from allowed"
# Loopback delivers at once: an answer to the denied socket, sent before the
# allowed one's, would be queued by now.
denied.setblocking(False)
try:
    print("denied got", denied.recv(100))
except BlockingIOError:
    print("ok", flush=True)
`

// TestUDPSendtoPermission checks that --allow-net covers every sendto
// destination: the server may bind (127.0.0.1:0) and answer one client's
// port, but its reply to another port fails with a PermissionError, which
// is reported, and the server keeps serving.
func TestUDPSendtoPermission(t *testing.T) {
	t.Parallel()
	peer := testkit.StartPython(t, pythonTwoSenders)
	allowedPort := strings.Fields(peer.WaitLine("allowed "))[1]
	deniedPort := strings.Fields(peer.WaitLine("denied "))[1]
	server := startScript(t, "run", "--allow-net=127.0.0.1:0,127.0.0.1:"+allowedPort, "scripts/udp_echo_server.star", "0")
	port := listenPort(t, server)
	_, err := fmt.Fprintf(peer.Stdin, "%d\n", port)
	require.NoError(t, err)
	peer.WaitLine("ok")
	require.True(t, server.Running(), "server exited")
	// The report was written before the allowed echo was sent, but only
	// once the server has exited is all it wrote read from its stderr pipe.
	stderr := stopAndStderr(t, server)
	assert.Contains(t, stderr, fmt.Sprintf(`PermissionError: net access to "127.0.0.1:%s" denied; run with --allow-net=127.0.0.1:%s`, deniedPort, deniedPort))
	assert.Contains(t, stderr, "Echo.datagram_received() failed")
}
