package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// loopEchoScript defines LoopEcho, a protocol that writes "N:" (its loop's
// number), then echoes, and prints when its connection is made and lost.
const loopEchoScript = `
def connection_made(self, transport):
    self.transport = transport
    print("made %d" % loop.index)
    transport.write("%d:" % loop.index)

def data_received(self, data):
    self.transport.write(data)

def connection_lost(self, exc):
    print("lost %d %s" % (loop.index, exc))

LoopEcho = protocol("LoopEcho", connection_made = connection_made,
                    data_received = data_received, connection_lost = connection_lost)
`

// runBounded runs rt to its end, failing the test if that takes longer than
// testTimeout.
func runBounded(t *testing.T, rt *Runtime) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- rt.Run(context.Background()) }()
	return waitRun(t, done)
}

// servedBy sends msg over a new connection and returns the loop number the
// LoopEcho protocol that served it wrote first.
func servedBy(t *testing.T, network, addr, msg string) string {
	t.Helper()
	got := roundTrip(t, network, addr, msg)
	index, rest, ok := strings.Cut(got, ":")
	if !ok || rest != msg {
		t.Fatalf("echo of %q: got %q", msg, got)
	}
	return index
}

// untilEveryLoop connects to addr until connections were served by each of
// loops loops. The kernel spreads the connections by hashing their
// addresses: a few dozen are plenty, the bound only stops a server that
// never spreads.
func untilEveryLoop(t *testing.T, addr string, loops int) {
	t.Helper()
	seen := map[string]int{}
	for i := 0; i < 2000 && len(seen) < loops; i++ {
		seen[servedBy(t, "tcp", addr, fmt.Sprintf("msg %d", i))]++
	}
	if len(seen) != loops {
		t.Fatalf("connections served per loop: %v, want all %d loops", seen, loops)
	}
}

func TestLoopsListenServesOnEveryLoop(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2})
	mod := mustExec(t, rt, "loopecho.star", loopEchoScript)
	factory, err := mod.ProtocolFactory("LoopEcho")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	if err != nil {
		t.Fatal(err)
	}
	unixPath := filepath.Join(t.TempDir(), "echo.sock")
	unixLn, err := rt.Listen("unix", unixPath, factory)
	if err != nil {
		t.Fatal(err)
	}
	goLn, err := rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("go:", nil))
	if err != nil {
		t.Fatal(err)
	}
	stop, _ := startRun(t, rt)
	untilEveryLoop(t, ln.Addr().String(), 2)
	for i := 0; i < 20; i++ {
		if index := servedBy(t, "unix", unixPath, "over unix"); index != "0" && index != "1" {
			t.Fatalf("served by loop %q", index)
		}
		if got := roundTrip(t, "tcp", goLn.Addr().String(), "x"); got != "go:x" {
			t.Fatalf("Go echo: %q", got)
		}
	}
	if err := unixLn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if strings.Count(stdout.String(), "made ") != strings.Count(stdout.String(), "lost ") {
		t.Fatalf("connection_made and connection_lost do not pair up:\n%s", stdout)
	}
}

