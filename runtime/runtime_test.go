package runtime

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/transports"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// echoScript defines Echo, a Starlark protocol that writes host_tag + ":",
// then echoes, and prints when its connection is made and lost.
const echoScript = `
def connection_made(self, transport):
    self.transport = transport
    print("made")
    transport.write(host_tag + ":")

def data_received(self, data):
    self.transport.write(data)

def connection_lost(self, exc):
    print("lost", exc)

Echo = protocol("Echo", connection_made = connection_made,
                data_received = data_received, connection_lost = connection_lost)
`

// pyEchoClient is a python3 client: it connects to 127.0.0.1:PORT, sends
// "from python", half-closes, and writes what it reads until EOF to stdout.
const pyEchoClient = `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(b"from python")
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode())
`

// newEchoRuntime returns a runtime with host_tag predeclared and echoScript
// executed.
func newEchoRuntime(t *testing.T, cfg Config) (*Runtime, *Module, *testkit.Output, *testkit.Output) {
	t.Helper()
	rt, stdout, stderr := newTestRuntime(t, cfg)
	require.NoError(t, rt.Predeclare("host_tag", starlark.String("H")), "Predeclare")
	mod := mustExec(t, rt, "echo.star", echoScript)
	return rt, mod, stdout, stderr
}

// TestStarlarkProtocolOverTCP: a host listener serves a Starlark protocol
// to a Go client and to a python3 client, and calls connection_lost(None)
// once per connection.
func TestStarlarkProtocolOverTCP(t *testing.T) {
	t.Parallel()
	testkit.RequireTool(t, "python3")
	rt, mod, stdout, _ := newEchoRuntime(t, Config{})
	factory, err := mod.ProtocolFactory("Echo")
	require.NoError(t, err)
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	require.NoError(t, err)
	stop, _ := startRun(t, rt)
	require.Equal(t, "H:hello", roundTrip(t, "tcp", ln.Addr().String(), "hello"), "the Go client's echo")
	stdout.WaitFor(t, "lost None", testTimeout)

	// The same with Python's socket module as the peer.
	port := ln.Addr().(*net.TCPAddr).Port
	require.Equal(t, "H:from python", testkit.RunPython(t, pyEchoClient, fmt.Sprint(port)), "the python client's echo")
	require.NoError(t, stop(), "Run")
	require.Equal(t, 2, strings.Count(stdout.String(), "lost None"), "connection_lost calls for 2 connections:\n%s", stdout)
}

// TestGoProtocolOverTCPAndUnix: host listeners serve Go protocols over TCP
// and a Unix socket, whose address is its path, and Listener.Close closes
// the listening socket. For TCP that is checked on the socket itself (on
// Linux, through /proc): once the port is free, another test or process on
// the machine may listen on it, so a refused dial would depend on them.
func TestGoProtocolOverTCPAndUnix(t *testing.T) {
	t.Parallel()
	rt, _, _ := newTestRuntime(t, Config{})
	lost := make(chan error, 2)
	tcp, err := rt.Listen("tcp4", "127.0.0.1:0", newGoEchoFactory("G:", lost))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "echo.sock")
	unixLn, err := rt.Listen("unix", path, newGoEchoFactory("U:", lost))
	require.NoError(t, err)
	require.Equal(t, path, unixLn.Addr().String(), "the unix listener's address")
	stop, _ := startRun(t, rt)
	require.Equal(t, "G:abc", roundTrip(t, "tcp", tcp.Addr().String(), "abc"), "over tcp")
	require.Equal(t, "U:xyz", roundTrip(t, "unix", path, "xyz"), "over unix")
	for range 2 {
		require.NoError(t, <-lost, "ConnectionLost")
	}
	inode, ok := listeningInode(t, tcp.Addr().(*net.TCPAddr).Port)
	require.NoError(t, tcp.Close())
	if ok {
		require.False(t, holdsSocket(t, inode), "the listening socket is still open after Listener.Close")
	} else {
		_, err = net.Dial("tcp", tcp.Addr().String())
		require.Error(t, err, "dial after Listener.Close")
	}
	require.NoError(t, unixLn.Close())
	_, err = net.Dial("unix", path)
	require.Error(t, err, "dial after the unix Listener.Close")
	require.NoError(t, stop(), "Run")
}

