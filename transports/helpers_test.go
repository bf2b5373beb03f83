package transports

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// watchdog bounds every loop run in these tests; runs end on events, never
// on this timer.
const watchdog = 20 * time.Second

// testLoop is a loop with an exception handler that records every report.
type testLoop struct {
	*loop.Loop
	t       testing.TB
	reports []loop.ErrorContext
}

func newTestLoop(t testing.TB) *testLoop {
	t.Helper()
	l, err := loop.New(loop.Options{Stderr: io.Discard})
	if err != nil {
		t.Fatalf("loop.New: %v", err)
	}
	tl := &testLoop{Loop: l, t: t}
	l.SetExceptionHandler(func(_ *loop.Loop, ctx loop.ErrorContext) {
		tl.reports = append(tl.reports, ctx)
	})
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("loop.Close: %v", err)
		}
	})
	return tl
}

// reportMessages lists the messages of the exception handler's reports.
func (tl *testLoop) reportMessages() []string {
	var msgs []string
	for _, r := range tl.reports {
		msgs = append(msgs, r.Message)
	}
	return msgs
}

// expectNoReports fails the test if anything reached the exception handler.
func (tl *testLoop) expectNoReports() {
	tl.t.Helper()
	for _, r := range tl.reports {
		tl.t.Errorf("unexpected report: %s: %v", r.Message, r.Err)
	}
}

// bounded runs run and fails the test if the watchdog had to stop the loop.
func (tl *testLoop) bounded(run func() error) error {
	tl.t.Helper()
	var fired atomic.Bool
	timer := time.AfterFunc(watchdog, func() {
		fired.Store(true)
		tl.Stop()
	})
	err := run()
	timer.Stop()
	if fired.Load() {
		tl.t.Fatalf("loop still running after %v", watchdog)
	}
	return err
}

// await runs the loop until f is done and returns its result.
func (tl *testLoop) await(f *loop.Future) (any, error) {
	tl.t.Helper()
	var v any
	err := tl.bounded(func() error {
		var err error
		v, err = tl.RunUntilComplete(f)
		return err
	})
	return v, err
}

// mustAwait is await failing the test on error.
func (tl *testLoop) mustAwait(f *loop.Future) any {
	tl.t.Helper()
	v, err := tl.await(f)
	if err != nil {
		tl.t.Fatalf("future failed: %v", err)
	}
	return v
}

// runIdle runs the loop until nothing is left to do.
func (tl *testLoop) runIdle() {
	tl.t.Helper()
	if err := tl.bounded(tl.Run); err != nil {
		tl.t.Fatalf("Run: %v", err)
	}
}

// spin runs n loop iterations' worth of chained callbacks.
func (tl *testLoop) spin(n int) {
	tl.t.Helper()
	f := tl.NewFuture()
	var step func(int)
	step = func(i int) {
		if i == 0 {
			_ = f.SetResult(nil)
			return
		}
		tl.CallSoon(func() { step(i - 1) })
	}
	step(n)
	tl.mustAwait(f)
}

// serve starts a server on 127.0.0.1:0 and returns it with its port.
func (tl *testLoop) serve(factory ProtocolFactory, opts ListenOptions) (*Server, int) {
	tl.t.Helper()
	srv := tl.mustAwait(CreateServer(tl.Loop, factory, "127.0.0.1", 0, opts)).(*Server)
	tl.t.Cleanup(srv.Close)
	return srv, srv.Addrs()[0].(*net.TCPAddr).Port
}

// pyPeer is a python3 process used as the peer of a test: code nobody here
// wrote. Done is resolved with its whole stdout once it exits (after any
// lines read with ReadLine).
type pyPeer struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	pipe   *os.File
	stderr testkit.SyncBuffer
	Done   *loop.Future
	waited bool
}

// startPython starts python3 -c script with args; the loop is kept alive
// (Ref) until the process has exited.
func startPython(tl *testLoop, script string, args ...string) *pyPeer {
	tl.t.Helper()
	return startPeer(tl, "python3", append([]string{"-c", script}, args...)...)
}

// startPeer starts the command name with args as the peer of a test, its
// stdout read through ReadLine and Wait, its stderr kept for failure
// messages; it is killed when the test ends.
func startPeer(tl *testLoop, name string, args ...string) *pyPeer {
	tl.t.Helper()
	p := &pyPeer{t: tl.t, Done: tl.NewFuture()}
	p.cmd = exec.Command(name, args...)
	p.cmd.Stderr = &p.stderr
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		tl.t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		tl.t.Fatal(err)
	}
	p.cmd.Stdout = w
	p.pipe = r
	p.stdout = bufio.NewReader(r)
	if err := p.cmd.Start(); err != nil {
		tl.t.Fatalf("start %s: %v", name, err)
	}
	w.Close()
	tl.t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		r.Close()
	})
	return p
}

