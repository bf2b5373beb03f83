package transports

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// watchdog bounds every loop run in these tests; runs end on events, never
// on this timer.
const watchdog = 20 * time.Second

// testLoop is a loop with an exception handler that records every report.
// Its slow-callback threshold is the watchdog's: in debug mode a loaded
// machine must not add "Executing ... took" reports to the lists tests
// compare (no test here is about that report).
type testLoop struct {
	*loop.Loop
	t       testing.TB
	reports []loop.ErrorContext
}

func newTestLoop(t testing.TB) *testLoop {
	t.Helper()
	l, err := loop.New(loop.Options{Stderr: io.Discard, SlowCallbackDuration: watchdog})
	require.NoError(t, err, "loop.New")
	tl := &testLoop{Loop: l, t: t}
	l.SetExceptionHandler(func(_ *loop.Loop, ctx loop.ErrorContext) {
		tl.reports = append(tl.reports, ctx)
	})
	t.Cleanup(func() {
		assert.NoError(t, l.Close(), "loop.Close")
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
	require.False(tl.t, fired.Load(), "loop still running after %v", watchdog)
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
	require.NoError(tl.t, err, "future failed")
	return v
}

// runIdle runs the loop until nothing is left to do.
func (tl *testLoop) runIdle() {
	tl.t.Helper()
	require.NoError(tl.t, tl.bounded(tl.Run), "Run")
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

// peerProc is an external process used as the peer of a test (python3 code
// nobody here wrote, openssl), run by testkit; it adds the loop side: Output
// resolves a loop.Future when the process exits.
type peerProc struct {
	*testkit.Process
	t      testing.TB
	output *loop.Future
}

// startPython starts python3 -c script with args (after
// testkit.RequireTool); it is killed when the test ends.
func startPython(tl *testLoop, script string, args ...string) *peerProc {
	tl.t.Helper()
	return &peerProc{Process: testkit.StartPython(tl.t, script, args...), t: tl.t}
}

// startOpenSSL starts the openssl command-line tool with args (after
// testkit.RequireTool); it is killed when the test ends.
func startOpenSSL(tl *testLoop, args ...string) *peerProc {
	tl.t.Helper()
	return &peerProc{Process: testkit.StartTool(tl.t, "openssl", args...), t: tl.t}
}

// Output returns a future resolved, once the process has exited 0, with
// its stdout after the lines already read (ReadLine, WaitLine), or failed
// with its stderr if it exited otherwise. The loop is kept alive (Ref)
// until then.
func (p *peerProc) Output(tl *testLoop) *loop.Future {
	if p.output != nil {
		return p.output
	}
	p.output = tl.NewFuture()
	tl.Ref()
	go func() {
		<-p.Exited()
		_ = tl.CallSoonThreadsafe(func() {
			tl.Unref()
			if code := p.State().ExitCode(); code != 0 {
				_ = p.output.SetException(fmt.Errorf("%s exited %d; stderr:\n%s", p.Name(), code, p.Stderr()))
				return
			}
			_ = p.output.SetResult(p.Unread())
		})
	}()
	return p.output
}

// Send writes a line to the peer's stdin.
func (p *peerProc) Send(line string) {
	p.t.Helper()
	_, err := io.WriteString(p.Stdin, line+"\n")
	require.NoError(p.t, err, "%s stdin", p.Name())
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

// echo is a Protocol that writes back what it receives and closes at EOF:
// StreamBase does the rest.
type echo struct{ StreamBase }

func (e *echo) DataReceived(data []byte) { _ = e.Transport().Write(data) }

func echoFactory() (BaseProtocol, error) { return &echo{}, nil }

// eventsString joins recorded events for comparison.
func eventsString(events []string) string { return strings.Join(events, ",") }

// withoutFlowControl joins recorded events for comparison like
// eventsString, leaving out the pause/resume pairs that writing flow control
// legitimately adds when a test writes more than the high-water mark (how
// many depends on how fast the peer reads); the "data" events they split
// count as one again. It fails the test if a pause is not followed by its
// resume, or a resume comes without a pause.
func withoutFlowControl(t testing.TB, events []string) string {
	t.Helper()
	var kept []string
	paused := false
	for _, e := range events {
		switch e {
		case "pause", "resume":
			assert.NotEqual(t, (e == "pause"), paused, "events %v: unpaired %s", events, e)
			paused = e == "pause"
			continue
		case "data":
			if n := len(kept); n > 0 && kept[n-1] == "data" {
				continue
			}
		}
		kept = append(kept, e)
	}
	assert.False(t, paused, "events %v: paused, never resumed", events)
	return eventsString(kept)
}

// countFDs returns the number of open descriptors of this process.
func countFDs(t testing.TB) int {
	t.Helper()
	dir := "/proc/self/fd"
	if runtime.GOOS != "linux" {
		dir = "/dev/fd"
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err, "count fds")
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