// TestScriptServesPredeclaredGoFactory: a script serves a Go protocol
// factory the host predeclared with GoFactory.
func TestScriptServesPredeclaredGoFactory(t *testing.T) {
	t.Parallel()
	rt, _, _ := newTestRuntime(t, Config{Permissions: AllowAll()})
	path := filepath.Join(t.TempDir(), "go.sock")
	require.NoError(t, rt.Predeclare("go_echo", GoFactory(newGoEchoFactory("go:", nil))))
	require.NoError(t, rt.Predeclare("sock_path", starlark.String(path)))
	mustExec(t, rt, "serve.star", `server = loop.run_until_complete(loop.create_unix_server(go_echo, sock_path))`)
	stop, _ := startRun(t, rt)
	require.Equal(t, "go:ping", roundTrip(t, "unix", path, "ping"))
	require.NoError(t, stop(), "Run")
}

// TestRunReturnsWhenIdle: Run returns once the loop has nothing left to
// do, and runs again once there is new work.
func TestRunReturnsWhenIdle(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{})
	mustExec(t, rt, "idle.star", `loop.call_later(0.01, lambda: print("tick"))`)
	require.NoError(t, rt.Run(context.Background()), "Run")
	require.Equal(t, "tick\n", stdout.String(), "the timer's output")
	// The runtime can run again once there is new work.
	mustExec(t, rt, "again.star", `loop.call_soon(lambda: print("again"))`)
	require.NoError(t, rt.Run(context.Background()), "a second Run")
	require.Equal(t, "tick\nagain\n", stdout.String(), "stdout after the second Run")
}

// TestRunCancelShutsDownGracefully: cancelling Run's context closes the
// host listeners, the script's servers and every connection, calls
// connection_lost(None) (Starlark) and ConnectionLost(nil) (Go) before Run
// returns, and does not wait for a pending timer.
func TestRunCancelShutsDownGracefully(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{Permissions: AllowAll()})
	require.NoError(t, rt.Predeclare("host_tag", starlark.String("H")))
	// A host listener and a script server with the same protocol, and a
	// timer that must not delay the shutdown.
	mod := mustExec(t, rt, "graceful.star", echoScript+`
server = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0))
port = server.sockets[0].getsockname()[1]
loop.call_later(3600, lambda: print("timer fired"))
`)
	factory, err := mod.ProtocolFactory("Echo")
	require.NoError(t, err)
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	require.NoError(t, err)
	port, err := starlark.AsInt32(mod.Globals()["port"])
	require.NoError(t, err, "port")
	goLost := make(chan error, 1)
	goLn, err := rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("H:", goLost))
	require.NoError(t, err)

	stop, _ := startRun(t, rt)
	var conns []net.Conn
	for _, addr := range []string{ln.Addr().String(), fmt.Sprintf("127.0.0.1:%d", port), goLn.Addr().String()} {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		conns = append(conns, c)
	}
	for _, c := range conns { // every connection is made
		require.Equal(t, "H:", readPrefix(t, c, 2))
	}
	require.NoError(t, stop(), "Run after cancel")
	for _, c := range conns {
		require.NoError(t, c.SetReadDeadline(time.Now().Add(testTimeout)))
		n, err := c.Read(make([]byte, 1))
		require.Zero(t, n, "bytes read after the shutdown")
		require.Error(t, err, "the connection is still open after the shutdown")
		require.NotErrorIs(t, err, os.ErrDeadlineExceeded, "the connection is still open after the shutdown")
	}
	require.Equal(t, 2, strings.Count(stdout.String(), "lost None"), "connection_lost(None) calls:\n%s", stdout)
	select { // Run returned after the Go protocol's connection was lost too
	case err := <-goLost:
		require.NoError(t, err, "the Go protocol's ConnectionLost")
	default:
		require.Fail(t, "Run returned before the Go protocol's ConnectionLost")
	}
	require.NotContains(t, stdout.String(), "timer fired", "the timer ran")
}

// TestLoopStopEndsRun: loop.stop() ends Run with nil, and the script's
// server keeps serving: the next Run runs until cancelled.
func TestLoopStopEndsRun(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{Permissions: AllowAll()})
	mustExec(t, rt, "stop.star", `
server = loop.run_until_complete(loop.create_server(lambda: struct(), "127.0.0.1", 0))
loop.call_soon(loop.stop)
`)
	require.NoError(t, rt.Run(context.Background()), "Run")
	// The server still serves: the next Run runs until cancelled.
	mustExec(t, rt, "later.star", `loop.call_soon(lambda: print("second run"))`)
	stop, _ := startRun(t, rt)
	stdout.WaitFor(t, "second run", testTimeout)
	require.NoError(t, stop(), "the second Run")
}

