package tests

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
func startNetcat(t *testing.T, mode string) (peer, nc *testkit.Process) {
	t.Helper()
	peer = testkit.StartPython(t, pythonNCPeer, mode)
	port := strings.Fields(peer.WaitLine("port "))[1]
	nc = startScript(t, "run", "--allow-net=127.0.0.1", "scripts/netcat.star", "127.0.0.1", port)
	return peer, nc
}

// TestNetcatUpload: stdin's data reaches the peer, stdin's EOF becomes a
// half-close, and the peer's answer still comes back to stdout.
func TestNetcatUpload(t *testing.T) {
	t.Parallel()
	peer, nc := startNetcat(t, "upload")
	data := randomBytes(t, 3<<20)
	writeAndClose(t, nc, data)
	require.Equal(t, 0, nc.WaitExit(waitTimeout), "netcat's exit status; stderr:\n%s", nc.Stderr())
	assert.Equal(t, fmt.Sprintf("got %d bytes %x\n", len(data), sha256.Sum256(data)), nc.Stdout(), "what netcat printed")
	peer.WaitLine("peer done")
}

// TestNetcatDownload: the peer's EOF comes first; netcat keeps forwarding
// stdin and exits only once stdin ends too.
func TestNetcatDownload(t *testing.T) {
	t.Parallel()
	peer, nc := startNetcat(t, "download")
	nc.WaitLine("hello from peer")
	// The peer has half-closed; netcat must still be sending.
	writeAndClose(t, nc, []byte("still here"))
	assert.Equal(t, "peer got still here", peer.WaitLine("peer got "), "what the peer printed")
	require.Equal(t, 0, nc.WaitExit(waitTimeout), "netcat's exit status; stderr:\n%s", nc.Stderr())
	assert.Equal(t, "hello from peer\n", nc.Stdout(), "what netcat printed")
}

// TestNetcatEcho streams 4 MiB through netcat to an echo peer and back,
// both directions at once (flow control on both pipes and the socket).
// Its stdin is a pipe fed by os/exec; its stdout, a pipe os/exec drains.
func TestNetcatEcho(t *testing.T) {
	t.Parallel()
	peer := testkit.StartPython(t, pythonNCPeer, "echo")
	port := strings.Fields(peer.WaitLine("port "))[1]
	data := randomBytes(t, 4<<20)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, starnetBin, "run", "--allow-net=127.0.0.1", "scripts/netcat.star", "127.0.0.1", port)
	cmd.Dir = ".."
	cmd.Stdin = bytes.NewReader(data)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "netcat; stderr:\n%s", stderr.String())
	assert.True(t, bytes.Equal(stdout.Bytes(), data), "echo mismatch: sent %d bytes, got %d", len(data), stdout.Len())
	peer.WaitLine("peer done")
}

// TestNetcatSocat runs netcat against socat as the peer: the test accepts
// netcat's connection and hands it to `socat FD:3 EXEC:cat`, an echo.
func TestNetcatSocat(t *testing.T) {
	t.Parallel()
	testkit.RequireTool(t, "socat")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	nc := startScript(t, "run", "--allow-net=127.0.0.1", "scripts/netcat.star", "127.0.0.1", fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))
	require.NoError(t, ln.(*net.TCPListener).SetDeadline(time.Now().Add(waitTimeout)))
	conn, err := ln.Accept()
	require.NoError(t, err, "accept")
	f, err := conn.(*net.TCPConn).File()
	_ = conn.Close()
	require.NoError(t, err)
	testkit.RequireTool(t, "socat")
	cmd := exec.Command("socat", "FD:3", "EXEC:cat")
	cmd.ExtraFiles = []*os.File{f}
	socat := testkit.Start(t, "socat FD:3 EXEC:cat", cmd)
	_ = f.Close()

	_, err = io.WriteString(nc.Stdin, "through socat\n")
	require.NoError(t, err)
	nc.WaitLine("through socat")
	require.NoError(t, nc.Stdin.Close())
	require.Equal(t, 0, nc.WaitExit(waitTimeout), "netcat's exit status; stderr:\n%s", nc.Stderr())
	assert.Equal(t, "through socat\n", nc.Stdout(), "what netcat printed")
	assert.Equal(t, 0, socat.WaitExit(waitTimeout), "socat's exit status; stderr:\n%s", socat.Stderr())
}

// TestNetcatFailures: a refused connection and an address --allow-net does
// not cover both make netcat.star exit 1 with the error on stderr.
func TestNetcatFailures(t *testing.T) {
	t.Parallel()
	port := releasedPort(t)
	code, out, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/netcat.star", "127.0.0.1", fmt.Sprint(port))
	assert.Equal(t, 1, code, "refused: exit status")
	assert.Empty(t, out, "refused: stdout")
	assert.Contains(t, stderr, "ConnectionRefusedError", "refused: stderr")
	code, _, stderr = runScript(t, "run", "--allow-net=127.0.0.2", "scripts/netcat.star", "127.0.0.1", fmt.Sprint(port))
	assert.Equal(t, 1, code, "denied: exit status")
	assert.Contains(t, stderr, fmt.Sprintf(`PermissionError: net access to "127.0.0.1:%d" denied; run with --allow-net=127.0.0.1:%d`, port, port), "denied: stderr")
}
