package runtime

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/transports"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	require.True(t, ok, "echo of %q: got %q", msg, got)
	require.Equal(t, msg, rest, "the echo")
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
	require.Len(t, seen, loops, "connections served per loop: %v", seen)
}

// TestLoopsListenServesOnEveryLoop: with two loops a host TCP listener
// serves on both, a Unix listener and a Go protocol's listener serve too,
// and every connection_made has its connection_lost.
func TestLoopsListenServesOnEveryLoop(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2})
	mod := mustExec(t, rt, "loopecho.star", loopEchoScript)
	factory, err := mod.ProtocolFactory("LoopEcho")
	require.NoError(t, err)
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	require.NoError(t, err)
	unixPath := filepath.Join(t.TempDir(), "echo.sock")
	unixLn, err := rt.Listen("unix", unixPath, factory)
	require.NoError(t, err)
	goLn, err := rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("go:", nil))
	require.NoError(t, err)
	stop, _ := startRun(t, rt)
	untilEveryLoop(t, ln.Addr().String(), 2)
	for range 20 {
		require.Contains(t, []string{"0", "1"}, servedBy(t, "unix", unixPath, "over unix"), "the loop that served")
		require.Equal(t, "go:x", roundTrip(t, "tcp", goLn.Addr().String(), "x"), "the Go echo")
	}
	require.NoError(t, unixLn.Close())
	require.NoError(t, stop(), "Run")
	out := stdout.String()
	require.Equal(t, strings.Count(out, "made "), strings.Count(out, "lost "), "connection_made and connection_lost do not pair up:\n%s", out)
}

// TestLoopsScriptServersShareAPort: servers that the copies create with port
// 0 end up on the port loop 0's copy got, matched by host and call order,
// whether the script waits for them or not; Unix servers share loop 0's
// socket.
func TestLoopsScriptServersShareAPort(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 3, Permissions: AllowAll()})
	path := filepath.Join(t.TempDir(), "s.sock")
	require.NoError(t, rt.Predeclare("unix_path", starlark.String(path)))
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
		for i := range 3 {
			stdout.WaitFor(t, fmt.Sprintf("%s %d ", name, i), testTimeout)
		}
		m := regexp.MustCompile(name+` \d (\d+)\n`).FindAllStringSubmatch(stdout.String(), -1)
		require.Len(t, m, 3, "the copies' %s servers", name)
		require.Equal(t, []string{m[0][1], m[0][1]}, []string{m[1][1], m[2][1]}, "the copies' %s servers are on several ports", name)
		ports[name] = m[0][1]
	}
	require.Len(t, map[string]bool{ports["first"]: true, ports["second"]: true, ports["third"]: true}, 3,
		"different servers share a port: %v", ports)
	for _, name := range []string{"first", "second", "third"} {
		untilEveryLoop(t, "127.0.0.1:"+ports[name], 3)
	}
	for range 10 {
		servedBy(t, "unix", path, "over unix")
	}
	require.NoError(t, stop(), "Run")
}

// TestLoopsCopyWaitingForAServerLoop0NeverMade: a copy whose top level
// waits for a port-0 server that loop 0's copy never created fails instead
// of hanging.
func TestLoopsCopyWaitingForAServerLoop0NeverMade(t *testing.T) {
	t.Parallel()
	rt, _, _ := newTestRuntime(t, Config{Loops: 2, Permissions: AllowAll()})
	_, err := rt.Exec("diverge.star", []byte(`
if loop.index == 1:
    loop.run_until_complete(loop.create_server(protocol("P"), "127.0.0.1", 0))
`))
	require.ErrorContains(t, err, "(loop 1)")
	require.ErrorContains(t, err, "ran out of work")
}

