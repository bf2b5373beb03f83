package starlarkbind

import (
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// echoServer is a script: an echo server that counts connection_made and
// connection_lost per transport and closes itself after `want` connections
// were lost.
const echoServer = `
made = {}
lost = {}
errors = []

def connection_made(self, transport):
    self.transport = transport
    made[transport] = made.get(transport, 0) + 1

def data_received(self, data):
    if data[:4] == b"boom":
        fail("boom requested")
    if data[:4] == b"spin":
        while True:
            pass
    self.transport.write(data)

def connection_lost(self, exc):
    lost[self.transport] = lost.get(self.transport, 0) + 1
    errors.append(None if exc == None else exc.kind)
    if exc != None:
        messages.append(exc.message)
    if len(lost) == want:
        srv.close()

messages = []
Echo = protocol("Echo", connection_made = connection_made, data_received = data_received,
                connection_lost = connection_lost)
srv = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0))
`

// pyEcho checks echoes on several concurrent connections.
const pyEcho = `
import socket, sys, random
port, nconn, nmsg = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
conns = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(nconn)]
rnd = random.Random(1)
for i in range(nmsg):
    for c in conns:
        msg = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 3000)))
        c.sendall(msg)
        got = b""
        while len(got) < len(msg):
            chunk = c.recv(65536)
            assert chunk, "closed early"
            got += chunk
        assert got == msg, "echo mismatch"
for c in conns:
    c.close()
print("ok")
`

// TestEchoServerWithPythonClient serves a python3 client's three
// concurrent connections with a script's echo server: every echo comes
// back, each transport is made and lost once, without errors.
func TestEchoServerWithPythonClient(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 1_000_000})
	te.e.Predeclare("want", starlark.MakeInt(3))
	g := te.exec(echoServer)
	py := testkit.StartPython(t, pyEcho, itoa(te.serverPort(g, "srv")), "3", "40")
	te.run()
	require.Equal(t, "ok", waitPython(t, py), "client")
	checkCounts(t, g, 3)
	assert.Equal(t, "[None, None, None]", g["errors"].String(), "connection_lost exceptions")
	assert.Empty(t, te.stderr.String(), "stderr")
	assert.Zero(t, te.e.OpenTransports(), "transports still tracked")
}

// checkCounts checks that each of n transports was made and lost exactly once.
func checkCounts(t *testing.T, g starlark.StringDict, n int) {
	t.Helper()
	for _, name := range []string{"made", "lost"} {
		d := g[name].(*starlark.Dict)
		assert.Equalf(t, n, d.Len(), "transports in %s: %s", name, d)
		for _, item := range d.Items() {
			assert.Equalf(t, starlark.Value(starlark.MakeInt(1)), item[1], "%s[%s]", name, item[0])
		}
	}
}

// pyFailing: connection a echoes, b sends "boom" (or "spin") and must be
// closed, a still echoes, then a new connection c echoes.
const pyFailing = `
import socket, sys
port, bad = int(sys.argv[1]), sys.argv[2].encode()
def echo(c, msg):
    c.sendall(msg)
    got = b""
    while len(got) < len(msg):
        chunk = c.recv(65536)
        assert chunk, "closed early"
        got += chunk
    assert got == msg
a = socket.create_connection(("127.0.0.1", port), timeout=20)
echo(a, b"first")
b = socket.create_connection(("127.0.0.1", port), timeout=20)
b.sendall(bad)
try:
    rest = b.recv(100)
except ConnectionResetError:
    rest = b""
assert rest == b"", rest
echo(a, b"still here")
c = socket.create_connection(("127.0.0.1", port), timeout=20)
echo(c, b"new connection")
for s in (a, b, c):
    s.close()
print("ok")
`

// TestFailingDataReceivedClosesOnlyItsConnection checks that a failing
// data_received closes its own connection with a ScriptError, reported with
// a traceback, while the other connections and the server go on.
func TestFailingDataReceivedClosesOnlyItsConnection(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 1_000_000})
	te.e.Predeclare("want", starlark.MakeInt(3))
	g := te.exec(echoServer)
	py := testkit.StartPython(t, pyFailing, itoa(te.serverPort(g, "srv")), "boom")
	te.run()
	require.Equal(t, "ok", waitPython(t, py), "client")
	checkCounts(t, g, 3)
	assert.Equal(t, `["ScriptError", None, None]`, g["errors"].String(), "connection_lost kinds")
	msg := g["messages"].String()
	assert.Contains(t, msg, "Echo.data_received() failed", "ScriptError message")
	assert.Contains(t, msg, "boom requested", "ScriptError message")
	// The report names the protocol, the callback and the peer, and has a
	// traceback with file:line.
	report := te.stderr.String()
	for _, want := range []string{"Echo.data_received() failed (peer 127.0.0.1:", "test.star:", "in data_received", "boom requested"} {
		assert.Contains(t, report, want, "report")
	}
}
