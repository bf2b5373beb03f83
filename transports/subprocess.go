package transports

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// subprocessTransport is a child process with up to three pipe transports,
// asyncio's BaseSubprocessTransport (base_subprocess.py). Each pipe is a
// readPipeTransport or writePipeTransport driven by a subprocessPipe
// protocol that forwards to the user's SubprocessProtocol. The child's exit
// is observed by the loop itself (childwatch_*.go): no goroutine per child.
//
// Order of callbacks, as asyncio: ConnectionMade first (what happened before
// it is queued and delivered right after it); PipeDataReceived,
// PipeConnectionLost and ProcessExited as they happen; ConnectionLost(nil)
// on a later iteration once the child has exited and every pipe is lost.
// A panic in a subprocess callback is reported and changes nothing else.
type subprocessTransport struct {
	l        *loop.Loop
	pid      int
	protocol BaseProtocol
	sp       SubprocessProtocol // protocol as a SubprocessProtocol, or nil
	pipes    [3]*subprocessPipe // nil where the fd is not a pipe
	limit    *ChildLimit        // counts this child until it is reaped

	returncode int
	exited     bool // the child was reaped; returncode is set
	closed     bool // Close was called
	connected  bool // ConnectionMade has run: callbacks go straight through
	pending    []func()
	finished   bool // ConnectionLost is scheduled
	released   bool
}

var _ SubprocessTransport = (*subprocessTransport)(nil)

// subprocessPipe is the protocol of one of the child's pipes, asyncio's
// ReadSubprocessPipeProto and WriteSubprocessPipeProto.
type subprocessPipe struct {
	proc         *subprocessTransport
	fd           int
	transport    BaseTransport
	disconnected bool
}

var _ Protocol = (*subprocessPipe)(nil)

// ConnectionMade does nothing: the transport is known from the start.
func (p *subprocessPipe) ConnectionMade(BaseTransport) {}

// DataReceived forwards the child's output as PipeDataReceived.
func (p *subprocessPipe) DataReceived(data []byte) { p.proc.pipeDataReceived(p.fd, data) }

// EOFReceived lets the pipe close.
func (p *subprocessPipe) EOFReceived() bool { return false }

// ConnectionLost forwards as PipeConnectionLost.
func (p *subprocessPipe) ConnectionLost(err error) {
	p.disconnected = true
	p.proc.pipeConnectionLost(p.fd, err)
}

// PauseWriting forwards the stdin pipe's flow control to the protocol.
func (p *subprocessPipe) PauseWriting() {
	if bp := p.proc.protocol; bp != nil {
		bp.PauseWriting()
	}
}

// ResumeWriting forwards the stdin pipe's flow control to the protocol.
func (p *subprocessPipe) ResumeWriting() {
	if bp := p.proc.protocol; bp != nil {
		bp.ResumeWriting()
	}
}

// subprocessOp is one SubprocessExec or SubprocessShell in progress.
type subprocessOp struct {
	l       *loop.Loop
	fut     *loop.Future
	factory ProtocolFactory
	argv    []string
	opts    SubprocessOptions
}

// subprocessExec is SubprocessExec and SubprocessShell: arguments and
// permission are checked at once (failing the Future); the child is started
// on the next iteration.
func subprocessExec(l *loop.Loop, factory ProtocolFactory, argv []string, opts SubprocessOptions) *loop.Future {
	op := &subprocessOp{l: l, fut: l.NewFuture(), factory: factory, argv: argv, opts: opts}
	if e := checkSpawnArgs(argv, opts); e != nil {
		_ = op.fut.SetException(e)
		return op.fut
	}
	if opts.Check != nil {
		if err := opts.Check(argv[0]); err != nil {
			_ = op.fut.SetException(MapError(err))
			return op.fut
		}
	}
	if err := opts.Limit.acquire(); err != nil {
		_ = op.fut.SetException(err)
		return op.fut
	}
	l.CallSoon(op.start)
	return op.fut
}

// checkSpawnArgs rejects what exec cannot take.
func checkSpawnArgs(argv []string, opts SubprocessOptions) error {
	if len(argv) == 0 || argv[0] == "" {
		return NewError(KindValueError, "program must not be empty")
	}
	for _, s := range argv {
		if strings.IndexByte(s, 0) >= 0 {
			return NewError(KindValueError, "embedded null byte in an argument")
		}
	}
	for _, s := range opts.Env {
		if strings.IndexByte(s, 0) >= 0 {
			return NewError(KindValueError, "embedded null byte in env")
		}
	}
	if opts.Stdin.Kind == StdioStdout || opts.Stdout.Kind == StdioStdout {
		return NewError(KindValueError, "STDOUT can only be used for stderr")
	}
	for _, s := range []Stdio{opts.Stdin, opts.Stdout, opts.Stderr} {
		if s.Kind == StdioFile && s.File == nil {
			return NewError(KindValueError, "Stdio{Kind: StdioFile} needs a File")
		}
		if s.Kind < StdioPipe || s.Kind > StdioFile {
			return NewError(KindValueError, fmt.Sprintf("unknown StdioKind %d", s.Kind))
		}
	}
	return nil
}