// TestLoopsScriptServersShareAPort: servers that the copies create with port
// 0 end up on the port loop 0's copy got, matched by host and call order,
// whether the script waits for them or not; Unix servers share loop 0's
// socket.
func TestLoopsScriptServersShareAPort(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 3, Permissions: AllowAll()})
	path := filepath.Join(t.TempDir(), "s.sock")
	if err := rt.Predeclare("unix_path", starlark.String(path)); err != nil {
		t.Fatal(err)
	}
	mustExec(t, rt, "loopecho.star", loopEchoScript+`
def report(name):
    def done(fut):
        print("%s %d %d" % (name, loop.index, fut.result().sockets[0].getsockname()[1]))
    return done

# Not waited for: bound once the loops run.
loop.create_server(LoopEcho, "127.0.0.1", 0).add_done_callback(report("first"))
loop.create_server(LoopEcho, "127.0.0.1", 0).add_done_callback(report("second"))
# Waited for in the top level.
srv = loop.run_until_complete(loop.create_server(LoopEcho, "127.0.0.1", 0))
print("third %d %d" % (loop.index, srv.sockets[0].getsockname()[1]))
loop.run_until_complete(loop.create_unix_server(LoopEcho, unix_path))
`)
	stop, _ := startRun(t, rt)
	ports := map[string]string{}
	for _, name := range []string{"first", "second", "third"} {
		for i := 0; i < 3; i++ {
			stdout.WaitFor(t, fmt.Sprintf("%s %d ", name, i), testTimeout)
		}
		m := regexp.MustCompile(name+` \d (\d+)\n`).FindAllStringSubmatch(stdout.String(), -1)
		if len(m) != 3 || m[0][1] != m[1][1] || m[1][1] != m[2][1] {
			t.Fatalf("the copies' %s servers are on ports %v, want one port:\n%s", name, m, stdout)
		}
		ports[name] = m[0][1]
	}
	if ports["first"] == ports["second"] || ports["second"] == ports["third"] || ports["first"] == ports["third"] {
		t.Fatalf("different servers share a port: %v", ports)
	}
	for _, name := range []string{"first", "second", "third"} {
		untilEveryLoop(t, "127.0.0.1:"+ports[name], 3)
	}
	for i := 0; i < 10; i++ {
		servedBy(t, "unix", path, "over unix")
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestLoopsCopyWaitingForAServerLoop0NeverMade: a copy whose top level
// waits for a port-0 server that loop 0's copy never created fails instead
// of hanging.
func TestLoopsCopyWaitingForAServerLoop0NeverMade(t *testing.T) {
	rt, _, _ := newTestRuntime(t, Config{Loops: 2, Permissions: AllowAll()})
	_, err := rt.Exec("diverge.star", []byte(`
if loop.index == 1:
    loop.run_until_complete(loop.create_server(protocol("P"), "127.0.0.1", 0))
`))
	if err == nil || !strings.Contains(err.Error(), "(loop 1)") || !strings.Contains(err.Error(), "ran out of work") {
		t.Fatalf("Exec: %v", err)
	}
}

func TestLoopsExitInOneCopyEndsEveryCopy(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 3})
	mustExec(t, rt, "exit.star", `
loop.call_later(3600, print, "never")   # would keep every loop busy
if loop.index == 2:
    loop.call_later(0.01, exit, 5)
`)
	var exit *ExitError
	if err := runBounded(t, rt); !errors.As(err, &exit) || exit.Code != 5 {
		t.Fatalf("Run: %v, want exit status 5", err)
	}
	// The status sticks, as with one loop.
	if err := runBounded(t, rt); !errors.As(err, &exit) || exit.Code != 5 {
		t.Fatalf("second Run: %v, want exit status 5", err)
	}
	if strings.Contains(stdout.String(), "never") {
		t.Fatal("a timer fired after exit()")
	}
}

func TestLoopsExitInLoop0TopLevelSkipsTheOtherCopies(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2})
	mod := mustExec(t, rt, "exit.star", `
print("top %d" % loop.index)
exit(4)
`)
	if err := mod.CallMain(nil); err != nil {
		t.Fatal(err)
	}
	var exit *ExitError
	if err := runBounded(t, rt); !errors.As(err, &exit) || exit.Code != 4 {
		t.Fatalf("Run: %v, want exit status 4", err)
	}
	if got := stdout.String(); got != "top 0\n" {
		t.Fatalf("stdout %q, want only loop 0's copy to run", got)
	}
}

func TestLoopsStopInOneCopyStopsEveryLoop(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2})
	mustExec(t, rt, "stop.star", `
loop.call_later(3600, print, "never")
if loop.index == 1:
    loop.call_later(0.01, loop.stop)
`)
	if err := runBounded(t, rt); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if strings.Contains(stdout.String(), "never") {
		t.Fatal("a timer fired")
	}
}

func TestLoopsRunWaitsForEveryLoop(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2})
	mustExec(t, rt, "idle.star", `
loop.call_later(0.01 + 0.2 * loop.index, print, "done %d" % loop.index)
`)
	if err := runBounded(t, rt); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := stdout.String(); got != "done 0\ndone 1\n" {
		t.Fatalf("stdout %q", got)
	}
}

