package testkit

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// WaitTimeout bounds every wait of a Process for a line or an exit when the
// test gives no other bound. It is generous: the machine may be small and
// loaded, and a passing test never waits this long.
const WaitTimeout = 30 * time.Second

// Process is a child process used as a test's peer (python3, socat, openssl,
// the starnet CLI): its stdout is collected line by line so that a test can
// wait for a line, its stderr is kept, and both are logged if the test
// fails. It is killed when the test ends. Start one with Start, StartPython
// or StartTool.
type Process struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd

	out    *lineLog
	stderr SyncBuffer
	// Stdin is the child's standard input, open until the test closes it or
	// the child exits.
	Stdin io.WriteCloser

	exited chan struct{} // closed once the process has been waited for
	state  *os.ProcessState
}

// StartPython runs `python3 -c code args...` as a test peer. The test fails
// (or, outside CI, is skipped) when python3 is not installed.
func StartPython(t testing.TB, code string, args ...string) *Process {
	t.Helper()
	RequireTool(t, "python3")
	cmd := exec.Command("python3", append([]string{"-c", code}, args...)...)
	return Start(t, "python3 "+strings.Join(args, " "), cmd)
}

// StartTool runs the external tool name with args as a test peer, after
// RequireTool(t, name).
func StartTool(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	RequireTool(t, name)
	return Start(t, name+" "+strings.Join(args, " "), exec.Command(name, args...))
}

// RunPython runs `python3 -c code args...` to completion, fails the test
// unless it exits 0 within 2×WaitTimeout, and returns its stdout.
func RunPython(t testing.TB, code string, args ...string) string {
	t.Helper()
	p := StartPython(t, code, args...)
	return p.Wait(2 * WaitTimeout)
}

// Start starts cmd (whose Stdout, Stderr and Stdin must be unset) as a test
// peer named name in messages. The process is killed when the test ends, and
// its output is logged if the test failed.
func Start(t testing.TB, name string, cmd *exec.Cmd) *Process {
	t.Helper()
	p := &Process{t: t, name: name, cmd: cmd, out: newLineLog(), exited: make(chan struct{})}
	cmd.Stdout = p.out
	cmd.Stderr = &p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("%s: stdin: %v", name, err)
	}
	p.Stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go p.reap()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("%s (pid %d)\n--- stdout:\n%s\n--- stderr:\n%s", p.name, p.Pid(), p.Stdout(), p.Stderr())
		}
	})
	return p
}

// reap waits for the process and records its state.
func (p *Process) reap() {
	_ = p.cmd.Wait()
	p.state = p.cmd.ProcessState
	p.out.close(fmt.Errorf("exited (%v)", p.state))
	close(p.exited)
}

// Name is the name the process has in messages.
func (p *Process) Name() string { return p.name }

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Kill kills the process if it is still running and waits for it.
func (p *Process) Kill() {
	if !p.Running() {
		return
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(WaitTimeout):
		p.t.Errorf("%s: not reaped after SIGKILL", p.name)
	}
}

// Signal sends sig to the process; it fails the test if that fails.
func (p *Process) Signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("%s: signal %v: %v", p.name, sig, err)
	}
}

// Stdout returns everything written to stdout so far.
func (p *Process) Stdout() string { return p.out.String() }

// Stderr returns everything written to stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// WaitLine waits for the next stdout line (after those already consumed)
// that starts with prefix, consumes the lines up to it, and returns it. It
// fails the test if the process exits first or WaitTimeout passes.
func (p *Process) WaitLine(prefix string) string {
	p.t.Helper()
	line, err := p.out.awaitLine(prefix, WaitTimeout)
	if err != nil {
		p.t.Fatalf("%s: %v\n--- stderr:\n%s", p.name, err, p.Stderr())
	}
	return line
}

// ReadLine waits for the next stdout line, whatever it is, and returns it.
func (p *Process) ReadLine() string {
	p.t.Helper()
	return p.WaitLine("")
}

// Exited is closed once the process has exited and been waited for.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// WaitExit waits for the process to exit and returns its exit code (-1 when
// a signal killed it). It fails the test after timeout.
func (p *Process) WaitExit(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.t.Fatalf("%s: still running after %v\n--- stdout:\n%s\n--- stderr:\n%s", p.name, timeout, p.Stdout(), p.Stderr())
	}
	return p.state.ExitCode()
}

// Wait waits for the process to exit, fails the test unless it exited 0
// within timeout, and returns its whole stdout.
func (p *Process) Wait(timeout time.Duration) string {
	p.t.Helper()
	if status := p.WaitExit(timeout); status != 0 {
		p.t.Fatalf("%s exited %d\n--- stdout:\n%s\n--- stderr:\n%s", p.name, status, p.Stdout(), p.Stderr())
	}
	return p.Stdout()
}

// State is the process's exit state, nil while it runs.
func (p *Process) State() *os.ProcessState {
	select {
	case <-p.exited:
		return p.state
	default:
		return nil
	}
}

// Running reports whether the process has not exited yet.
func (p *Process) Running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// AwaitLine is WaitLine for a goroutine other than the test's (one that
// hands the result to an event loop, say): it waits at most timeout for the
// next stdout line starting with prefix, consumes the lines up to it and
// returns it, or returns an error instead of failing the test.
func (p *Process) AwaitLine(prefix string, timeout time.Duration) (string, error) {
	return p.out.awaitLine(prefix, timeout)
}

// Unread returns the stdout written so far after the lines already
// consumed by WaitLine, ReadLine or AwaitLine; once the process has exited,
// that is the rest of its output.
func (p *Process) Unread() string {
	l := p.out
	l.mu.Lock()
	defer l.mu.Unlock()
	var s string
	for i := l.cursor; i < len(l.lines); i++ {
		s += l.lines[i]
		if i < len(l.lines)-1 || !l.noEOL {
			s += "\n"
		}
	}
	return s + string(l.partial)
}