// ReadLine reads one line of the peer's stdout (blocking, bounded).
func (p *pyPeer) ReadLine() string {
	p.t.Helper()
	_ = p.pipe.SetReadDeadline(time.Now().Add(watchdog))
	line, err := p.stdout.ReadString('\n')
	if err != nil {
		p.t.Fatalf("python peer: reading stdout: %v (stderr: %s)", err, p.stderr.String())
	}
	return strings.TrimRight(line, "\n")
}

// Wait arranges for Done to be resolved when the process exits, reading the
// rest of its stdout. Call it once the lines the test needs first are read.
func (p *pyPeer) Wait(tl *testLoop) *loop.Future {
	if p.waited {
		return p.Done
	}
	p.waited = true
	tl.Ref()
	go func() {
		_ = p.pipe.SetReadDeadline(time.Now().Add(watchdog))
		rest, readErr := io.ReadAll(p.stdout)
		err := p.cmd.Wait()
		_ = tl.CallSoonThreadsafe(func() {
			tl.Unref()
			switch {
			case readErr != nil:
				_ = p.Done.SetException(fmt.Errorf("python peer stdout: %v", readErr))
			case err != nil:
				_ = p.Done.SetException(fmt.Errorf("python peer: %v; stderr:\n%s", err, p.stderr.String()))
			default:
				_ = p.Done.SetResult(string(rest))
			}
		})
	}()
	return p.Done
}

// Send writes a line to the peer's stdin.
func (p *pyPeer) Send(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatalf("python peer stdin: %v", err)
	}
}

// recorder is a Protocol recording its callbacks. Hooks let a test act in
// them; a nil hook does what asyncio's base Protocol does.
type recorder struct {
	tr       Transport
	events   []string
	data     bytes.Buffer
	lostErr  error
	lostN    int
	madeN    int
	pauses   int
	resumes  int
	lost     *loop.Future // resolved at ConnectionLost with its error (nil)
	onMade   func(r *recorder)
	onData   func(r *recorder, data []byte)
	onEOF    func(r *recorder) bool
	onLost   func(r *recorder, err error)
	onPause  func(r *recorder)
	onResume func(r *recorder)
}

func newRecorder(l *loop.Loop) *recorder { return &recorder{lost: l.NewFuture()} }

func (r *recorder) event(e string) {
	if n := len(r.events); e == "data" && n > 0 && r.events[n-1] == "data" {
		return // consecutive chunks count as one event
	}
	r.events = append(r.events, e)
}

func (r *recorder) ConnectionMade(t BaseTransport) {
	r.madeN++
	r.tr = t.(Transport)
	r.event("made")
	if r.onMade != nil {
		r.onMade(r)
	}
}

func (r *recorder) DataReceived(data []byte) {
	r.event("data")
	r.data.Write(data)
	if r.onData != nil {
		r.onData(r, data)
	}
}

func (r *recorder) EOFReceived() bool {
	r.event("eof")
	if r.onEOF != nil {
		return r.onEOF(r)
	}
	return false
}

func (r *recorder) ConnectionLost(err error) {
	r.lostN++
	r.lostErr = err
	r.event("lost")
	if r.onLost != nil {
		r.onLost(r, err)
	}
	if !r.lost.Done() {
		_ = r.lost.SetResult(err)
	}
}

func (r *recorder) PauseWriting() {
	r.pauses++
	r.event("pause")
	if r.onPause != nil {
		r.onPause(r)
	}
}

func (r *recorder) ResumeWriting() {
	r.resumes++
	r.event("resume")
	if r.onResume != nil {
		r.onResume(r)
	}
}

// echo is a Protocol that writes back what it receives and closes at EOF.
type echo struct{ t Transport }

func (e *echo) ConnectionMade(t BaseTransport) { e.t = t.(Transport) }
func (e *echo) DataReceived(data []byte)       { _ = e.t.Write(data) }
func (e *echo) EOFReceived() bool              { return false }
func (e *echo) ConnectionLost(error)           {}
func (e *echo) PauseWriting()                  {}
func (e *echo) ResumeWriting()                 {}

func echoFactory() BaseProtocol { return &echo{} }

// eventsString joins recorded events for comparison.
func eventsString(events []string) string { return strings.Join(events, ",") }

// countFDs returns the number of open descriptors of this process.
func countFDs(t testing.TB) int {
	t.Helper()
	dir := "/proc/self/fd"
	if runtime.GOOS != "linux" {
		dir = "/dev/fd"
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("count fds: %v", err)
	}
	return len(entries)
}

// socketpair returns a connected pair of Unix stream sockets, close-on-exec
// so that python peers started meanwhile do not inherit them.
func socketpair() ([2]int, error) {
	syscall.ForkLock.Lock()
	defer syscall.ForkLock.Unlock()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fds[0])
		unix.CloseOnExec(fds[1])
	}
	return fds, err
}