func TestLoopsExecRunsEveryCopy(t *testing.T) {
	rt, _, _ := newTestRuntime(t, Config{Loops: 3})
	shared := starlark.NewList(nil)
	if err := rt.Predeclare("shared", shared); err != nil {
		t.Fatal(err)
	}
	mod := mustExec(t, rt, "copies.star", `
index = loop.index
ok = True
def main(argv):
    print("main %d %s" % (loop.index, argv))
`)
	if got := mod.Globals()["index"]; got != starlark.MakeInt(0) {
		t.Fatalf("Globals()[index] = %v, want loop 0's copy", got)
	}
	if err := shared.Append(starlark.None); err == nil {
		t.Fatal("Predeclare left a value shared by several loops mutable")
	}
	_, err := rt.Exec("fail.star", []byte(`
if loop.index == 2:
    fail("boom")
`))
	if err == nil || !strings.Contains(err.Error(), "(loop 2)") || !strings.Contains(FormatError(err), "boom") {
		t.Fatalf("Exec failing in loop 2: %v", err)
	}
	_, err = rt.Exec("mutate.star", []byte("shared.append(1)\n"))
	if err == nil || !strings.Contains(err.Error(), "frozen") {
		t.Fatalf("appending to a predeclared list: %v", err)
	}
}

func TestLoopsCallMainAndArgs(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2, Args: []string{"a"}})
	mod := mustExec(t, rt, "main.star", `
def main(argv):
    print("main %d %s" % (loop.index, argv))
`)
	if err := mod.CallMain(nil); err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	if !strings.HasPrefix(out, "main 0 [\"a\"]\n") || !strings.Contains(out, "main 1 [\"a\"]\n") {
		t.Fatalf("stdout %q, want loop 0's main first, then loop 1's", out)
	}
}

// exclusiveWriter fails the test if two Writes overlap.
type exclusiveWriter struct {
	t      *testing.T
	inside atomic.Bool
	mu     sync.Mutex
	lines  int
}

func (w *exclusiveWriter) Write(p []byte) (int, error) {
	if !w.inside.CompareAndSwap(false, true) {
		w.t.Error("two loops wrote to Stdout at once")
	}
	w.mu.Lock()
	w.lines += strings.Count(string(p), "\n")
	w.mu.Unlock()
	w.inside.Store(false)
	return len(p), nil
}

func TestLoopsPrintWritesOneLineAtATime(t *testing.T) {
	w := &exclusiveWriter{t: t}
	rt, err := New(Config{Loops: 4, Stdout: w})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	mustExec(t, rt, "print.star", `
def spam():
    for i in range(500):
        print("loop %d line %d" % (loop.index, i))
loop.call_soon(spam)
`)
	if err := runBounded(t, rt); err != nil {
		t.Fatal(err)
	}
	if w.lines != 4*500 {
		t.Fatalf("%d lines, want %d", w.lines, 4*500)
	}
}