// TestExitStatus: exit(n) in a callback or at the top level ends Run with
// an *ExitError of status n (nil for 0), and nothing of the script runs
// after it: not the rest of the top level, not main, not a timer.
func TestExitStatus(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, src string
		want      int
	}{
		{"exit3InTimer", `loop.call_later(0.01, lambda: exit(3))`, 3},
		{"exit0InTimer", `loop.call_later(0.01, lambda: exit(0))`, 0},
		{"exit4AtTopLevel", "loop.call_later(3600, lambda: print(\"timer\"))\nexit(4)\nprint(\"after exit\")", 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rt, stdout, _ := newTestRuntime(t, Config{Permissions: AllowAll()})
			mod := mustExec(t, rt, "exit.star", c.src+"\ndef main(argv):\n    print(\"main ran\")\n")
			if c.want == 4 {
				require.NoError(t, mod.CallMain(nil), "CallMain after exit")
			}
			err := rt.Run(context.Background())
			if c.want == 0 {
				require.NoError(t, err, "Run")
			} else {
				requireExit(t, c.want, err)
			}
			out := stdout.String()
			for _, after := range []string{"after exit", "main ran", "timer"} {
				require.NotContains(t, out, after, "code ran after exit()")
			}
		})
	}
}

// requireExit checks that err is an *ExitError with status code.
func requireExit(t *testing.T, code int, err error) {
	t.Helper()
	var exit *ExitError
	require.ErrorAs(t, err, &exit, "want exit status %d", code)
	require.Equal(t, code, exit.Code, "exit status")
}

// TestExecErrorHasTraceback: a failing top level's error formats as a
// traceback naming every frame.
func TestExecErrorHasTraceback(t *testing.T) {
	t.Parallel()
	rt, _, _ := newTestRuntime(t, Config{})
	_, err := rt.Exec("bad.star", []byte("def f(x):\n    return x // 0\n\nf(1)\n"))
	require.Error(t, err, "Exec")
	text := FormatError(err)
	for _, want := range []string{"Traceback", "bad.star:4:2", "bad.star:2:14", "division by zero"} {
		assert.Contains(t, text, want, "the traceback")
	}
}

// TestCallMainAndRunUntilComplete: CallMain passes its argv (Config.Args
// for nil) to main, which may run the loop until a future completes; a
// module without main is fine.
func TestCallMainAndRunUntilComplete(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{Args: []string{"default"}})
	mod := mustExec(t, rt, "main.star", `
def main(argv):
    print(argv, loop.run_until_complete(loop.sleep(0.01, "slept")))
`)
	require.NoError(t, mod.CallMain([]string{"a", "b"}))
	require.NoError(t, mod.CallMain(nil))
	require.Equal(t, "[\"a\", \"b\"] slept\n[\"default\"] slept\n", stdout.String())
	require.NoError(t, mustExec(t, rt, "nomain.star", "x = 1").CallMain(nil), "CallMain without main")
}

// TestZeroPermissionsDeny: with the zero Permissions a script may not
// connect, and the error says which flag would allow it.
func TestZeroPermissionsDeny(t *testing.T) {
	t.Parallel()
	rt, _, _ := newTestRuntime(t, Config{})
	lost := make(chan error, 1)
	ln, err := rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("", lost))
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = rt.Exec("connect.star", []byte(fmt.Sprintf(
		"loop.run_until_complete(loop.create_connection(lambda: struct(), \"127.0.0.1\", %d))\n", port)))
	require.Error(t, err, "create_connection without --allow-net")
	text := FormatError(err)
	for _, want := range []string{"PermissionError", "--allow-net", fmt.Sprint(port)} {
		assert.Contains(t, text, want, "the error")
	}
}

// writeFiles creates files (path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
}