// TestLoopsExitInOneCopyEndsEveryCopy: exit() in one copy ends Run for all
// loops, with its status, which sticks for later Runs; no other copy's
// timer fires.
func TestLoopsExitInOneCopyEndsEveryCopy(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 3})
	mustExec(t, rt, "exit.star", `
loop.call_later(3600, print, "never")   # would keep every loop busy
if loop.index == 2:
    loop.call_later(0.01, exit, 5)
`)
	requireExit(t, 5, runBounded(t, rt))
	// The status sticks, as with one loop.
	requireExit(t, 5, runBounded(t, rt))
	require.NotContains(t, stdout.String(), "never", "a timer fired after exit()")
}

// TestLoopsExitInLoop0TopLevelSkipsTheOtherCopies: exit() in loop 0's top
// level keeps the other copies from running the module at all.
func TestLoopsExitInLoop0TopLevelSkipsTheOtherCopies(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2})
	mod := mustExec(t, rt, "exit.star", `
print("top %d" % loop.index)
exit(4)
`)
	require.NoError(t, mod.CallMain(nil))
	requireExit(t, 4, runBounded(t, rt))
	require.Equal(t, "top 0\n", stdout.String(), "only loop 0's copy may run")
}

// TestLoopsStopInOneCopyStopsEveryLoop: loop.stop() in one copy ends Run
// for every loop, with no timer of another copy fired.
func TestLoopsStopInOneCopyStopsEveryLoop(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2})
	mustExec(t, rt, "stop.star", `
loop.call_later(3600, print, "never")
if loop.index == 1:
    loop.call_later(0.01, loop.stop)
`)
	require.NoError(t, runBounded(t, rt), "Run")
	require.NotContains(t, stdout.String(), "never", "a timer fired")
}

// TestLoopsRunWaitsForEveryLoop: Run returns only once every loop is idle,
// here loop 1 well after loop 0. Which timer fires first is up to the
// machine's scheduling of the two loops' threads, so the lines are
// compared in any order.
func TestLoopsRunWaitsForEveryLoop(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2})
	mustExec(t, rt, "idle.star", `
loop.call_later(0.01 + 0.2 * loop.index, print, "done %d" % loop.index)
`)
	require.NoError(t, runBounded(t, rt), "Run")
	assert.ElementsMatch(t, []string{"done 0", "done 1"}, lines(stdout.String()), "stdout")
}

// lines splits text into its newline-terminated lines; a last line
// without a newline counts too.
func lines(text string) []string {
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// TestLoopsExecRunsEveryCopy: Exec runs the module in every copy (Globals
// is loop 0's), an error in one copy names the loop, and predeclared
// values are frozen because the loops share them.
func TestLoopsExecRunsEveryCopy(t *testing.T) {
	t.Parallel()
	rt, _, _ := newTestRuntime(t, Config{Loops: 3})
	shared := starlark.NewList(nil)
	require.NoError(t, rt.Predeclare("shared", shared))
	mod := mustExec(t, rt, "copies.star", `
index = loop.index
ok = True
def main(argv):
    print("main %d %s" % (loop.index, argv))
`)
	require.Equal(t, starlark.MakeInt(0), mod.Globals()["index"], "Globals() must be loop 0's copy")
	require.Error(t, shared.Append(starlark.None), "Predeclare left a value shared by several loops mutable")
	_, err := rt.Exec("fail.star", []byte(`
if loop.index == 2:
    fail("boom")
`))
	require.ErrorContains(t, err, "(loop 2)", "Exec failing in loop 2")
	require.Contains(t, FormatError(err), "boom", "Exec failing in loop 2")
	_, err = rt.Exec("mutate.star", []byte("shared.append(1)\n"))
	require.ErrorContains(t, err, "frozen", "appending to a predeclared list")
}

// TestLoopsCallMainAndArgs: CallMain runs main in every copy, loop 0's
// first, each with Config.Args.
func TestLoopsCallMainAndArgs(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2, Args: []string{"a"}})
	mod := mustExec(t, rt, "main.star", `
def main(argv):
    print("main %d %s" % (loop.index, argv))
`)
	require.NoError(t, mod.CallMain(nil))
	require.Equal(t, "main 0 [\"a\"]\nmain 1 [\"a\"]\n", stdout.String(), "loop 0's main first, then loop 1's")
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
		assert.Fail(w.t, "two loops wrote to Stdout at once")
	}
	w.mu.Lock()
	w.lines += strings.Count(string(p), "\n")
	w.mu.Unlock()
	w.inside.Store(false)
	return len(p), nil
}

