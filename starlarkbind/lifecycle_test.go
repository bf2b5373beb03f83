package starlarkbind

import (
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestExitFromCallbackClosesEverythingAndStops calls exit(3) in a timer:
// nothing after it runs, every connection is closed gracefully, the server
// stops serving, and a pending timer does not keep the run going.
func TestExitFromCallbackClosesEverythingAndStops(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal})
	g := te.exec(`
lost = []
after_exit = []
S = protocol("S", connection_lost = lambda self, exc: lost.append(("server", exc)))
C = protocol("C", connection_lost = lambda self, exc: lost.append(("client", exc)))
srv = loop.run_until_complete(loop.create_server(S, "127.0.0.1", 0))
port = srv.sockets[0].getsockname()[1]
tr, pr = loop.run_until_complete(loop.create_connection(C, "127.0.0.1", port))
loop.call_later(3600, print, "never")    # a pending timer does not keep it alive
def later():
    exit(3)
    after_exit.append("reached")
loop.call_later(0.001, later)
`)
	te.run()
	assertExited(t, te, 3)
	assert.Equal(t, "[]", g["after_exit"].String(), "code after exit() ran")
	assert.Equal(t, 2, g["lost"].(*starlark.List).Len(), "connection_lost calls: %s", g["lost"])
	assert.NotContains(t, g["lost"].String(), "error", "graceful exit lost with errors")
	assert.Empty(t, te.stderr.String(), "stderr")
	assert.False(t, g["srv"].(*serverValue).s.IsServing(), "server still serving")
}

// TestExitAtTopLevel calls exit(5) at the top level: the rest of the top
// level does not run, nor does main.
func TestExitAtTopLevel(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{})
	g, err := te.e.Exec("exit.star", []byte(`
before = 1
exit(5)
after = 1
def main(argv):
    fail("main must not run after exit")
`))
	require.NoError(t, err, "Exec")
	assert.NotContains(t, g, "after", "top level went on after exit()")
	assert.NoError(t, te.e.CallMain(g, nil), "CallMain after exit")
	assertExited(t, te, 5)
	te.run() // stops at once
}

// TestCallMain checks that CallMain passes argv to main, and returns its
// error with the backtrace.
func TestCallMain(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{})
	g := te.exec(`
got = []
def main(argv):
    got.append(argv)
`)
	require.NoError(t, te.e.CallMain(g, []string{"a", "b"}))
	assert.Equal(t, `[["a", "b"]]`, g["got"].String(), "what main got")
	g2 := te.exec("def main(argv):\n    fail('oops')\n")
	err := te.e.CallMain(g2, nil)
	require.Error(t, err, "CallMain of a failing main")
	assert.Contains(t, backtrace(err), "test.star:2", "CallMain's error")
}

// pyCount reads until EOF and prints the byte count; it sends "go" first.
const pyCount = `
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
c.sendall(b"go")
n = 0
while True:
    try:
        chunk = c.recv(1 << 20)
    except ConnectionResetError:
        print(n, "reset")
        break
    if not chunk:
        print(n, "eof")
        break
    n += len(chunk)
`

const bigWriter = `
lost = []
def data_received(self, data):
    self.transport.write(b"x" * size)
    shutdown()
S = protocol("S", connection_made = lambda self, t: setattr_t(self, t), data_received = data_received,
             connection_lost = lambda self, exc: lost.append(exc))
def setattr_t(self, t):
    self.transport = t
srv = loop.run_until_complete(loop.create_server(S, "127.0.0.1", 0))
`

// TestShutdownGracefulFlushes calls Shutdown(false) right after writing
// 16 MiB: the peer reads every byte, then EOF.
func TestShutdownGracefulFlushes(t *testing.T) {
	t.Parallel()
	const size = 16 << 20
	te := newTestEnv(t, Options{Permissions: allowLocal})
	te.e.Predeclare("size", starlark.MakeInt(size))
	te.e.Predeclare("shutdown", starlark.NewBuiltin("shutdown", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		te.e.Shutdown(false)
		return starlark.None, nil
	}))
	g := te.exec(bigWriter)
	py := testkit.StartPython(t, pyCount, itoa(te.serverPort(g, "srv")))
	te.run() // the server is closed and the connection lost: idle
	assert.Equal(t, itoa(size)+" eof", waitPython(t, py), "what the client read")
	assert.Equal(t, "[None]", g["lost"].String(), "connection_lost")
	assert.Zero(t, te.e.OpenTransports(), "transports still tracked")
}

// TestShutdownAbortDrops calls Shutdown(true) right after writing 64 MiB,
// more than the kernel buffers: the peer does not get all of it.
func TestShutdownAbortDrops(t *testing.T) {
	t.Parallel()
	const size = 64 << 20
	te := newTestEnv(t, Options{Permissions: allowLocal})
	te.e.Predeclare("size", starlark.MakeInt(size))
	te.e.Predeclare("shutdown", starlark.NewBuiltin("shutdown", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		te.e.Shutdown(true)
		return starlark.None, nil
	}))
	g := te.exec(bigWriter)
	py := testkit.StartPython(t, pyCount, itoa(te.serverPort(g, "srv")))
	te.run()
	assert.NotEqual(t, itoa(size)+" eof", waitPython(t, py), "abort flushed everything")
	assert.Equal(t, "[None]", g["lost"].String(), "connection_lost")
}

// assertExited checks that the env's script exited with code.
func assertExited(t *testing.T, te *testEnv, code int) {
	t.Helper()
	got, ok := te.e.Exited()
	assert.True(t, ok, "the script did not exit")
	assert.Equal(t, code, got, "exit code")
}