// TestLoad: load() resolves paths relative to the loading file, executes
// each module once, leaves it unfrozen (state it keeps is shared by
// every module that loads it), reports cycles and missing
// modules, and an exit() in a loaded module ends the loading one too.
func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"main.star":     "load(\"lib/a.star\", \"a_value\")\nload(\"lib/b.star\", \"b_value\")\nprint(\"main\", a_value, b_value)\n",
		"lib/a.star":    "load(\"b.star\", \"b_value\")\na_value = \"a+\" + b_value\n",
		"lib/b.star":    "print(\"executing b\", host_tag)\nb_value = \"b\"\nitems = [1]\ncounter = {\"n\": 0}\ndef bump():\n    counter[\"n\"] += 1\n",
		"mutate.star":   "load(\"lib/b.star\", \"items\", \"bump\")\nitems.append(2)\nbump()\n",
		"observe.star":  "load(\"lib/b.star\", \"items\", \"counter\")\nprint(\"items\", items, counter)\n",
		"c.star":        "load(\"d.star\", \"d\")\nc = 1\n",
		"d.star":        "load(\"c.star\", \"c\")\nd = 1\n",
		"missing.star":  "load(\"nope.star\", \"x\")\n",
		"exiter.star":   "exit(7)\n",
		"loadexit.star": "load(\"exiter.star\", \"x\")\nprint(\"after the exit\")\n",
	})
	rt, stdout, _ := newTestRuntime(t, Config{})
	require.NoError(t, rt.Predeclare("host_tag", starlark.String("H")))
	if _, err := rt.ExecFile(filepath.Join(dir, "main.star")); err != nil {
		t.Fatalf("main: %s", FormatError(err))
	}
	require.Equal(t, "executing b H\nmain a+b b\n", stdout.String(), "each module executed once")

	if _, err := rt.ExecFile(filepath.Join(dir, "mutate.star")); err != nil {
		t.Fatalf("mutating a loaded module's state: %s", FormatError(err))
	}
	if _, err := rt.ExecFile(filepath.Join(dir, "observe.star")); err != nil {
		t.Fatalf("observe: %s", FormatError(err))
	}
	require.Contains(t, stdout.String(), "items [1, 2] {\"n\": 1}\n", "state a loaded module keeps is shared by its loaders")
	require.Equal(t, 1, strings.Count(stdout.String(), "executing b"), "b executed again by a later Exec:\n%s", stdout)

	c, d := filepath.Join(dir, "c.star"), filepath.Join(dir, "d.star")
	_, err := rt.ExecFile(c)
	require.ErrorContains(t, err, fmt.Sprintf("load cycle: %s -> %s -> %s", c, d, c))

	_, err = rt.ExecFile(filepath.Join(dir, "missing.star"))
	require.ErrorContains(t, err, "nope.star", "a missing module")

	// exit() in a loaded module ends the loading module too.
	if _, err := rt.ExecFile(filepath.Join(dir, "loadexit.star")); err != nil {
		t.Fatalf("exit in a loaded module: %s", FormatError(err))
	}
	require.NotContains(t, stdout.String(), "after the exit", "the loading module went on after exit()")
	requireExit(t, 7, rt.Run(context.Background()))
}

// TestConcurrentCallers: Predeclare, Exec, ProtocolFactory, Listen and
// Listener.Close called from several goroutines while Run starts all work,
// and a second concurrent Run fails with ErrRunning.
func TestConcurrentCallers(t *testing.T) {
	t.Parallel()
	rt, mod, _, _ := newEchoRuntime(t, Config{})
	keepAlive, err := rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("", nil))
	require.NoError(t, err)
	defer keepAlive.Close()

	const workers = 8
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs <- concurrentWorker(rt, mod, i)
		}()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	close(start) // the workers race with Run starting
	go func() { done <- rt.Run(ctx) }()
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.ErrorIs(t, rt.Run(ctx), ErrRunning, "a second concurrent Run")
	cancel()
	require.NoError(t, waitRun(t, done), "Run")
}

// concurrentWorker exercises every Runtime method from one goroutine.
func concurrentWorker(rt *Runtime, echo *Module, i int) error {
	if err := rt.Predeclare(fmt.Sprintf("v%d", i), starlark.MakeInt(i)); err != nil {
		return err
	}
	mod, err := rt.Exec(fmt.Sprintf("w%d.star", i), []byte(fmt.Sprintf("n = %d\n", i)))
	if err != nil {
		return err
	}
	if got := mod.Globals()["n"]; got != starlark.MakeInt(i) {
		return fmt.Errorf("worker %d: n = %v", i, got)
	}
	factory, err := echo.ProtocolFactory("Echo")
	if err != nil {
		return err
	}
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("worker %d", i)
	got, err := exchange("tcp", ln.Addr().String(), msg)
	if err != nil {
		return fmt.Errorf("worker %d: %w", i, err)
	}
	if got != "H:"+msg {
		return fmt.Errorf("worker %d: echo %q", i, got)
	}
	return ln.Close()
}