// TestLoopsPrintWritesOneLineAtATime: with several loops, print output
// reaches Stdout one whole line per Write, never two Writes at once.
func TestLoopsPrintWritesOneLineAtATime(t *testing.T) {
	t.Parallel()
	w := &exclusiveWriter{t: t}
	rt, err := New(Config{Loops: 4, Stdout: w})
	require.NoError(t, err)
	defer rt.Close()
	mustExec(t, rt, "print.star", `
def spam():
    for i in range(500):
        print("loop %d line %d" % (loop.index, i))
loop.call_soon(spam)
`)
	require.NoError(t, runBounded(t, rt))
	w.mu.Lock()
	defer w.mu.Unlock()
	require.Equal(t, 4*500, w.lines, "lines written")
}

// TestLoopsCancelShutsDownEveryLoop: cancelling Run drains every copy.
func TestLoopsCancelShutsDownEveryLoop(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 2})
	mod := mustExec(t, rt, "loopecho.star", loopEchoScript)
	factory, err := mod.ProtocolFactory("LoopEcho")
	require.NoError(t, err)
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	require.NoError(t, err)
	stop, _ := startRun(t, rt)
	conns := map[string]net.Conn{}
	for i := 0; i < 2000 && len(conns) < 2; i++ {
		conn, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		defer conn.Close()
		prefix := readPrefix(t, conn, 2)
		if _, ok := conns[prefix]; !ok {
			conns[prefix] = conn
		}
	}
	require.Len(t, conns, 2, "connections reached loops %v only", conns)
	require.NoError(t, stop(), "Run")
	for _, want := range []string{"lost 0 None", "lost 1 None"} {
		require.Contains(t, stdout.String(), want)
	}
}

// TestLoopsHostCallsFromCallbacks: Exec called from a Go protocol's
// callback on each loop at the same time completes (each waiting loop runs
// the other's job meanwhile); Listen from a callback fails at once.
func TestLoopsHostCallsFromCallbacks(t *testing.T) {
	t.Parallel()
	rt, _, _ := newTestRuntime(t, Config{Loops: 2})
	results := make(chan error, 8)
	factory := func() (transports.BaseProtocol, error) {
		p := &goEcho{prefix: "cb:"}
		p.onMade = func(transports.Transport) {
			_, err := rt.Exec("inner.star", []byte("y = loop.index\n"))
			results <- err
			_, err = rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("", nil))
			results <- expectNotReady(err)
		}
		return p, nil
	}
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	require.NoError(t, err)
	stop, _ := startRun(t, rt)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := exchange("tcp", ln.Addr().String(), "x")
			if assert.NoError(t, err) {
				assert.Equal(t, "cb:x", got)
			}
		}()
	}
	wg.Wait()
	for range 8 {
		assert.NoError(t, <-results, "a call from a loop callback")
	}
	require.NoError(t, stop())
}

// unclosedWarning is how debug mode reports a socket transport left open.
var unclosedWarning = regexp.MustCompile(`^ResourceWarning: unclosed transport <socket transport fd=\d+.*>$`)

