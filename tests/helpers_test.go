// Package tests holds starnet's end-to-end tests: the CLI is built once, the
// example scripts run as subprocesses, and real peers (python3's socket and
// asyncio modules, socat, Go's net package) talk to them over 127.0.0.1.
package tests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
)

// starnetBin is the CLI built by TestMain.
var starnetBin string

// waitTimeout bounds every wait for a line, a connection or an exit. It is
// generous: the machine is small and noisy, and a passing test never waits
// this long.
const waitTimeout = 30 * time.Second

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

// buildAndRun builds the CLI into a temporary directory and runs the tests.
func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "starnet-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "temp dir: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	starnetBin = filepath.Join(dir, "starnet")
	build := exec.Command("go", "build", "-o", starnetBin, "../cmd/starnet")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ../cmd/starnet: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// process is a child process whose stdout is collected line by line and
// whose stderr is kept for diagnostics. It is killed when the test ends.
type process struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd

	out    *lineLog
	stderr testkit.SyncBuffer
	stdin  io.WriteCloser // the child's stdin, open until the child exits

	exited chan struct{} // closed once the process has been waited for
	state  *os.ProcessState
}

// startScript runs `starnet ARGS...` from the repository root, so that
// script paths read "scripts/echo_server.star".
func startScript(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(starnetBin, args...)
	cmd.Dir = ".."
	return start(t, "starnet "+strings.Join(args, " "), cmd)
}

// startPython runs `python3 -c code args...`.
func startPython(t *testing.T, code string, args ...string) *process {
	t.Helper()
	cmd := exec.Command("python3", append([]string{"-c", code}, args...)...)
	return start(t, "python3 "+strings.Join(args, " "), cmd)
}

// start starts cmd and registers its cleanup: kill by PID if still running,
// and on failure log what it wrote.
func start(t *testing.T, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{t: t, name: name, cmd: cmd, out: newLineLog(), exited: make(chan struct{})}
	cmd.Stdout = p.out
	cmd.Stderr = &p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("%s: stdin: %v", name, err)
	}
	p.stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go p.reap()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("%s (pid %d)\n--- stdout:\n%s\n--- stderr:\n%s", p.name, p.pid(), p.stdout(), p.stderr.String())
		}
	})
	return p
}

// reap waits for the process and records its state.
func (p *process) reap() {
	_ = p.cmd.Wait()
	p.state = p.cmd.ProcessState
	p.out.close(fmt.Errorf("exited (%v)", p.state))
	close(p.exited)
}

// pid returns the process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// kill kills the process by PID if it is still running and waits for it.
func (p *process) kill() {
	if !p.running() {
		return
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(waitTimeout):
		p.t.Errorf("%s: not reaped after SIGKILL", p.name)
	}
}

// signal sends sig to the process.
func (p *process) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("%s: signal %v: %v", p.name, sig, err)
	}
}

// stdout returns everything written to stdout so far.
func (p *process) stdout() string { return p.out.String() }

// waitLine waits for the next stdout line (after those already consumed)
// that starts with prefix, consumes the lines up to it, and returns it.
// It fails the test if the process exits first or waitTimeout passes.
func (p *process) waitLine(prefix string) string {
	p.t.Helper()
	line, err := p.out.awaitLine(prefix, waitTimeout)
	if err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
	return line
}

// listenAddr waits for the "listening on HOST:PORT" line and returns HOST:PORT.
func (p *process) listenAddr() string {
	p.t.Helper()
	return strings.TrimPrefix(p.waitLine("listening on "), "listening on ")
}

// listenPort is listenAddr's port.
func (p *process) listenPort() int {
	p.t.Helper()
	addr := p.listenAddr()
	i := strings.LastIndexByte(addr, ':')
	port, err := strconv.Atoi(addr[i+1:])
	if i < 0 || err != nil || port == 0 {
		p.t.Fatalf("%s: bad listening address %q", p.name, addr)
	}
	return port
}