// start makes the protocol, starts the child and its pipe transports. The
// child counted against opts.Limit is given back here when none starts, and
// when it is reaped otherwise.
func (op *subprocessOp) start() {
	if op.fut.Done() { // cancelled
		op.opts.Limit.release()
		return
	}
	p, err := callFactory(op.factory)
	if err != nil {
		op.opts.Limit.release()
		_ = op.fut.SetException(err)
		return
	}
	child, e := spawn(op.argv, op.opts)
	if e != nil {
		op.opts.Limit.release()
		_ = op.fut.SetException(e)
		return
	}
	t := newSubprocessTransport(op.l, child, p, op.opts.sigchld)
	t.limit = op.opts.Limit
	op.l.CallSoon(func() { t.connect(op.fut) })
}

// newSubprocessTransport wraps a started child: it makes the pipe
// transports, starts watching for the child's exit and takes a loop
// reference for as long as the child runs.
func newSubprocessTransport(l *loop.Loop, c spawned, p BaseProtocol, forceSigchld bool) *subprocessTransport {
	t := &subprocessTransport{l: l, pid: c.pid}
	t.SetProtocol(p)
	for fd, pfd := range c.pipes {
		if pfd < 0 {
			continue
		}
		sp := &subprocessPipe{proc: t, fd: fd}
		end := pipeEnd{file: os.NewFile(uintptr(pfd), fmt.Sprintf("|%d", fd)), fd: pfd, mode: unix.S_IFIFO}
		_ = unix.SetNonblock(pfd, true) // after NewFile, so Go's poller keeps out
		if fd == 0 {
			sp.transport = newWritePipeTransport(l, end, sp, nil)
		} else {
			sp.transport = newReadPipeTransport(l, end, sp, nil)
		}
		t.pipes[fd] = sp
	}
	l.Ref() // released when the child is reaped
	if err := watchChild(l, c.pid, t.processExited, forceSigchld); err != nil {
		// Nothing can watch the child: stop it now rather than leave a
		// zombie; it dies at once from SIGKILL.
		_ = unix.Kill(c.pid, unix.SIGKILL)
		var ws unix.WaitStatus
		for {
			if _, err := unix.Wait4(c.pid, &ws, 0, nil); err != unix.EINTR {
				break
			}
		}
		l.CallSoon(func() { t.processExited(exitCode(ws)) })
	}
	return t
}

// connect calls ConnectionMade, delivers what was queued before it, and
// resolves the Future. It runs after the pipe transports' own
// ConnectionMade, as asyncio's _connect_pipes. A Future cancelled meanwhile
// gets the child killed and the protocol is never called.
func (t *subprocessTransport) connect(fut *loop.Future) {
	if fut.Done() {
		t.protocol, t.sp = nil, nil
		t.connected = true
		t.pending = nil
		t.Close()
		return
	}
	p := t.protocol
	func() {
		defer recoverAndReport(t.l, t, p, callbackConnectionMade)
		p.ConnectionMade(t)
	}()
	t.connected = true
	pending := t.pending
	t.pending = nil
	for _, fn := range pending {
		fn()
	}
	_ = fut.SetResult(&Connection{Transport: t, Protocol: p})
}

// call runs a protocol callback now, or queues it until ConnectionMade.
func (t *subprocessTransport) call(fn func()) {
	if t.connected {
		fn()
		return
	}
	t.pending = append(t.pending, fn)
}

// pipeDataReceived passes the child's output on (without copying it once
// ConnectionMade has run).
func (t *subprocessTransport) pipeDataReceived(fd int, data []byte) {
	if t.connected {
		t.deliverPipeData(fd, data)
		return
	}
	data = append([]byte(nil), data...) // data is valid only during the call
	t.pending = append(t.pending, func() { t.deliverPipeData(fd, data) })
}

func (t *subprocessTransport) deliverPipeData(fd int, data []byte) {
	sp := t.sp
	if sp == nil {
		return
	}
	defer recoverAndReport(t.l, t, sp, callbackPipeDataReceived)
	sp.PipeDataReceived(fd, data)
}

func (t *subprocessTransport) pipeConnectionLost(fd int, err error) {
	t.call(func() {
		sp := t.sp
		if sp == nil {
			return
		}
		defer recoverAndReport(t.l, t, sp, callbackPipeConnectionLost)
		sp.PipeConnectionLost(fd, err)
	})
	t.tryFinish()
}

// processExited records the child's exit status, reported by the child
// watcher once it has reaped the child.
func (t *subprocessTransport) processExited(returncode int) {
	if t.exited {
		return
	}
	t.exited = true
	t.returncode = returncode
	t.limit.release()
	t.l.Unref()
	t.call(func() {
		sp := t.sp
		if sp == nil {
			return
		}
		defer recoverAndReport(t.l, t, sp, callbackProcessExited)
		sp.ProcessExited()
	})
	t.tryFinish()
}