// TestMethodsFromALoopCallback: Exec and Predeclare called from a
// protocol callback on the loop's goroutine do not wait for themselves,
// and Listen there either works or fails with its documented error.
func TestMethodsFromALoopCallback(t *testing.T) {
	t.Parallel()
	rt, _, _ := newTestRuntime(t, Config{})
	results := make(chan error, 3)
	factory := func() (transports.BaseProtocol, error) {
		p := &goEcho{prefix: "cb:"}
		p.onMade = func(tr transports.Transport) {
			// On the loop's goroutine: these must not wait for themselves.
			_, err := rt.Exec("inner.star", []byte("y = 1\n"))
			results <- err
			results <- rt.Predeclare("late", starlark.True)
			_, err = rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("", nil))
			results <- expectNotReady(err)
		}
		return p, nil
	}
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	require.NoError(t, err)
	stop, _ := startRun(t, rt)
	require.Equal(t, "cb:x", roundTrip(t, "tcp", ln.Addr().String(), "x"))
	for range 3 {
		assert.NoError(t, <-results, "a call from a loop callback")
	}
	require.NoError(t, stop())
}

// expectNotReady accepts Listen's documented error when called from a loop
// callback while the server is created asynchronously.
func expectNotReady(err error) error {
	if err == nil || strings.Contains(err.Error(), "not ready yet") {
		return nil
	}
	return err
}

// TestCloseAbortsRun: Close during Run aborts the connections (one
// connection_lost each) and ends Run; afterwards every method fails with
// ErrClosed, except Listener.Close, which is harmless.
func TestCloseAbortsRun(t *testing.T) {
	t.Parallel()
	rt, mod, stdout, _ := newEchoRuntime(t, Config{})
	factory, err := mod.ProtocolFactory("Echo")
	require.NoError(t, err)
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	require.NoError(t, err)
	_, done := startRun(t, rt)
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	stdout.WaitFor(t, "made", testTimeout)
	require.NoError(t, rt.Close(), "Close")
	if err := waitRun(t, done); err != nil {
		require.ErrorIs(t, err, ErrClosed, "Run after Close")
	}
	require.Equal(t, 1, strings.Count(stdout.String(), "lost"), "connection_lost calls:\n%s", stdout)
	_, err = rt.Exec("x.star", nil)
	require.ErrorIs(t, err, ErrClosed, "Exec after Close")
	require.ErrorIs(t, rt.Run(context.Background()), ErrClosed, "Run after Close")
	require.NoError(t, ln.Close(), "Listener.Close after Close")
}

// TestNewRejectsBadConfig: New refuses a negative or too large Loops and a
// negative SlowCallbackDuration, naming the field.
func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	for _, n := range []int{-1, MaxLoops + 1} {
		_, err := New(Config{Loops: n})
		assert.ErrorContains(t, err, "Loops", "New(Loops: %d)", n)
	}
	_, err := New(Config{SlowCallbackDuration: -1})
	assert.ErrorContains(t, err, "SlowCallbackDuration", "New(SlowCallbackDuration: -1)")
}

// TestPredeclareRejectsBadNames: Predeclare refuses names that are not
// Starlark identifiers.
func TestPredeclareRejectsBadNames(t *testing.T) {
	t.Parallel()
	rt, _, _ := newTestRuntime(t, Config{})
	for _, name := range []string{"", "1x", "a b", "if"} {
		assert.Error(t, rt.Predeclare(name, starlark.None), "Predeclare(%q)", name)
	}
}

// TestStepBudget: Config.MaxSteps 0 means DefaultMaxSteps and NoStepLimit
// means starlarkbind's 0 (no limit); other values are kept.
func TestStepBudget(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want uint64
	}{{0, DefaultMaxSteps}, {NoStepLimit, 0}, {5, 5}} {
		assert.Equal(t, c.want, (Config{MaxSteps: c.in}).stepBudget(), "stepBudget(%d)", c.in)
	}
}

// TestJobsWhileRunStartsAndStops submits work while Run keeps starting and
// returning (idle), so that jobs arrive in every state of the hand-over;
// every job's callback runs.
func TestJobsWhileRunStartsAndStops(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{})
	const submitters, perSubmitter = 4, 50
	var wg sync.WaitGroup
	for i := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perSubmitter {
				src := fmt.Sprintf("loop.call_soon(lambda: print(\"job %d.%d\"))\n", i, j)
				if _, err := rt.Exec("job.star", []byte(src)); !assert.NoError(t, err, "Exec") {
					return
				}
			}
		}()
	}
	submitted := make(chan struct{})
	go func() { wg.Wait(); close(submitted) }()
	runs := 0
	for {
		require.NoError(t, rt.Run(context.Background()), "Run")
		runs++
		select {
		case <-submitted:
			// A last Run for the callbacks of the last jobs.
			require.NoError(t, rt.Run(context.Background()), "Run")
			require.Equal(t, submitters*perSubmitter, strings.Count(stdout.String(), "job "), "callbacks that ran")
			t.Logf("%d runs", runs)
			return
		default:
		}
	}
}