// TestDebugReportsUnclosedTransportsOnClose: in debug mode, Close reports
// the transports that the script left open, as asyncio's ResourceWarning,
// one per loop's open connection and nothing else. The slow-callback
// duration is set far above anything these callbacks take, so that a
// loaded machine does not add slow-callback reports to Stderr.
func TestDebugReportsUnclosedTransportsOnClose(t *testing.T) {
	t.Parallel()
	for _, loops := range []int{1, 2} {
		t.Run(fmt.Sprintf("loops=%d", loops), func(t *testing.T) {
			t.Parallel()
			rt, _, stderr := newTestRuntime(t, Config{Loops: loops, Debug: true, SlowCallbackDuration: time.Hour, Permissions: AllowAll()})
			peer, err := rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("", nil))
			require.NoError(t, err)
			require.NoError(t, rt.Predeclare("port", starlark.MakeInt(peer.Addr().(*net.TCPAddr).Port)))
			mustExec(t, rt, "client.star", `
open_one, _ = loop.run_until_complete(loop.create_connection(protocol("P"), "127.0.0.1", port))
closed, _ = loop.run_until_complete(loop.create_connection(protocol("P"), "127.0.0.1", port))
closed.close()
loop.call_soon(loop.stop)
`)
			require.NoError(t, runBounded(t, rt))
			require.Empty(t, stderr.String(), "reported before Close")
			require.NoError(t, rt.Close())
			reports := lines(stderr.String())
			require.Len(t, reports, loops, "one warning per loop's open connection:\n%s", stderr)
			for _, line := range reports {
				require.Regexp(t, unclosedWarning, line)
			}
		})
	}
}

// slowCallSoonReport matches debug mode's report of the slow callback that
// slow.star's top level scheduled with loop.call_soon: it names the
// Starlark callable and the script line that scheduled it.
var slowCallSoonReport = regexp.MustCompile(`(?m)^Executing <Handle nap\(\) created at slow\.star:1> took \d+\.\d{3} seconds$`)

// TestDebugReportsSlowCallbacks: in debug mode every loop reports a
// callback that runs for Config.SlowCallbackDuration or longer on Stderr,
// with asyncio's message. The threshold is 1 ms and the callback sleeps
// 2 ms, so the report does not depend on the machine's speed.
func TestDebugReportsSlowCallbacks(t *testing.T) {
	t.Parallel()
	for _, loops := range []int{1, 2} {
		t.Run(fmt.Sprintf("loops=%d", loops), func(t *testing.T) {
			t.Parallel()
			rt, _, stderr := newTestRuntime(t, Config{Loops: loops, Debug: true, SlowCallbackDuration: time.Millisecond})
			nap := starlark.NewBuiltin("nap", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
				time.Sleep(2 * time.Millisecond)
				return starlark.None, nil
			})
			require.NoError(t, rt.Predeclare("nap", nap))
			mustExec(t, rt, "slow.star", `loop.call_soon(nap)`)
			require.NoError(t, runBounded(t, rt))
			// Under load another callback (a host call's) may take 1 ms
			// too: only the reports of call_soon's callback are counted.
			reports := slowCallSoonReport.FindAllString(stderr.String(), -1)
			require.Len(t, reports, loops, "reports of the slow call_soon callback:\n%s", stderr)
		})
	}
}

// TestLoopsJobsWhileRunStartsAndStops submits work while Run keeps starting
// and returning (every loop idle), so that jobs reach the loops in every
// state of the hand-over: running, parked, between Runs.
func TestLoopsJobsWhileRunStartsAndStops(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{Loops: 3})
	const submitters, perSubmitter = 4, 30
	var wg sync.WaitGroup
	for i := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perSubmitter {
				src := fmt.Sprintf("loop.call_later(0.001 * loop.index, lambda: print(\"job %d.%d\"))\n", i, j)
				if _, err := rt.Exec("job.star", []byte(src)); !assert.NoError(t, err, "Exec") {
					return
				}
			}
		}()
	}
	submitted := make(chan struct{})
	go func() { wg.Wait(); close(submitted) }()
	for {
		require.NoError(t, runBounded(t, rt), "Run")
		select {
		case <-submitted:
			// A last Run for the callbacks of the last jobs.
			require.NoError(t, runBounded(t, rt), "Run")
			require.Equal(t, 3*submitters*perSubmitter, strings.Count(stdout.String(), "job "), "callbacks that ran")
			return
		default:
		}
	}
}
