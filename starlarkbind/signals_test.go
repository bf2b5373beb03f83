package starlarkbind

import (
	"os"
	"syscall"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"go.starlark.net/starlark"
)

// The tests of this file send SIGTERM to the test process and change its
// signal handling: none of them is parallel.

// pyHold connects, sends "hi", then reads until EOF (or not at all with
// "hold": it sleeps until the test's cleanup kills it).
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

// killSelf is a builtin that sends SIGTERM to this process.
func killSelf(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return starlark.None, syscall.Kill(os.Getpid(), syscall.SIGTERM)
}

// newSignalEnv is newTestEnv with HandleSignals and sigterm() predeclared.
func newSignalEnv(t *testing.T, opts Options) *testEnv {
	t.Helper()
	opts.HandleSignals = true
	te := newTestEnv(t, opts)
	te.e.Predeclare("sigterm", starlark.NewBuiltin("sigterm", killSelf))
	return te
}

// TestDefaultSignalHandlingDrainsAndExits143 sends SIGTERM while a reply is
// being written: the reply is flushed, the connection closed gracefully,
// and the script exits 143.
func TestDefaultSignalHandlingDrainsAndExits143(t *testing.T) {
	te := newSignalEnv(t, Options{Permissions: allowLocal})
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
	py := testkit.StartPython(t, pyHold, itoa(te.serverPort(g, "srv")), "read")
	te.run()
	assert.Equal(t, "eof", waitPython(t, py), "client")
	assertExited(t, te, 143)
	assert.Equal(t, "[None]", g["lost"].String(), "lost")
}

// TestSecondSignalAborts sends a second SIGTERM while the drain the first
// began cannot end (the peer never reads): the connection is aborted.
//
// The second signal is sent only once the first was handled (the transport
// is closing): the loop subscribes to SIGTERM through a channel of one, so a
// second signal sent before the first was taken from it would be lost.
func TestSecondSignalAborts(t *testing.T) {
	te := newSignalEnv(t, Options{Permissions: allowLocal})
	g := te.exec(`
def data_received(self, data):
    self.t.write(b"x" * (64 << 20))   # the client never reads: a drain never ends
    sigterm()
    second_after_first(self.t)
def second_after_first(t):
    if t.is_closing():                # the first signal's drain has begun
        sigterm()
    else:
        loop.call_later(0.001, second_after_first, t)
S = protocol("S", connection_made = lambda self, t: set_t(self, t), data_received = data_received)
def set_t(self, t):
    self.t = t
srv = loop.run_until_complete(loop.create_server(S, "127.0.0.1", 0))
`)
	testkit.StartPython(t, pyHold, itoa(te.serverPort(g, "srv")), "hold")
	te.run()
	assertExited(t, te, 143)
	te.l.CallSoon(func() {}) // one more iteration delivers connection_lost
	te.run()
	assert.Zero(t, te.e.OpenTransports(), "transports still open after abort")
}

// TestScriptSignalHandlerWins checks that a script's SIGTERM handler
// replaces the default handling, and that removing it brings that back.
func TestScriptSignalHandlerWins(t *testing.T) {
	te := newSignalEnv(t, Options{})
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
	assert.Equal(t, `["mine"]`, g["got"].String(), "what the script handler got")
	_, exited := te.e.Exited()
	assert.False(t, exited, "the default handler ran too")
	assert.Equal(t, starlark.Value(starlark.True), g["removed"], "remove_signal_handler")
	assert.Equal(t, starlark.Value(starlark.False), g["removed_again"], "remove_signal_handler again")
	// The default handling is back.
	g = te.exec(`
loop.call_soon(sigterm)
loop.run_forever()    # until the default handler stops the loop
after = 1
`)
	assert.NotContains(t, g, "after", "the top level went on after the signal ended it")
	assertExited(t, te, 143)
}

// TestSecondSignalCancelsARunawayCallback: with no step limit, a callback
// in an endless loop keeps the loop from taking signals; the second SIGTERM
// cancels it where it runs, then the loop takes both signals and aborts
// with 143. Each signal is sent once the previous one has arrived, seen
// through the loop's arrival hook.
func TestSecondSignalCancelsARunawayCallback(t *testing.T) {
	te := newSignalEnv(t, Options{MaxSteps: 0})
	arrived := make(chan struct{}, 2)
	te.l.OnSignalArrival(func(sig syscall.Signal) {
		te.e.NoteSignal(sig)
		arrived <- struct{}{}
	})
	spinning := make(chan struct{})
	te.e.Predeclare("spinning", starlark.NewBuiltin("spinning", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		close(spinning)
		return starlark.None, nil
	}))
	te.exec(`
def spin():
    spinning()
    while True:
        pass
loop.call_soon(spin)
`)
	sent := make(chan error, 1)
	go func() {
		<-spinning
		for range 2 {
			if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
				sent <- err
				return
			}
			<-arrived
		}
		sent <- nil
	}()
	te.run()
	assert.NoError(t, <-sent)
	assert.Contains(t, te.stderr.String(), "Starlark computation cancelled: second SIGTERM: aborting")
	assertExited(t, te, 143)
}

// TestNoteSignalIgnoresScriptHandledSignals: a signal the script handles
// itself never cancels its code, however often it arrives: notes made
// while a callback runs leave it running to its end.
func TestNoteSignalIgnoresScriptHandledSignals(t *testing.T) {
	te := newSignalEnv(t, Options{})
	noted := make(chan struct{})
	te.e.Predeclare("note_three", starlark.NewBuiltin("note_three", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		go func() {
			for range 3 {
				te.e.NoteSignal(syscall.SIGTERM)
			}
			close(noted)
		}()
		<-noted
		return starlark.None, nil
	}))
	g := te.exec(`
done = []
def work():
    note_three()
    for i in range(1000):
        pass
    done.append(True)
loop.add_signal_handler(signal.SIGTERM, lambda: None)
loop.call_soon(work)
`)
	te.run()
	assert.Equal(t, "[True]", g["done"].String(), "the callback was cancelled")
	assert.NotContains(t, te.stderr.String(), "cancelled")
}
