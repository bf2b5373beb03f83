package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// startFileServer writes size random bytes to a file and serves it with
// scripts/file_server.star; it returns the server, its port and the data.
func startFileServer(t *testing.T, size int) (*process, int, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "payload.bin")
	data := randomBytes(t, size)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+path, "scripts/file_server.star", path, "0")
	return p, p.listenPort(), data
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

func TestFileServerConcurrentClients(t *testing.T) {
	server, port, data := startFileServer(t, 8<<20)
	const clients = 8
	out := runPython(t, pythonFetchAll, strconv.Itoa(port), strconv.Itoa(clients))
	want := fmt.Sprintf("%d %s", len(data), sha256Hex(data))
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line != want {
			t.Errorf("client %d got %q, want %q", i, line, want)
		}
	}
	for i := 0; i < clients; i++ {
		if line := server.waitLine("sent "); !strings.HasPrefix(line, fmt.Sprintf("sent %d bytes to 127.0.0.1:", len(data))) {
			t.Errorf("server: %q", line)
		}
	}
}

func TestFileServerSocat(t *testing.T) {
	_, port, data := startFileServer(t, 3<<20)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	socat := exec.CommandContext(ctx, "socat", "-u", fmt.Sprintf("TCP:127.0.0.1:%d", port), "-")
	var out bytes.Buffer
	socat.Stdout = &out
	if err := socat.Run(); err != nil {
		t.Fatalf("socat: %v", err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Errorf("socat got %d bytes, want %d", out.Len(), len(data))
	}
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
	server, port, data := startFileServer(t, 32<<20)
	runPython(t, pythonHangUp, strconv.Itoa(port))
	if line := server.waitLine("failed to send to "); !strings.Contains(line, "Error") {
		t.Errorf("server: %q", line)
	}
	out := runPython(t, pythonFetchAll, strconv.Itoa(port), "1")
	if want := fmt.Sprintf("%d %s\n", len(data), sha256Hex(data)); out != want {
		t.Errorf("client got %q, want %q", out, want)
	}
	if !server.running() {
		t.Errorf("server exited: %s", server.stderr.String())
	}
}

func TestFileServerPermissionDenied(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/file_server.star", path, "0")
	want := `PermissionError: read access to "` + path + `" denied; run with --allow-read=` + path
	if code != 1 || out != "" || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and %q", code, out, stderr, want)
	}
}
