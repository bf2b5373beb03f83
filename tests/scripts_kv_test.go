package tests

import (
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pyKVClients runs argv[2] python3 clients of kv_server.star at once (one
// thread each, all connected before any sends) on 127.0.0.1:argv[1]. Client
// i sets and reads back its own key, increments the shared key "hits" 10
// times, asks for an unknown command, and quits. It prints "ok N" when
// every answer was right, else the first wrong one.
const pyKVClients = `
import socket, sys, threading
port, n = int(sys.argv[1]), int(sys.argv[2])
barrier = threading.Barrier(n)
errors = []
def client(i):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        f = s.makefile("rwb")
        barrier.wait()
        def ask(line, want=None):
            f.write(line.encode() + b"\n"); f.flush()
            got = f.readline().decode().rstrip("\n")
            if want is not None and got != want:
                raise AssertionError("client %d: %r -> %r, want %r" % (i, line, got, want))
            return got
        ask("SET key%d value %d" % (i, i), "OK")
        ask("GET key%d" % i, "VALUE value %d" % i)
        for _ in range(10):
            int(ask("INCR hits"))
        ask("NOPE", 'ERROR unknown command "NOPE"')
        ask("QUIT", "BYE")
        if f.read() != b"":
            raise AssertionError("client %d: data after BYE" % i)
        s.close()
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
for t in threads: t.start()
for t in threads: t.join()
print(errors[0] if errors else "ok %d" % n, flush=True)
`

// TestKVServerConcurrentClients: 100 python3 clients at once, each on its
// own connection and handler task, share the server's dict: every answer
// is right, and no INCR of the shared key is lost. kv_client.star then
// reads what they left.
func TestKVServerConcurrentClients(t *testing.T) {
	t.Parallel()
	srv := startScript(t, "run", "--allow-net=127.0.0.1", "scripts/kv_server.star", "0")
	port := strconv.Itoa(listenPort(t, srv))
	out := strings.TrimSpace(testkit.RunPython(t, pyKVClients, port, "100"))
	require.Equal(t, "ok 100", out, "what the python clients reported")

	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/kv_client.star", "127.0.0.1", port,
		"GET hits", "GET key42", "COUNT", "DEL key42", "GET key42", "SET a b c", "INCR a", "QUIT")
	require.Equal(t, 0, code, "kv_client's exit status; stderr:\n%s", stderr)
	assert.Equal(t, strings.Join([]string{
		"GET hits -> VALUE 1000",
		"GET key42 -> VALUE value 42",
		"COUNT -> 101",
		"DEL key42 -> DELETED",
		"GET key42 -> NOT_FOUND",
		"SET a b c -> OK",
		"INCR a -> ERROR not an integer",
		"QUIT -> BYE",
	}, "\n")+"\n", stdout, "what kv_client printed")
	assert.Empty(t, stopAndStderr(t, srv), "the server's stderr (no -v: nothing logged)")
}

// pyKVShortServer answers the first request line "OK" and closes: a
// server that stops early, for kv_client.star.
const pyKVShortServer = `
import socket
ln = socket.socket()
ln.bind(("127.0.0.1", 0))
ln.listen(1)
print("port", ln.getsockname()[1], flush=True)
c, _ = ln.accept()
f = c.makefile("rwb")
f.readline()
f.write(b"OK\n"); f.flush()
c.close()
`

// TestKVClientServerClosesEarly: an answer missing is exit status 1 with
// the request named on stderr.
func TestKVClientServerClosesEarly(t *testing.T) {
	t.Parallel()
	srv := testkit.StartPython(t, pyKVShortServer)
	port := strings.TrimPrefix(srv.WaitLine("port "), "port ")
	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/kv_client.star", "127.0.0.1", port, "SET a 1", "GET a")
	assert.Equal(t, 1, code, "exit status")
	assert.Equal(t, "SET a 1 -> OK\n", stdout, "stdout")
	assert.Contains(t, stderr, `kv_client: the server closed the connection before answering "GET a"`, "stderr")
}

// TestKVServerWithSocat: socat, a client nobody here wrote, and -v's log
// lines on stderr.
func TestKVServerWithSocat(t *testing.T) {
	t.Parallel()
	srv := startScript(t, "run", "--allow-net=127.0.0.1", "scripts/kv_server.star", "-v", "0")
	port := strconv.Itoa(listenPort(t, srv))
	socat := testkit.StartTool(t, "socat", "-", "TCP:127.0.0.1:"+port)
	_, err := socat.Stdin.Write([]byte("SET x 1\nINCR x\nGET x\nQUIT\n"))
	require.NoError(t, err)
	assert.Equal(t, 0, socat.WaitExit(waitTimeout), "socat's exit status; stderr:\n%s", socat.Stderr())
	assert.Equal(t, "OK\n2\nVALUE 2\nBYE\n", socat.Stdout(), "what socat got")
	stderr := stopAndStderr(t, srv)
	assert.Contains(t, stderr, " INFO 127.0.0.1:", "the log lines")
	assert.Contains(t, stderr, " gone\n", "the log lines")
}
