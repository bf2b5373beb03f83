package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/transports"
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

// newEchoRuntime returns a runtime with host_tag predeclared and echoScript
// executed.
func newEchoRuntime(t *testing.T, cfg Config) (*Runtime, *Module, *testkit.Output, *testkit.Output) {
	t.Helper()
	rt, stdout, stderr := newTestRuntime(t, cfg)
	if err := rt.Predeclare("host_tag", starlark.String("H")); err != nil {
		t.Fatalf("Predeclare: %v", err)
	}
	mod := mustExec(t, rt, "echo.star", echoScript)
	return rt, mod, stdout, stderr
}

func TestStarlarkProtocolOverTCP(t *testing.T) {
	rt, mod, stdout, _ := newEchoRuntime(t, Config{})
	factory, err := mod.ProtocolFactory("Echo")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	if err != nil {
		t.Fatal(err)
	}
	stop, _ := startRun(t, rt)
	if got := roundTrip(t, "tcp", ln.Addr().String(), "hello"); got != "H:hello" {
		t.Fatalf("Go client got %q, want %q", got, "H:hello")
	}
	stdout.WaitFor(t, "lost None", testTimeout)

	// The same with Python's socket module as the peer.
	port := ln.Addr().(*net.TCPAddr).Port
	py := exec.Command("python3", "-c", `
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
`, fmt.Sprint(port))
	out, err := py.CombinedOutput()
	if err != nil {
		t.Fatalf("python client: %v\n%s", err, out)
	}
	if string(out) != "H:from python" {
		t.Fatalf("python client got %q", out)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := strings.Count(stdout.String(), "lost None"); n != 2 {
		t.Fatalf("connection_lost called %d times for 2 connections:\n%s", n, stdout)
	}
}

func TestGoProtocolOverTCPAndUnix(t *testing.T) {
	rt, _, _ := newTestRuntime(t, Config{})
	lost := make(chan error, 2)
	tcp, err := rt.Listen("tcp4", "127.0.0.1:0", newGoEchoFactory("G:", lost))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "echo.sock")
	unixLn, err := rt.Listen("unix", path, newGoEchoFactory("U:", lost))
	if err != nil {
		t.Fatal(err)
	}
	if unixLn.Addr().String() != path {
		t.Fatalf("unix listener address %q, want %q", unixLn.Addr(), path)
	}
	stop, _ := startRun(t, rt)
	if got := roundTrip(t, "tcp", tcp.Addr().String(), "abc"); got != "G:abc" {
		t.Fatalf("tcp got %q", got)
	}
	if got := roundTrip(t, "unix", path, "xyz"); got != "U:xyz" {
		t.Fatalf("unix got %q", got)
	}
	for i := 0; i < 2; i++ {
		if err := <-lost; err != nil {
			t.Fatalf("ConnectionLost(%v), want nil", err)
		}
	}
	if err := tcp.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.Dial("tcp", tcp.Addr().String()); err == nil {
		t.Fatalf("dial succeeded after Listener.Close")
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestScriptServesPredeclaredGoFactory(t *testing.T) {
	rt, _, _ := newTestRuntime(t, Config{Permissions: AllowAll()})
	path := filepath.Join(t.TempDir(), "go.sock")
	if err := rt.Predeclare("go_echo", GoFactory(newGoEchoFactory("go:", nil))); err != nil {
		t.Fatal(err)
	}
	if err := rt.Predeclare("sock_path", starlark.String(path)); err != nil {
		t.Fatal(err)
	}
	mustExec(t, rt, "serve.star", `server = loop.run_until_complete(loop.create_unix_server(go_echo, sock_path))`)
	stop, _ := startRun(t, rt)
	if got := roundTrip(t, "unix", path, "ping"); got != "go:ping" {
		t.Fatalf("got %q", got)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestRunReturnsWhenIdle(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{})
	mustExec(t, rt, "idle.star", `loop.call_later(0.01, lambda: print("tick"))`)
	if err := rt.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if stdout.String() != "tick\n" {
		t.Fatalf("stdout %q, want the timer's output", stdout)
	}
	// The runtime can run again once there is new work.
	mustExec(t, rt, "again.star", `loop.call_soon(lambda: print("again"))`)
	if err := rt.Run(context.Background()); err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if stdout.String() != "tick\nagain\n" {
		t.Fatalf("stdout %q after the second Run", stdout)
	}
}

func TestRunCancelShutsDownGracefully(t *testing.T) {
	rt, _, _ := newTestRuntime(t, Config{Permissions: AllowAll()})
	stdout := rt.cfg.Stdout.(*testkit.Output)
	if err := rt.Predeclare("host_tag", starlark.String("H")); err != nil {
		t.Fatal(err)
	}
	// A host listener and a script server with the same protocol, and a
	// timer that must not delay the shutdown.
	mod := mustExec(t, rt, "graceful.star", echoScript+`
server = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0))
port = server.sockets[0].getsockname()[1]
loop.call_later(3600, lambda: print("timer fired"))
`)
	factory, err := mod.ProtocolFactory("Echo")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	if err != nil {
		t.Fatal(err)
	}
	port, err := starlark.AsInt32(mod.Globals()["port"])
	if err != nil {
		t.Fatalf("port: %v", err)
	}
	goLost := make(chan error, 1)
	goLn, err := rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("H:", goLost))
	if err != nil {
		t.Fatal(err)
	}

	stop, _ := startRun(t, rt)
	var conns []net.Conn
	for _, addr := range []string{ln.Addr().String(), fmt.Sprintf("127.0.0.1:%d", port), goLn.Addr().String()} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for _, c := range conns { // both connections are made
		buf := make([]byte, 2)
		if _, err := c.Read(buf); err != nil || string(buf) != "H:" {
			t.Fatalf("read %q, %v", buf, err)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	for _, c := range conns {
		if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Fatalf("connection still open after the shutdown: %d, %v", n, err)
		}
	}
	if n := strings.Count(stdout.String(), "lost None"); n != 2 {
		t.Fatalf("want connection_lost(None) twice, stdout:\n%s", stdout)
	}
	select { // Run returned after the Go protocol's connection was lost too
	case err := <-goLost:
		if err != nil {
			t.Fatalf("Go protocol: ConnectionLost(%v)", err)
		}
	default:
		t.Fatalf("Run returned before the Go protocol's ConnectionLost")
	}
	if strings.Contains(stdout.String(), "timer fired") {
		t.Fatalf("the timer ran")
	}
}

func TestLoopStopEndsRun(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{Permissions: AllowAll()})
	mustExec(t, rt, "stop.star", `
server = loop.run_until_complete(loop.create_server(lambda: struct(), "127.0.0.1", 0))
loop.call_soon(loop.stop)
`)
	if err := rt.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// The server still serves: the next Run runs until cancelled.
	mustExec(t, rt, "later.star", `loop.call_soon(lambda: print("second run"))`)
	stop, _ := startRun(t, rt)
	stdout.WaitFor(t, "second run", testTimeout)
	if err := stop(); err != nil {
		t.Fatalf("second Run: %v", err)
	}
}

func TestExitStatus(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      int
	}{
		{"exit3InTimer", `loop.call_later(0.01, lambda: exit(3))`, 3},
		{"exit0InTimer", `loop.call_later(0.01, lambda: exit(0))`, 0},
		{"exit4AtTopLevel", "loop.call_later(3600, lambda: print(\"timer\"))\nexit(4)\nprint(\"after exit\")", 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			rt, stdout, _ := newTestRuntime(t, Config{Permissions: AllowAll()})
			mod := mustExec(t, rt, "exit.star", c.src+"\ndef main(argv):\n    print(\"main ran\")\n")
			if c.want == 4 {
				if err := mod.CallMain(nil); err != nil {
					t.Fatalf("CallMain after exit: %v", err)
				}
			}
			err := rt.Run(context.Background())
			var exit *ExitError
			switch {
			case c.want == 0 && err != nil:
				t.Fatalf("Run: %v, want nil", err)
			case c.want != 0 && (!errors.As(err, &exit) || exit.Code != c.want):
				t.Fatalf("Run: %v, want exit status %d", err, c.want)
			}
			if out := stdout.String(); strings.Contains(out, "after exit") || strings.Contains(out, "main ran") || strings.Contains(out, "timer") {
				t.Fatalf("code ran after exit():\n%s", stdout)
			}
		})
	}
}

