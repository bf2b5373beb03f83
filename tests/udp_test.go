package tests

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// startUDPEchoServer runs scripts/udp_echo_server.star on a kernel-chosen
// port with net access to 127.0.0.1 only, and returns it with its port.
func startUDPEchoServer(t *testing.T) (*process, int) {
	t.Helper()
	p := startScript(t, "run", "--allow-net=127.0.0.1", "scripts/udp_echo_server.star", "0")
	return p, p.listenPort()
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

func TestUDPEchoServerPython(t *testing.T) {
	server, port := startUDPEchoServer(t)
	if out := runPython(t, pythonUDPEchoCheck, strconv.Itoa(port), "20"); out != "ok\n" {
		t.Fatalf("python client printed %q", out)
	}
	if !server.running() {
		t.Fatalf("server exited: %s", server.stderr.String())
	}
	if out := server.stdout(); out != fmt.Sprintf("listening on 127.0.0.1:%d\n", port) {
		t.Errorf("server printed %q, want only the listening line", out)
	}
}

func TestUDPEchoServerSocat(t *testing.T) {
	_, port := startUDPEchoServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	// socat sends what it reads from stdin as one datagram and prints what
	// comes back. Its stdin stays open until the reply is read.
	socat := exec.CommandContext(ctx, "socat", "-", fmt.Sprintf("UDP:127.0.0.1:%d", port))
	stdin, err := socat.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := socat.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := socat.Start(); err != nil {
		t.Fatal(err)
	}
	const msg = "datagram from socat"
	if _, err := io.WriteString(stdin, msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(stdout, got); err != nil {
		t.Fatalf("reading socat's output: %v", err)
	}
	_ = stdin.Close()
	if err := socat.Wait(); err != nil {
		t.Errorf("socat: %v", err)
	}
	if string(got) != msg {
		t.Fatalf("socat got %q", got)
	}
}

func TestUDPEchoClientAndServer(t *testing.T) {
	_, port := startUDPEchoServer(t)
	code, out, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/udp_echo_client.star",
		"127.0.0.1", strconv.Itoa(port), "one", "two words", "three")
	if code != 0 {
		t.Fatalf("client exited %d\n%s%s", code, out, stderr)
	}
	if want := "received: one\nreceived: two words\nreceived: three\n"; out != want {
		t.Errorf("client printed %q, want %q", out, want)
	}
}

// pythonUDPEchoOnce is an echo server that prints its port, then answers
// every datagram but the first (which it drops, as a lossy network would)
// until it has answered argv[1] of them.
const pythonUDPEchoOnce = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(30)
print("port", s.getsockname()[1], flush=True)
data, addr = s.recvfrom(65536)
print("dropped", data.decode(), flush=True)
for _ in range(int(sys.argv[1])):
    data, addr = s.recvfrom(65536)
    s.sendto(data, addr)
`

// TestUDPEchoClientRetries checks that the client sends a message again
// when its first datagram is lost.
func TestUDPEchoClientRetries(t *testing.T) {
	peer := startPython(t, pythonUDPEchoOnce, "2")
	port := strings.Fields(peer.waitLine("port "))[1]
	code, out, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/udp_echo_client.star", "127.0.0.1", port, "lost once", "then fine")
	if code != 0 {
		t.Fatalf("client exited %d\n%s%s", code, out, stderr)
	}
	if want := "received: lost once\nreceived: then fine\n"; out != want {
		t.Errorf("client printed %q, want %q", out, want)
	}
	peer.waitLine("dropped lost once")
}

func TestUDPEchoClientRefused(t *testing.T) {
	port := releasedUDPPort(t)
	code, out, _ := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/udp_echo_client.star", "127.0.0.1", strconv.Itoa(port))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if want := "error: ConnectionRefusedError: [Errno 111] Connection refused\n"; out != want {
		t.Errorf("client printed %q, want %q", out, want)
	}
}

// releasedUDPPort returns a UDP port of 127.0.0.1 that was just bound and
// released: datagrams to it are refused (ICMP port unreachable).
func releasedUDPPort(t *testing.T) int {
	t.Helper()
	out := runPython(t, `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
`)
	port, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
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

func TestUDPEchoServerUnixSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "echo.sock")
	server := startScript(t, "run", "--allow-read="+dir, "--allow-write="+dir, "scripts/udp_echo_server.star", "0", path)
	if line := server.waitLine("listening on "); line != "listening on "+path {
		t.Fatalf("server printed %q", line)
	}
	if out := runPython(t, pythonUnixDgram, path, filepath.Join(dir, "client.sock")); out != "ok\n" {
		t.Fatalf("python client printed %q", out)
	}
}

func TestUDPPermissionDenied(t *testing.T) {
	// Binding needs --allow-net.
	code, _, stderr := runScript(t, "run", "scripts/udp_echo_server.star", "0")
	if want := `PermissionError: net access to "127.0.0.1:0" denied; run with --allow-net=127.0.0.1:0`; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("server without --allow-net: exit %d, stderr %q, want 1 and %q", code, stderr, want)
	}
	// So does the remote address.
	code, _, stderr = runScript(t, "run", "--allow-net=127.0.0.1:53", "scripts/udp_echo_client.star", "127.0.0.1", "5353")
	if want := `PermissionError: net access to "127.0.0.1:5353" denied; run with --allow-net=127.0.0.1:5353`; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("client: exit %d, stderr %q, want 1 and %q", code, stderr, want)
	}
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
	peer := startPython(t, pythonTwoSenders)
	allowedPort := strings.Fields(peer.waitLine("allowed "))[1]
	deniedPort := strings.Fields(peer.waitLine("denied "))[1]
	server := startScript(t, "run", "--allow-net=127.0.0.1:0,127.0.0.1:"+allowedPort, "scripts/udp_echo_server.star", "0")
	port := server.listenPort()
	if _, err := fmt.Fprintf(peer.stdin, "%d\n", port); err != nil {
		t.Fatal(err)
	}
	peer.waitLine("ok")
	want := fmt.Sprintf(`PermissionError: net access to "127.0.0.1:%s" denied; run with --allow-net=127.0.0.1:%s`, deniedPort, deniedPort)
	if stderr := server.stderr.String(); !strings.Contains(stderr, want) || !strings.Contains(stderr, "Echo.datagram_received() failed") {
		t.Errorf("server stderr %q lacks %q", stderr, want)
	}
	if !server.running() {
		t.Errorf("server exited")
	}
}
