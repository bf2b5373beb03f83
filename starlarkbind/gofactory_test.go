package starlarkbind

import (
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/transports"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// goEcho is a Go protocol on transports.StreamBase; onLost, if set, runs
// in ConnectionLost.
type goEcho struct {
	transports.StreamBase
	onLost func()
}

func (p *goEcho) ConnectionLost(error) {
	if p.onLost != nil {
		p.onLost()
	}
}

func (p *goEcho) DataReceived(d []byte) { _ = p.Transport().Write(d) }

// TestGoFactoryInScript serves a script's client with a Go protocol factory
// (GoFactory): the echo comes back, and the env tracks the Go protocol's
// transport as it does a script protocol's.
func TestGoFactoryInScript(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	te.e.Predeclare("go_echo", GoFactory(func() (transports.BaseProtocol, error) { return &goEcho{}, nil }))
	te.e.Predeclare("open_count", starlark.NewBuiltin("open_count", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		return starlark.MakeInt(te.e.OpenTransports()), nil
	}))
	g := te.exec(`
srv = loop.run_until_complete(loop.create_server(go_echo, "127.0.0.1", 0))
port = srv.sockets[0].getsockname()[1]
got = []
counts = []
def c_made(self, t):
    self.t = t
    t.write(b"ping")
def c_data(self, d):
    got.append(d)
    # The echo came back: both ends of the connection are made.
    counts.append(open_count())
    self.t.close()
    srv.close()
C = protocol("C", connection_made = c_made, data_received = c_data)
t, p = loop.run_until_complete(loop.create_connection(C, "127.0.0.1", port))
gp = go_echo()
assert.eq(type(gp), "go_protocol")
assert.eq(str(gp), "<Go protocol *starlarkbind.goEcho>")
assert.eq(str(go_echo), "<Go protocol factory>")
`)
	te.run()
	assert.Equal(t, `[b"ping"]`, g["got"].String(), "got")
	assert.Equal(t, "[2]", g["counts"].String(), "tracked transports while connected (the Go protocol's too)")
	assert.Zero(t, te.e.OpenTransports(), "tracked transports after close")
}

// TestStructOfClosuresAndSetGoProtocol serves with a struct of closures as
// the protocol, which hands the connection to a Go protocol with
// set_protocol: the Go protocol gets the next reads and connection_lost.
func TestStructOfClosuresAndSetGoProtocol(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	var srv *transports.Server
	te.e.Predeclare("go_echo", GoFactory(func() (transports.BaseProtocol, error) {
		return &goEcho{onLost: func() { srv.Close() }}, nil
	}))
	g := te.exec(`
seen = []
def make_closure_protocol():
    state = {}
    def made(t):
        state["t"] = t
    def data(d):
        seen.append(d)
        state["t"].write(b"closure:" + d)
        state["t"].set_protocol(go_echo())    # a Go protocol takes over
        seen.append(type(state["t"].get_protocol()))
    def lost(exc):
        seen.append(("lost", exc))    # not called: the Go protocol gets it
    return struct(connection_made = made, data_received = data, connection_lost = lost)
srv = loop.run_until_complete(loop.create_server(make_closure_protocol, "127.0.0.1", 0))
`)
	srv = g["srv"].(*serverValue).s
	py := testkit.StartPython(t, `
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
c.sendall(b"one")
assert c.recv(100) == b"closure:one"
c.sendall(b"two")
assert c.recv(100) == b"two"
c.close()
print("ok")
`, itoa(te.serverPort(g, "srv")))
	te.run()
	require.Equal(t, "ok", waitPython(t, py), "client")
	assert.Equal(t, `[b"one", "go_protocol"]`, g["seen"].String(), "seen")
	assert.Zero(t, te.e.OpenTransports(), "transports still tracked")
}
