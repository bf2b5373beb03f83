package starlarkbind

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"go.starlark.net/starlark"
)

func TestExitFromCallbackClosesEverythingAndStops(t *testing.T) {
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
	if code, ok := te.e.Exited(); !ok || code != 3 {
		t.Errorf("Exited() = %d, %v; want 3, true", code, ok)
	}
	if got := g["after_exit"].String(); got != "[]" {
		t.Errorf("code after exit() ran: %s", got)
	}
	if got := g["lost"].(*starlark.List).Len(); got != 2 {
		t.Errorf("connection_lost calls = %s, want 2", g["lost"])
	}
	if strings.Contains(g["lost"].String(), "error") {
		t.Errorf("graceful exit lost with errors: %s", g["lost"])
	}
	if te.stderr.String() != "" {
		t.Errorf("stderr: %s", te.stderr)
	}
	if g["srv"].(*serverValue).s.IsServing() {
		t.Errorf("server still serving")
	}
}

func TestExitAtTopLevel(t *testing.T) {
	te := newTestEnv(t, Options{})
	g, err := te.e.Exec("exit.star", []byte(`
before = 1
exit(5)
after = 1
def main(argv):
    fail("main must not run after exit")
`))
	if err != nil {
		t.Fatalf("Exec: %v", err)
	}
	if _, ok := g["after"]; ok {
		t.Errorf("top level went on after exit()")
	}
	if err := te.e.CallMain(g, nil); err != nil {
		t.Errorf("CallMain after exit: %v", err)
	}
	if code, ok := te.e.Exited(); !ok || code != 5 {
		t.Errorf("Exited() = %d, %v", code, ok)
	}
	te.run() // stops at once
}

func TestCallMain(t *testing.T) {
	te := newTestEnv(t, Options{})
	g := te.exec(`
got = []
def main(argv):
    got.append(argv)
`)
	if err := te.e.CallMain(g, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if got := g["got"].String(); got != `[["a", "b"]]` {
		t.Errorf("main got %s", got)
	}
	g2 := te.exec("def main(argv):\n    fail('oops')\n")
	err := te.e.CallMain(g2, nil)
	if err == nil || !strings.Contains(backtrace(err), "test.star:2") {
		t.Errorf("CallMain error = %v", err)
	}
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

func TestShutdownGracefulFlushes(t *testing.T) {
	const size = 16 << 20
	te := newTestEnv(t, Options{Permissions: allowLocal})
	te.e.Predeclare("size", starlark.MakeInt(size))
	te.e.Predeclare("shutdown", starlark.NewBuiltin("shutdown", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		te.e.Shutdown(false)
		return starlark.None, nil
	}))
	g := te.exec(bigWriter)
	py := startPython(t, pyCount, itoa(te.serverPort(g, "srv")))
	te.run() // the server is closed and the connection lost: idle
	if out := strings.TrimSpace(py.wait(t)); out != itoa(size)+" eof" {
		t.Errorf("client read %s, want %d eof", out, size)
	}
	if got := g["lost"].String(); got != "[None]" {
		t.Errorf("connection_lost got %s, want [None]", got)
	}
	if te.e.OpenTransports() != 0 {
		t.Errorf("transports still tracked")
	}
}

func TestShutdownAbortDrops(t *testing.T) {
	const size = 64 << 20
	te := newTestEnv(t, Options{Permissions: allowLocal})
	te.e.Predeclare("size", starlark.MakeInt(size))
	te.e.Predeclare("shutdown", starlark.NewBuiltin("shutdown", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		te.e.Shutdown(true)
		return starlark.None, nil
	}))
	g := te.exec(bigWriter)
	py := startPython(t, pyCount, itoa(te.serverPort(g, "srv")))
	te.run()
	out := strings.TrimSpace(py.wait(t))
	if out == itoa(size)+" eof" {
		t.Errorf("abort flushed everything: %s", out)
	}
	if got := g["lost"].String(); got != "[None]" {
		t.Errorf("connection_lost got %s, want [None]", got)
	}
}

