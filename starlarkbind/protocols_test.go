package starlarkbind

import (
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestBufferedProtocolEcho serves a python3 client with a buffered protocol
// (get_buffer/buffer_updated) that echoes.
func TestBufferedProtocolEcho(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	g := te.exec(`
hints = []
def init(self):
    self.buf = binary.buffer(4096)
def get_buffer(self, sizehint):
    hints.append(sizehint)
    return self.buf
def buffer_updated(self, n):
    self.t.write(self.buf[:n])
def lost(self, exc):
    srv.close()
B = protocol("B", init = init, get_buffer = get_buffer, buffer_updated = buffer_updated,
             connection_made = lambda self, t: set_t(self, t), connection_lost = lost)
def set_t(self, t):
    self.t = t
srv = loop.run_until_complete(loop.create_server(B, "127.0.0.1", 0))
`)
	py := testkit.StartPython(t, pyEcho, itoa(te.serverPort(g, "srv")), "1", "30")
	te.run()
	require.Equal(t, "ok", waitPython(t, py), "client")
	hints := g["hints"].String()
	assert.Truef(t, strings.HasPrefix(hints, "[-1,"), "get_buffer sizehints = %.40s", hints)
	assert.Empty(t, te.stderr.String(), "stderr")
}

// oddServer serves protocols that misbehave in the ways a script can.
const oddServer = `
lost = []
def made(self, t):
    self.t = t
def record(self, exc):
    lost.append((self.tag, None if exc == None else exc.kind))
    if len(lost) == want:
        srv.close()
def factory():
    kind = kinds.pop(0)
    if kind == "none":
        return None
    if kind == "raise":
        fail("factory failed")
    if kind == "bytes_buffer":
        return protocol("X", get_buffer = lambda self, n: b"abc", connection_made = made,
                        connection_lost = record)(tag = kind)
    if kind == "empty_buffer":
        return protocol("X", get_buffer = lambda self, n: binary.buffer(), connection_made = made,
                        connection_lost = record)(tag = kind)
    if kind == "frozen_buffer":
        b = binary.buffer(10)
        freeze(b)
        return protocol("X", get_buffer = lambda self, n: b, connection_made = made,
                        connection_lost = record)(tag = kind)
    if kind == "bad_eof":
        return protocol("X", eof_received = lambda self: fail("eof"), connection_made = made,
                        connection_lost = record)(tag = kind)
    if kind == "made_fails":
        # connection_made failing is only reported: the connection stays.
        return protocol("X", connection_made = lambda self, t: made(self, t) or fail("made"),
                        data_received = lambda self, d: self.t.write(d), connection_lost = record)(tag = kind)
    if kind == "no_callbacks":
        return struct(tag = kind)
    if kind == "wrong_arity":
        # protocol() refuses a wrong arity when the class is made (the
        # factory fails, as "bad_class"); a struct protocol is only called.
        return struct(tag = kind, data_received = lambda: None,
                      connection_lost = lambda exc: record(struct(tag = kind), exc))
    if kind == "bad_class":
        return protocol("X", data_received = lambda self: None, connection_made = made,
                        connection_lost = record)(tag = kind)
    fail("unknown kind " + kind)
srv = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", 0))
`

// pyOdd opens one connection per kind, sends data, half-closes, and reads
// until the server closes.
const pyOdd = `
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    c = socket.create_connection(("127.0.0.1", port), timeout=20)
    try:
        c.sendall(b"data")
        c.shutdown(socket.SHUT_WR)
        while c.recv(65536):
            pass
    except OSError:   # reset, broken pipe, not connected: the server closed first
        pass
    c.close()
print("ok")
`

// TestMisbehavingProtocolsDoNotCrash serves connections with protocols that
// misbehave in every way a script can (factories returning None or failing,
// bad buffers, failing callbacks, no callbacks, wrong arities): each is
// reported and ends only its own connection.
func TestMisbehavingProtocolsDoNotCrash(t *testing.T) {
	t.Parallel()
	kinds := []string{"none", "raise", "bad_class", "bytes_buffer", "empty_buffer", "frozen_buffer", "bad_eof", "made_fails", "no_callbacks", "wrong_arity"}
	te := newTestEnv(t, Options{Permissions: allowLocal})
	list := make([]starlark.Value, len(kinds))
	for i, k := range kinds {
		list[i] = starlark.String(k)
	}
	te.e.Predeclare("kinds", starlark.NewList(list))
	te.e.Predeclare("want", starlark.MakeInt(len(kinds)-4)) // none, raise, no_callbacks and bad_class have no connection_lost
	g := te.exec(oddServer)
	py := testkit.StartPython(t, pyOdd, itoa(te.serverPort(g, "srv")), itoa(len(kinds)))
	// The server closes itself after `want` losses; the struct protocol's
	// connection closes when the peer half-closes (eof_received missing →
	// close).
	te.run()
	require.Equal(t, "ok", waitPython(t, py), "client")
	// An empty buffer fails with asyncio's own RuntimeError, which the
	// transport raises; a script's failures are ScriptErrors.
	want := `[("bytes_buffer", "ScriptError"), ("empty_buffer", "RuntimeError"), ("frozen_buffer", "ScriptError"), ("bad_eof", "ScriptError"), ("made_fails", None), ("wrong_arity", "ScriptError")]`
	assert.Equal(t, want, g["lost"].String(), "lost")
	report := te.stderr.String()
	for _, want := range []string{
		"protocol factory factory failed", "factory returned NoneType", "factory failed",
		"X.get_buffer() failed", "want a binary.buffer", "empty buffer", "frozen",
		"X.eof_received() failed", "X.connection_made() failed", "data_received() failed",
		"protocol X: the loop calls data_received(self, data) with 2 arguments, but lambda",
	} {
		assert.Contains(t, report, want, "report")
	}
	assert.Zero(t, te.e.OpenTransports(), "transports still tracked")
}

// TestSetProtocolSwitchesKindAndKeepsIdentity switches a connection from a
// stream protocol to a buffered one inside data_received: the next read goes
// to the new protocol, and the transport stays the same value.
func TestSetProtocolSwitchesKindAndKeepsIdentity(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	g := te.exec(`
events = []
def b_init(self, t):
    self.t = t
    self.buf = binary.buffer(16)
def b_updated(self, n):
    events.append(("buffered", self.buf[:n]))
    self.t.write(b"B:" + self.buf[:n])
def b_lost(self, exc):
    events.append(("lost", self.t == first[0], exc))
    srv.close()
B = protocol("B", init = b_init, get_buffer = lambda self, n: self.buf, buffer_updated = b_updated,
             connection_lost = b_lost)
first = []
def a_made(self, t):
    self.t = t
    first.append(t)
def a_data(self, data):
    events.append(("stream", data))
    b = B(self.t)
    self.t.set_protocol(b)
    events.append(("proto", self.t.get_protocol() == b, self.t.get_protocol() != self))
    self.t.write(b"A:" + data)
A = protocol("A", connection_made = a_made, data_received = a_data)
srv = loop.run_until_complete(loop.create_server(A, "127.0.0.1", 0))
`)
	py := testkit.StartPython(t, `
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
c.sendall(b"one")
assert c.recv(100) == b"A:one"
c.sendall(b"two")
assert c.recv(100) == b"B:two"
c.close()
print("ok")
`, itoa(te.serverPort(g, "srv")))
	te.run()
	require.Equal(t, "ok", waitPython(t, py), "client")
	want := `[("stream", b"one"), ("proto", True, True), ("buffered", b"two"), ("lost", True, None)]`
	assert.Equal(t, want, g["events"].String(), "events")
}