// waitExit waits for the process to exit and returns its exit code
// (-1 when a signal killed it). It fails the test after timeout.
func (p *process) waitExit(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.t.Fatalf("%s: still running after %v", p.name, timeout)
	}
	return p.state.ExitCode()
}

// running reports whether the process has not exited yet.
func (p *process) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// lineLog collects what is written to it line by line, and lets a test wait
// for a line.
type lineLog struct {
	mu      sync.Mutex
	lines   []string      // complete lines so far
	partial []byte        // an incomplete last line
	cursor  int           // lines before this index were consumed by awaitLine
	changed chan struct{} // closed and replaced when a line arrives
	ended   error         // why no more lines will come, once that is so
}

func newLineLog() *lineLog { return &lineLog{changed: make(chan struct{})} }

// Write appends b, splitting it into lines.
func (l *lineLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, b...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	l.notifyLocked()
	return len(b), nil
}

// close says that nothing more will be written, and why.
func (l *lineLog) close(why error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.partial) > 0 {
		l.lines = append(l.lines, string(l.partial))
		l.partial = nil
	}
	l.ended = why
	l.notifyLocked()
}

// notifyLocked wakes every waiter; l.mu must be held.
func (l *lineLog) notifyLocked() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// String returns everything written so far.
func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.Join(l.lines, "\n")
	if len(l.lines) > 0 {
		s += "\n"
	}
	return s + string(l.partial)
}

// awaitLine waits for the next line (after those already consumed) that
// starts with prefix, consumes the lines up to it, and returns it.
func (l *lineLog) awaitLine(prefix string, timeout time.Duration) (string, error) {
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		for i := l.cursor; i < len(l.lines); i++ {
			if strings.HasPrefix(l.lines[i], prefix) {
				l.cursor = i + 1
				line := l.lines[i]
				l.mu.Unlock()
				return line, nil
			}
		}
		changed, ended := l.changed, l.ended
		l.mu.Unlock()
		if ended != nil {
			return "", fmt.Errorf("%v before a line starting with %q", ended, prefix)
		}
		select {
		case <-changed:
		case <-deadline:
			return "", fmt.Errorf("no line starting with %q within %v", prefix, timeout)
		}
	}
}

// runScript runs starnet to completion and returns its exit code, stdout and stderr.
func runScript(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	p := startScript(t, args...)
	code = p.waitExit(waitTimeout)
	return code, p.stdout(), p.stderr.String()
}

// runPython runs python3 -c code to completion, fails the test unless it
// exits 0, and returns its stdout.
func runPython(t *testing.T, code string, args ...string) string {
	t.Helper()
	p := startPython(t, code, args...)
	if status := p.waitExit(2 * waitTimeout); status != 0 {
		t.Fatalf("python peer exited %d\nstdout:\n%s\nstderr:\n%s", status, p.stdout(), p.stderr.String())
	}
	return p.stdout()
}

// releasedPort returns a port of 127.0.0.1 that was just bound and released,
// so that connecting to it is refused.
func releasedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// countFDs returns the number of open file descriptors of process pid.
func countFDs(t *testing.T, pid int) int {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("count fds: %v", err)
	}
	return len(entries)
}

// describeFDs lists what process pid's descriptors point to, for failure messages.
func describeFDs(pid int) string {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, e := range entries {
		target, _ := os.Readlink(filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, "%s -> %s\n", e.Name(), target)
	}
	return b.String()
}

// waitFDs waits until process pid has want descriptors open (the server
// closes sockets when connection_lost runs, a loop iteration after the
// peer's close) and fails the test if that does not happen in time.
func waitFDs(t *testing.T, pid, want int) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		got := countFDs(t, pid)
		if got == want {
			return
		}
		if got < want {
			t.Fatalf("pid %d has %d descriptors open, fewer than the %d it started with:\n%s", pid, got, want, describeFDs(pid))
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d has %d descriptors open, want %d:\n%s", pid, got, want, describeFDs(pid))
		}
		time.Sleep(20 * time.Millisecond) // polling /proc: there is no event for a closed descriptor
	}
}

// vmRSS returns the resident set size of process pid in bytes.
func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "VmRSS:" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS line")
}
