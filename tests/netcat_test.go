package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// pythonNCPeer is the TCP peer of scripts/netcat.star: it listens on a
// port it prints, accepts one connection and plays argv[1]:
//
//	upload    reads to EOF (netcat's stdin ended: write_eof), then answers
//	          "got N bytes SHA256" and closes;
//	download  sends "hello from peer\n" and shuts down its sending side,
//	          then reads to EOF and prints what it got (netcat must still
//	          forward stdin after the peer's EOF);
//	echo      echoes everything, closing its side at EOF.
const pythonNCPeer = `
import hashlib, socket, sys
mode = sys.argv[1]
ln = socket.socket()
ln.bind(("127.0.0.1", 0))
ln.listen(1)
ln.settimeout(30)
print("port", ln.getsockname()[1], flush=True)
c, _ = ln.accept()
c.settimeout(30)
def read_all():
    chunks = []
    while True:
        b = c.recv(1 << 16)
        if not b:
            return b"".join(chunks)
        chunks.append(b)
if mode == "upload":
    data = read_all()
    c.sendall(b"got %d bytes %s\n" % (len(data), hashlib.sha256(data).hexdigest().encode()))
    c.close()
elif mode == "download":
    c.sendall(b"hello from peer\n")
    c.shutdown(socket.SHUT_WR)
    print("peer got", read_all().decode(), flush=True)
    c.close()
elif mode == "echo":
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        c.sendall(b)
    c.close()
print("peer done", flush=True)
`

// startNetcat starts the peer in mode and netcat connected to it.
func startNetcat(t *testing.T, mode string) (peer, nc *process) {
	t.Helper()
	peer = startPython(t, pythonNCPeer, mode)
	port := strings.Fields(peer.waitLine("port "))[1]
	nc = startScript(t, "run", "--allow-net=127.0.0.1", "scripts/netcat.star", "127.0.0.1", port)
	return peer, nc
}

// TestNetcatUpload: stdin's data reaches the peer, stdin's EOF becomes a
// half-close, and the peer's answer still comes back to stdout.
func TestNetcatUpload(t *testing.T) {
	peer, nc := startNetcat(t, "upload")
	data := make([]byte, 3<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.stdin.Write(data); err != nil {
		t.Fatalf("writing netcat's stdin: %v", err)
	}
	_ = nc.stdin.Close()
	if code := nc.waitExit(waitTimeout); code != 0 {
		t.Fatalf("netcat exited %d: %s", code, nc.stderr.String())
	}
	want := fmt.Sprintf("got %d bytes %x\n", len(data), sha256.Sum256(data))
	if got := nc.stdout(); got != want {
		t.Errorf("netcat printed %q, want %q", got, want)
	}
	peer.waitLine("peer done")
}

// TestNetcatDownload: the peer's EOF comes first; netcat keeps forwarding
// stdin and exits only once stdin ends too.
func TestNetcatDownload(t *testing.T) {
	peer, nc := startNetcat(t, "download")
	nc.waitLine("hello from peer")
	// The peer has half-closed; netcat must still be sending.
	if _, err := io.WriteString(nc.stdin, "still here"); err != nil {
		t.Fatal(err)
	}
	_ = nc.stdin.Close()
	if line := peer.waitLine("peer got "); line != "peer got still here" {
		t.Errorf("peer: %q", line)
	}
	if code := nc.waitExit(waitTimeout); code != 0 {
		t.Fatalf("netcat exited %d: %s", code, nc.stderr.String())
	}
	if got := nc.stdout(); got != "hello from peer\n" {
		t.Errorf("netcat printed %q", got)
	}
}

// TestNetcatEcho streams 4 MiB through netcat to an echo peer and back,
// both directions at once (flow control on both pipes and the socket).
// Its stdin is a pipe fed by os/exec; its stdout, a pipe os/exec drains.
func TestNetcatEcho(t *testing.T) {
	peer := startPython(t, pythonNCPeer, "echo")
	port := strings.Fields(peer.waitLine("port "))[1]
	data := make([]byte, 4<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, starnetBin, "run", "--allow-net=127.0.0.1", "scripts/netcat.star", "127.0.0.1", port)
	cmd.Dir = ".."
	cmd.Stdin = bytes.NewReader(data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("netcat: %v\n%s", err, stderr.String())
	}
	if !bytes.Equal(stdout.Bytes(), data) {
		t.Errorf("echo mismatch: sent %d bytes, got %d", len(data), stdout.Len())
	}
	peer.waitLine("peer done")
}

// TestNetcatSocat runs netcat against socat as the peer: the test accepts
// netcat's connection and hands it to `socat FD:3 EXEC:cat`, an echo.
func TestNetcatSocat(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc := startScript(t, "run", "--allow-net=127.0.0.1", "scripts/netcat.star", "127.0.0.1", fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(waitTimeout))
	conn, err := ln.Accept()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	f, err := conn.(*net.TCPConn).File()
	_ = conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("socat", "FD:3", "EXEC:cat")
	cmd.ExtraFiles = []*os.File{f}
	socat := start(t, "socat FD:3 EXEC:cat", cmd)
	_ = f.Close()

	if _, err := io.WriteString(nc.stdin, "through socat\n"); err != nil {
		t.Fatal(err)
	}
	nc.waitLine("through socat")
	_ = nc.stdin.Close()
	if code := nc.waitExit(waitTimeout); code != 0 {
		t.Fatalf("netcat exited %d: %s", code, nc.stderr.String())
	}
	if got := nc.stdout(); got != "through socat\n" {
		t.Errorf("netcat printed %q", got)
	}
	if code := socat.waitExit(waitTimeout); code != 0 {
		t.Errorf("socat exited %d: %s", code, socat.stderr.String())
	}
}

func TestNetcatFailures(t *testing.T) {
	port := releasedPort(t)
	code, out, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/netcat.star", "127.0.0.1", fmt.Sprint(port))
	if code != 1 || out != "" || !strings.Contains(stderr, "ConnectionRefusedError") {
		t.Errorf("refused: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	code, _, stderr = runScript(t, "run", "--allow-net=127.0.0.2", "scripts/netcat.star", "127.0.0.1", fmt.Sprint(port))
	want := fmt.Sprintf(`PermissionError: net access to "127.0.0.1:%d" denied; run with --allow-net=127.0.0.1:%d`, port, port)
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("denied: exit %d, stderr %q, want %q", code, stderr, want)
	}
}