// pyHold connects, sends "hi", then reads until EOF (or not at all with
// "hold").
const pyHold = `
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
c.sendall(b"hi")
if sys.argv[2] == "hold":
    import time
    time.sleep(25)
    sys.exit(0)
while True:
    chunk = c.recv(65536)
    if not chunk:
        break
print("eof")
`

// killSelf is a builtin that sends a signal to this process.
func killSelf(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return starlark.None, syscall.Kill(os.Getpid(), syscall.SIGTERM)
}

func TestDefaultSignalHandlingDrainsAndExits143(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal, HandleSignals: true})
	te.e.Predeclare("sigterm", starlark.NewBuiltin("sigterm", killSelf))
	g := te.exec(`
lost = []
def data_received(self, data):
    self.t.write(b"bye")
    sigterm()
S = protocol("S", connection_made = lambda self, t: set_t(self, t), data_received = data_received,
             connection_lost = lambda self, exc: lost.append(exc))
def set_t(self, t):
    self.t = t
srv = loop.run_until_complete(loop.create_server(S, "127.0.0.1", 0))
`)
	py := startPython(t, pyHold, itoa(te.serverPort(g, "srv")), "read")
	te.run()
	if out := strings.TrimSpace(py.wait(t)); out != "eof" {
		t.Errorf("client: %s", out)
	}
	if code, ok := te.e.Exited(); !ok || code != 143 {
		t.Errorf("Exited() = %d, %v; want 143", code, ok)
	}
	if got := g["lost"].String(); got != "[None]" {
		t.Errorf("lost = %s", got)
	}
}

func TestSecondSignalAborts(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: allowLocal, HandleSignals: true})
	te.e.Predeclare("sigterm", starlark.NewBuiltin("sigterm", killSelf))
	g := te.exec(`
signals = []
def data_received(self, data):
    self.t.write(b"x" * (64 << 20))   # the client never reads: a drain never ends
    sigterm()
    loop.call_later(0.01, sigterm)
S = protocol("S", connection_made = lambda self, t: set_t(self, t), data_received = data_received)
def set_t(self, t):
    self.t = t
srv = loop.run_until_complete(loop.create_server(S, "127.0.0.1", 0))
`)
	_ = g
	startPython(t, pyHold, itoa(te.serverPort(g, "srv")), "hold")
	te.run()
	if code, ok := te.e.Exited(); !ok || code != 143 {
		t.Errorf("Exited() = %d, %v; want 143", code, ok)
	}
	te.l.CallSoon(func() {}) // one more iteration delivers connection_lost
	te.run()
	if te.e.OpenTransports() != 0 {
		t.Errorf("transports still open after abort")
	}
}

func TestScriptSignalHandlerWins(t *testing.T) {
	te := newTestEnv(t, Options{HandleSignals: true})
	te.e.Predeclare("sigterm", starlark.NewBuiltin("sigterm", killSelf))
	g := te.exec(`
got = []
def on_term(tag):
    got.append(tag)
    loop.stop()
loop.add_signal_handler(signal.SIGTERM, on_term, "mine")
loop.call_soon(sigterm)
loop.run_forever()
removed = loop.remove_signal_handler(signal.SIGTERM)
removed_again = loop.remove_signal_handler(signal.SIGTERM)
`)
	if got := g["got"].String(); got != `["mine"]` {
		t.Errorf("script handler got %s", got)
	}
	if _, ok := te.e.Exited(); ok {
		t.Errorf("the default handler ran too")
	}
	if g["removed"] != starlark.True || g["removed_again"] != starlark.False {
		t.Errorf("remove_signal_handler = %s, %s", g["removed"], g["removed_again"])
	}
	// The default handling is back.
	g = te.exec(`
loop.call_soon(sigterm)
loop.run_forever()    # until the default handler stops the loop
after = 1
`)
	if _, ok := g["after"]; ok {
		t.Errorf("the top level went on after the signal ended it")
	}
	if code, ok := te.e.Exited(); !ok || code != 143 {
		t.Errorf("after remove: Exited() = %d, %v; want 143", code, ok)
	}
}
