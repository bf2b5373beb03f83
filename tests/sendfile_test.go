package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startFileServer writes size random bytes to a file and serves it with
// scripts/file_server.star; it returns the server, its port and the data.
func startFileServer(t *testing.T, size int) (*testkit.Process, int, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "payload.bin")
	data := randomBytes(t, size)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	p := startScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+path, "scripts/file_server.star", path, "0")
	return p, listenPort(t, p), data
}

// pythonFetchAll connects argv[2] clients at once, each reading to EOF,
// and prints the length and SHA-256 of what each got, one line per client.
const pythonFetchAll = `
import hashlib, socket, sys, threading
port, n = int(sys.argv[1]), int(sys.argv[2])
results = [None] * n
def fetch(i):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    h, total = hashlib.sha256(), 0
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        h.update(b)
        total += len(b)
    s.close()
    results[i] = "%d %s" % (total, h.hexdigest())
threads = [threading.Thread(target=fetch, args=(i,)) for i in range(n)]
for t in threads: t.start()
for t in threads: t.join()
print("\n".join(results))
`

// TestFileServerConcurrentClients: eight clients at once each get the
// whole file from scripts/file_server.star, which reports each send.
func TestFileServerConcurrentClients(t *testing.T) {
	t.Parallel()
	server, port, data := startFileServer(t, 8<<20)
	const clients = 8
	out := testkit.RunPython(t, pythonFetchAll, strconv.Itoa(port), strconv.Itoa(clients))
	want := fmt.Sprintf("%d %s", len(data), sha256Hex(data))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, clients, "what the clients got")
	for i, line := range lines {
		assert.Equal(t, want, line, "what client %d got", i)
	}
	for i := 0; i < clients; i++ {
		line := server.WaitLine("sent ")
		assert.True(t, strings.HasPrefix(line, fmt.Sprintf("sent %d bytes to 127.0.0.1:", len(data))), "server line %q", line)
	}
}

// TestFileServerSocat: socat reading to EOF gets the whole file.
func TestFileServerSocat(t *testing.T) {
	t.Parallel()
	_, port, data := startFileServer(t, 3<<20)
	socat := testkit.StartTool(t, "socat", "-u", fmt.Sprintf("TCP:127.0.0.1:%d", port), "-")
	out := socat.Wait(waitTimeout)
	assert.True(t, out == string(data), "socat got %d bytes, want the %d of the file", len(out), len(data))
}

// pythonHangUp connects, reads a little, then resets the connection.
const pythonHangUp = `
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
assert s.recv(1000)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print("ok")
`

// TestFileServerClientHangsUp: a client that goes away mid-file fails that
// sendfile only; the next client gets the whole file.
func TestFileServerClientHangsUp(t *testing.T) {
	t.Parallel()
	server, port, data := startFileServer(t, 32<<20)
	testkit.RunPython(t, pythonHangUp, strconv.Itoa(port))
	assert.Contains(t, server.WaitLine("failed to send to "), "Error", "what the server printed")
	out := testkit.RunPython(t, pythonFetchAll, strconv.Itoa(port), "1")
	assert.Equal(t, fmt.Sprintf("%d %s\n", len(data), sha256Hex(data)), out, "what the client got")
	assert.True(t, server.Running(), "server exited")
}

// TestFileServerPermissionDenied: serving a file needs --allow-read for it.
func TestFileServerPermissionDenied(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(path, []byte("secret"), 0o600))
	code, out, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/file_server.star", path, "0")
	assert.Equal(t, 1, code, "exit status")
	assert.Empty(t, out, "stdout")
	assert.Contains(t, stderr, `PermissionError: read access to "`+path+`" denied; run with --allow-read=`+path)
}