func TestExecErrorHasTraceback(t *testing.T) {
	rt, _, _ := newTestRuntime(t, Config{})
	_, err := rt.Exec("bad.star", []byte("def f(x):\n    return x // 0\n\nf(1)\n"))
	if err == nil {
		t.Fatal("Exec succeeded")
	}
	text := FormatError(err)
	for _, want := range []string{"Traceback", "bad.star:4:2", "bad.star:2:14", "division by zero"} {
		if !strings.Contains(text, want) {
			t.Errorf("traceback lacks %q:\n%s", want, text)
		}
	}
}

func TestCallMainAndRunUntilComplete(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{Args: []string{"default"}})
	mod := mustExec(t, rt, "main.star", `
def main(argv):
    print(argv, loop.run_until_complete(loop.sleep(0.01, "slept")))
`)
	if err := mod.CallMain([]string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	if err := mod.CallMain(nil); err != nil {
		t.Fatal(err)
	}
	want := "[\"a\", \"b\"] slept\n[\"default\"] slept\n"
	if stdout.String() != want {
		t.Fatalf("stdout %q, want %q", stdout, want)
	}
	if err := mustExec(t, rt, "nomain.star", "x = 1").CallMain(nil); err != nil {
		t.Fatalf("CallMain without main: %v", err)
	}
}