// tryFinish schedules ConnectionLost(nil) once the child has exited and
// every pipe is lost.
func (t *subprocessTransport) tryFinish() {
	if t.finished || !t.exited {
		return
	}
	for _, p := range t.pipes {
		if p != nil && !p.disconnected {
			return
		}
	}
	t.finished = true
	t.call(func() { t.l.CallSoon(t.callConnectionLost) })
}

// callConnectionLost calls ConnectionLost(nil) and drops the references.
func (t *subprocessTransport) callConnectionLost() {
	p := t.protocol
	defer t.release()
	if p != nil {
		p.ConnectionLost(nil)
	}
}

func (t *subprocessTransport) release() {
	if t.released {
		return
	}
	t.released = true
	t.protocol, t.sp = nil, nil
	t.pending = nil
}

// String describes the transport as asyncio's repr does.
func (t *subprocessTransport) String() string {
	var b strings.Builder
	b.WriteString("<subprocess transport")
	if t.closed {
		b.WriteString(" closed")
	}
	fmt.Fprintf(&b, " pid=%d", t.pid)
	if t.exited {
		fmt.Fprintf(&b, " returncode=%d", t.returncode)
	} else {
		b.WriteString(" running")
	}
	for fd, name := range []string{"stdin", "stdout", "stderr"} {
		if p := t.pipes[fd]; p != nil {
			fmt.Fprintf(&b, " %s=%v", name, p.transport)
		}
	}
	b.WriteString(">")
	return b.String()
}

// ---- BaseTransport ----

// Close closes the pipes (the stdin pipe after flushing) and kills the child
// with SIGKILL if it still runs. The child is still reaped, and
// ConnectionLost follows as usual. Idempotent.
func (t *subprocessTransport) Close() {
	if t.closed {
		return
	}
	t.closed = true
	for _, p := range t.pipes {
		if p != nil && !p.disconnected {
			p.transport.Close()
		}
	}
	if !t.exited {
		// The child may have exited unreaped (a zombie): killing it is
		// harmless then. ESRCH and EPERM are ignored, as asyncio does.
		_ = unix.Kill(t.pid, unix.SIGKILL)
	}
}

// IsClosing reports whether Close was called.
func (t *subprocessTransport) IsClosing() bool { return t.closed }

// GetExtraInfo returns "subprocess": the child's pid (int); nil otherwise.
func (t *subprocessTransport) GetExtraInfo(name string) any {
	if name == "subprocess" {
		return t.pid
	}
	return nil
}

// SetProtocol switches the protocol.
func (t *subprocessTransport) SetProtocol(p BaseProtocol) {
	t.protocol = p
	t.sp, _ = p.(SubprocessProtocol)
}

// GetProtocol returns the current protocol (nil after ConnectionLost).
func (t *subprocessTransport) GetProtocol() BaseProtocol { return t.protocol }

// ---- SubprocessTransport ----

// GetPid returns the child's process id.
func (t *subprocessTransport) GetPid() int { return t.pid }

// GetReturncode returns the exit status once the child has been reaped:
// its exit code, or the negative number of the signal that killed it.
func (t *subprocessTransport) GetReturncode() (int, bool) { return t.returncode, t.exited }

// GetPipeTransport returns the transport of fd 0 (a WriteTransport), 1 or 2
// (ReadTransports), or nil when that fd is not a pipe.
func (t *subprocessTransport) GetPipeTransport(fd int) BaseTransport {
	if fd < 0 || fd >= len(t.pipes) || t.pipes[fd] == nil {
		return nil
	}
	return t.pipes[fd].transport
}

// SendSignal sends sig to the child, as CPython 3.14 does: once the child
// has exited (its pid may then belong to another process) nothing is sent
// and nil returned, and a child that vanished before it was reaped (ESRCH)
// is no error either; only after ConnectionLost, when the transport has
// let the child go, is it a ProcessLookupError.
func (t *subprocessTransport) SendSignal(sig int) error {
	if t.released {
		return newErrnoError(unix.ESRCH, "No such process")
	}
	if t.exited {
		return nil
	}
	if err := unix.Kill(t.pid, syscall.Signal(sig)); err != nil && err != unix.ESRCH {
		return MapError(err)
	}
	return nil
}

// Terminate sends SIGTERM.
func (t *subprocessTransport) Terminate() error { return t.SendSignal(int(unix.SIGTERM)) }

// Kill sends SIGKILL.
func (t *subprocessTransport) Kill() error { return t.SendSignal(int(unix.SIGKILL)) }

// exitCode is asyncio's returncode for a wait status: the exit code, or the
// negative signal number.
func exitCode(ws unix.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return -int(ws.Signal())
	}
	return int(ws)
}