// TestLoopsCancelShutsDownEveryLoop: cancelling Run drains every copy.
func TestLoopsCancelShutsDownEveryLoop(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2})
	mod := mustExec(t, rt, "loopecho.star", loopEchoScript)
	factory, err := mod.ProtocolFactory("LoopEcho")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	if err != nil {
		t.Fatal(err)
	}
	stop, _ := startRun(t, rt)
	conns := map[string]net.Conn{}
	for i := 0; i < 2000 && len(conns) < 2; i++ {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		prefix := make([]byte, 2)
		if _, err := conn.Read(prefix); err != nil {
			t.Fatal(err)
		}
		if _, ok := conns[string(prefix)]; !ok {
			conns[string(prefix)] = conn
		}
	}
	if len(conns) != 2 {
		t.Fatalf("connections reached loops %v only", conns)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, want := range []string{"lost 0 None", "lost 1 None"} {
		if !strings.Contains(stdout.String(), want) {
			t.Fatalf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

// TestLoopsHostCallsFromCallbacks: Exec called from a Go protocol's
// callback on each loop at the same time completes (each waiting loop runs
// the other's job meanwhile); Listen from a callback fails at once.
func TestLoopsHostCallsFromCallbacks(t *testing.T) {
	rt, _, _ := newTestRuntime(t, Config{Loops: 2})
	results := make(chan error, 8)
	factory := func() transports.BaseProtocol {
		p := &goEcho{prefix: "cb:"}
		p.onMade = func(transports.Transport) {
			_, err := rt.Exec("inner.star", []byte("y = loop.index\n"))
			results <- err
			_, err = rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("", nil))
			results <- expectNotReady(err)
		}
		return p
	}
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	if err != nil {
		t.Fatal(err)
	}
	stop, _ := startRun(t, rt)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := roundTrip(t, "tcp", ln.Addr().String(), "x"); got != "cb:x" {
				t.Errorf("got %q", got)
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 8; i++ {
		if err := <-results; err != nil {
			t.Errorf("call from a loop callback: %v", err)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestDebugReportsUnclosedTransportsOnClose: in debug mode, Close reports
// the transports that the script left open, as asyncio's ResourceWarning.
func TestDebugReportsUnclosedTransportsOnClose(t *testing.T) {
	for _, loops := range []int{1, 2} {
		t.Run(fmt.Sprintf("loops=%d", loops), func(t *testing.T) {
			stdout, stderr := testkit.NewOutput(), testkit.NewOutput()
			rt, err := New(Config{Loops: loops, Debug: true, Permissions: AllowAll(), Stdout: stdout, Stderr: stderr})
			if err != nil {
				t.Fatal(err)
			}
			defer rt.Close()
			peer, err := rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("", nil))
			if err != nil {
				t.Fatal(err)
			}
			if err := rt.Predeclare("port", starlark.MakeInt(peer.Addr().(*net.TCPAddr).Port)); err != nil {
				t.Fatal(err)
			}
			mustExec(t, rt, "client.star", `
open_one, _ = loop.run_until_complete(loop.create_connection(protocol("P"), "127.0.0.1", port))
closed, _ = loop.run_until_complete(loop.create_connection(protocol("P"), "127.0.0.1", port))
closed.close()
loop.call_soon(loop.stop)
`)
			if err := runBounded(t, rt); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(stderr.String(), "ResourceWarning") {
				t.Fatalf("reported before Close:\n%s", stderr)
			}
			if err := rt.Close(); err != nil {
				t.Fatal(err)
			}
			const warning = "ResourceWarning: unclosed transport <socket transport fd="
			if n := strings.Count(stderr.String(), warning); n != loops {
				t.Fatalf("%d warnings, want %d (one per loop's open connection):\n%s", n, loops, stderr)
			}
		})
	}
}

// TestLoopsJobsWhileRunStartsAndStops submits work while Run keeps starting
// and returning (every loop idle), so that jobs reach the loops in every
// state of the hand-over: running, parked, between Runs.
func TestLoopsJobsWhileRunStartsAndStops(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 3})
	const submitters, perSubmitter = 4, 30
	var wg sync.WaitGroup
	for i := 0; i < submitters; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < perSubmitter; j++ {
				src := fmt.Sprintf("loop.call_later(0.001 * loop.index, lambda: print(\"job %d.%d\"))\n", i, j)
				if _, err := rt.Exec("job.star", []byte(src)); err != nil {
					t.Errorf("Exec: %v", err)
					return
				}
			}
		}(i)
	}
	submitted := make(chan struct{})
	go func() { wg.Wait(); close(submitted) }()
	for {
		if err := runBounded(t, rt); err != nil {
			t.Fatalf("Run: %v", err)
		}
		select {
		case <-submitted:
			// A last Run for the callbacks of the last jobs.
			if err := runBounded(t, rt); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if n := strings.Count(stdout.String(), "job "); n != 3*submitters*perSubmitter {
				t.Fatalf("%d callbacks ran, want %d", n, 3*submitters*perSubmitter)
			}
			return
		default:
		}
	}
}