func TestZeroPermissionsDeny(t *testing.T) {
	rt, _, _ := newTestRuntime(t, Config{})
	lost := make(chan error, 1)
	ln, err := rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("", lost))
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = rt.Exec("connect.star", []byte(fmt.Sprintf(
		"loop.run_until_complete(loop.create_connection(lambda: struct(), \"127.0.0.1\", %d))\n", port)))
	if err == nil {
		t.Fatal("create_connection succeeded without --allow-net")
	}
	text := FormatError(err)
	for _, want := range []string{"PermissionError", "--allow-net", fmt.Sprint(port)} {
		if !strings.Contains(text, want) {
			t.Errorf("error lacks %q: %s", want, text)
		}
	}
}

// writeFiles creates files (path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"main.star":     "load(\"lib/a.star\", \"a_value\")\nload(\"lib/b.star\", \"b_value\")\nprint(\"main\", a_value, b_value)\n",
		"lib/a.star":    "load(\"b.star\", \"b_value\")\na_value = \"a+\" + b_value\n",
		"lib/b.star":    "print(\"executing b\", host_tag)\nb_value = \"b\"\nitems = [1]\n",
		"mutate.star":   "load(\"lib/b.star\", \"items\")\nitems.append(2)\n",
		"c.star":        "load(\"d.star\", \"d\")\nc = 1\n",
		"d.star":        "load(\"c.star\", \"c\")\nd = 1\n",
		"missing.star":  "load(\"nope.star\", \"x\")\n",
		"exiter.star":   "exit(7)\n",
		"loadexit.star": "load(\"exiter.star\", \"x\")\nprint(\"after the exit\")\n",
	})
	rt, stdout, _ := newTestRuntime(t, Config{})
	if err := rt.Predeclare("host_tag", starlark.String("H")); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.ExecFile(filepath.Join(dir, "main.star")); err != nil {
		t.Fatalf("main: %s", FormatError(err))
	}
	if got, want := stdout.String(), "executing b H\nmain a+b b\n"; got != want {
		t.Fatalf("stdout %q, want %q (each module executed once)", got, want)
	}

	_, err := rt.ExecFile(filepath.Join(dir, "mutate.star"))
	if err == nil || !strings.Contains(err.Error(), "frozen") {
		t.Fatalf("mutating a loaded module's list: %v, want a frozen error", err)
	}
	if strings.Count(stdout.String(), "executing b") != 1 {
		t.Fatalf("b executed again by a later Exec:\n%s", stdout)
	}

	c, d := filepath.Join(dir, "c.star"), filepath.Join(dir, "d.star")
	_, err = rt.ExecFile(c)
	if want := fmt.Sprintf("load cycle: %s -> %s -> %s", c, d, c); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("cycle: %v, want an error containing %q", err, want)
	}

	_, err = rt.ExecFile(filepath.Join(dir, "missing.star"))
	if err == nil || !strings.Contains(err.Error(), "nope.star") {
		t.Fatalf("missing module: %v", err)
	}

	// exit() in a loaded module ends the loading module too.
	if _, err := rt.ExecFile(filepath.Join(dir, "loadexit.star")); err != nil {
		t.Fatalf("exit in a loaded module: %s", FormatError(err))
	}
	if strings.Contains(stdout.String(), "after the exit") {
		t.Fatalf("the loading module went on after exit():\n%s", stdout)
	}
	var exit *ExitError
	if err := rt.Run(context.Background()); !errors.As(err, &exit) || exit.Code != 7 {
		t.Fatalf("Run: %v, want exit status 7", err)
	}
}

func TestConcurrentCallers(t *testing.T) {
	rt, mod, _, _ := newEchoRuntime(t, Config{})
	keepAlive, err := rt.Listen("tcp", "127.0.0.1:0", newGoEchoFactory("", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer keepAlive.Close()

	const workers = 8
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, workers*8)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			errs <- concurrentWorker(t, rt, mod, i)
		}(i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	close(start) // the workers race with Run starting
	go func() { done <- rt.Run(ctx) }()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if err := rt.Run(ctx); !errors.Is(err, ErrRunning) {
		t.Errorf("a second concurrent Run: %v, want ErrRunning", err)
	}
	cancel()
	if err := waitRun(t, done); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// concurrentWorker exercises every Runtime method from one goroutine.
func concurrentWorker(t *testing.T, rt *Runtime, echo *Module, i int) error {
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
	if got := roundTrip(t, "tcp", ln.Addr().String(), msg); got != "H:"+msg {
		return fmt.Errorf("worker %d: echo %q", i, got)
	}
	return ln.Close()
}

func TestMethodsFromALoopCallback(t *testing.T) {
	rt, _, _ := newTestRuntime(t, Config{})
	results := make(chan error, 3)
	factory := func() transports.BaseProtocol {
		p := &goEcho{prefix: "cb:"}
		p.onMade = func(tr transports.Transport) {
			// On the loop's goroutine: these must not wait for themselves.
			_, err := rt.Exec("inner.star", []byte("y = 1\n"))
			results <- err
			results <- rt.Predeclare("late", starlark.True)
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
	if got := roundTrip(t, "tcp", ln.Addr().String(), "x"); got != "cb:x" {
		t.Fatalf("got %q", got)
	}
	for i := 0; i < 3; i++ {
		if err := <-results; err != nil {
			t.Errorf("call from a loop callback: %v", err)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// expectNotReady accepts Listen's documented error when called from a loop
// callback while the server is created asynchronously.
func expectNotReady(err error) error {
	if err == nil || strings.Contains(err.Error(), "not ready yet") {
		return nil
	}
	return err
}

func TestCloseAbortsRun(t *testing.T) {
	rt, mod, stdout, _ := newEchoRuntime(t, Config{})
	factory, err := mod.ProtocolFactory("Echo")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	if err != nil {
		t.Fatal(err)
	}
	_, done := startRun(t, rt)
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stdout.WaitFor(t, "made", testTimeout)
	if err := rt.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := waitRun(t, done); err != nil && !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
	if n := strings.Count(stdout.String(), "lost"); n != 1 {
		t.Fatalf("connection_lost called %d times:\n%s", n, stdout)
	}
	if _, err := rt.Exec("x.star", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Exec after Close: %v", err)
	}
	if err := rt.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after Close: %v", err)
	}
	if err := ln.Close(); err != nil {
		t.Fatalf("Listener.Close after Close: %v", err)
	}
}

func TestNewRejectsBadLoops(t *testing.T) {
	for _, n := range []int{-1, MaxLoops + 1} {
		if _, err := New(Config{Loops: n}); err == nil || !strings.Contains(err.Error(), "Loops") {
			t.Errorf("New(Loops: %d): %v", n, err)
		}
	}
}

func TestPredeclareRejectsBadNames(t *testing.T) {
	rt, _, _ := newTestRuntime(t, Config{})
	for _, name := range []string{"", "1x", "a b", "if"} {
		if err := rt.Predeclare(name, starlark.None); err == nil {
			t.Errorf("Predeclare(%q) succeeded", name)
		}
	}
}

func TestStepBudget(t *testing.T) {
	for _, c := range []struct {
		in, want uint64
	}{{0, DefaultMaxSteps}, {NoStepLimit, 0}, {5, 5}} {
		if got := (Config{MaxSteps: c.in}).stepBudget(); got != c.want {
			t.Errorf("stepBudget(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}

// TestJobsWhileRunStartsAndStops submits work while Run keeps starting and
// returning (idle), so that jobs arrive in every state of the hand-over.
func TestJobsWhileRunStartsAndStops(t *testing.T) {
	rt, stdout, _ := newTestRuntime(t, Config{})
	const submitters, perSubmitter = 4, 50
	var wg sync.WaitGroup
	for i := 0; i < submitters; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < perSubmitter; j++ {
				src := fmt.Sprintf("loop.call_soon(lambda: print(\"job %d.%d\"))\n", i, j)
				if _, err := rt.Exec("job.star", []byte(src)); err != nil {
					t.Errorf("Exec: %v", err)
					return
				}
			}
		}(i)
	}
	submitted := make(chan struct{})
	go func() { wg.Wait(); close(submitted) }()
	runs := 0
	for {
		if err := rt.Run(context.Background()); err != nil {
			t.Fatalf("Run: %v", err)
		}
		runs++
		select {
		case <-submitted:
			// A last Run for the callbacks of the last jobs.
			if err := rt.Run(context.Background()); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if n := strings.Count(stdout.String(), "job "); n != submitters*perSubmitter {
				t.Fatalf("%d callbacks ran, want %d", n, submitters*perSubmitter)
			}
			t.Logf("%d runs", runs)
			return
		default:
		}
	}
}
