package transports

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// procRecorder is a SubprocessProtocol recording its callbacks in order.
type procRecorder struct {
	tr       SubprocessTransport
	events   []string
	out      [3]bytes.Buffer
	pipeErrs [3]error
	lostErr  error
	lostN    int
	exitedN  int
	lost     *loop.Future
	onMade   func(r *procRecorder)
	onData   func(r *procRecorder, fd int, data []byte)
	onExited func(r *procRecorder)
	onLost   func(r *procRecorder)
}

func newProcRecorder(l *loop.Loop) *procRecorder { return &procRecorder{lost: l.NewFuture()} }

func (r *procRecorder) ConnectionMade(t BaseTransport) {
	r.tr = t.(SubprocessTransport)
	r.events = append(r.events, "made")
	if r.onMade != nil {
		r.onMade(r)
	}
}

func (r *procRecorder) PipeDataReceived(fd int, data []byte) {
	e := "data" + strconv.Itoa(fd)
	if n := len(r.events); n == 0 || r.events[n-1] != e {
		r.events = append(r.events, e)
	}
	r.out[fd].Write(data)
	if r.onData != nil {
		r.onData(r, fd, data)
	}
}

func (r *procRecorder) PipeConnectionLost(fd int, err error) {
	r.events = append(r.events, "pipelost"+strconv.Itoa(fd))
	r.pipeErrs[fd] = err
}

func (r *procRecorder) ProcessExited() {
	r.exitedN++
	r.events = append(r.events, "exited")
	if r.onExited != nil {
		r.onExited(r)
	}
}

func (r *procRecorder) ConnectionLost(err error) {
	r.lostN++
	r.lostErr = err
	r.events = append(r.events, "lost")
	if r.onLost != nil {
		r.onLost(r)
	}
	if !r.lost.Done() {
		_ = r.lost.SetResult(err)
	}
}

func (r *procRecorder) PauseWriting()  { r.events = append(r.events, "pause") }
func (r *procRecorder) ResumeWriting() { r.events = append(r.events, "resume") }

// checkOrder asserts asyncio's guarantees on a finished run: ConnectionMade
// first and once; ConnectionLost last and once, after ProcessExited and
// after the PipeConnectionLost of every pipe in pipes; no data on a pipe
// after its PipeConnectionLost.
func checkOrder(t *testing.T, r *procRecorder, pipes ...int) {
	t.Helper()
	ev := r.events
	require.GreaterOrEqual(t, len(ev), 3, "events %v: want made first and lost last", ev)
	require.Equal(t, "made", ev[0], "events %v: want made first and lost last", ev)
	require.Equal(t, "lost", ev[len(ev)-1], "events %v: want made first and lost last", ev)
	count := map[string]int{}
	pos := map[string]int{}
	for i, e := range ev {
		count[e]++
		pos[e] = i
	}
	require.Equal(t, 1, count["made"], "events %v: made, exited and lost must come once", ev)
	require.Equal(t, 1, count["lost"], "events %v: made, exited and lost must come once", ev)
	require.Equal(t, 1, count["exited"], "events %v: made, exited and lost must come once", ev)
	for _, fd := range pipes {
		lost := "pipelost" + strconv.Itoa(fd)
		require.Equal(t, 1, count[lost], "events %v: %s %d times", ev, lost, count[lost])
		if d, ok := pos["data"+strconv.Itoa(fd)]; ok {
			require.LessOrEqual(t, d, pos[lost], "events %v: data on fd %d after its pipe was lost", ev, fd)
		}
	}
}

// runChild runs one child to its ConnectionLost and returns the recorder.
func runChild(tl *testLoop, argv []string, opts SubprocessOptions, setup func(r *procRecorder)) *procRecorder {
	tl.t.Helper()
	var rec *procRecorder
	fut := SubprocessExec(tl.Loop, func() (BaseProtocol, error) {
		rec = newProcRecorder(tl.Loop)
		if setup != nil {
			setup(rec)
		}
		return rec, nil
	}, argv, opts)
	conn := tl.mustAwait(fut).(*Connection)
	require.Same(tl.t, rec, conn.Protocol, "Connection = %+v", conn)
	require.Same(tl.t, rec.tr, conn.Transport, "Connection = %+v", conn)
	err := tl.mustAwait(rec.lost)
	require.Nil(tl.t, err, "ConnectionLost(%v)", err)
	return rec
}

// 200 runs of a child writing to stdout and stderr and exiting 3: every run
// delivers both outputs and the callbacks in asyncio's order, with
// returncode 3 — through the pidfd watcher and the SIGCHLD one.
func TestSubprocessEventOrder(t *testing.T) {
	t.Parallel()
	for _, watcher := range []string{"pidfd", "sigchld"} {
		t.Run(watcher, func(t *testing.T) {
			tl := newTestLoop(t)
			runs := 200
			if watcher == "sigchld" {
				runs = 60
			}
			for i := 0; i < runs; i++ {
				rec := runChild(tl, []string{"sh", "-c", "echo out; echo err >&2; exit 3"},
					SubprocessOptions{sigchld: watcher == "sigchld"}, nil)
				checkOrder(t, rec, 0, 1, 2)
				require.Equal(t, "out\n", rec.out[1].String(), "run %d: stdout %q, stderr %q", i, rec.out[1].String(), rec.out[2].String())
				require.Equal(t, "err\n", rec.out[2].String(), "run %d: stdout %q, stderr %q", i, rec.out[1].String(), rec.out[2].String())
				code, ok := rec.tr.GetReturncode()
				require.True(t, ok, "run %d: returncode %d, %v", i, code, ok)
				require.Equal(t, 3, code, "run %d: returncode %d, %v", i, code, ok)
				for fd, err := range rec.pipeErrs {
					require.NoError(t, err, "run %d: PipeConnectionLost(%d, %v)", i, fd, err)
				}
			}
			tl.runIdle()
			tl.expectNoReports()
		})
	}
}

// 100 children run at once, each echoing what it reads on stdin.
func TestSubprocessManyConcurrent(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	const n = 100
	recs := make([]*procRecorder, n)
	futs := make([]*loop.Future, n)
	for i := 0; i < n; i++ {
		line := fmt.Sprintf("child %d\n", i)
		futs[i] = SubprocessExec(tl.Loop, func() (BaseProtocol, error) {
			r := newProcRecorder(tl.Loop)
			r.onMade = func(r *procRecorder) {
				stdin := r.tr.GetPipeTransport(0).(WriteTransport)
				_ = stdin.Write([]byte(line))
				_ = stdin.WriteEOF()
			}
			recs[i] = r
			return r, nil
		}, []string{"sh", "-c", `read x; echo "got $x"`}, SubprocessOptions{})
	}
	for i := 0; i < n; i++ {
		tl.mustAwait(futs[i])
	}
	for i := 0; i < n; i++ {
		tl.mustAwait(recs[i].lost)
		checkOrder(t, recs[i], 0, 1, 2)
		assert.Equal(t, fmt.Sprintf("got child %d\n", i), recs[i].out[1].String(), "child %d said %q", i, recs[i].out[1].String())
		code, _ := recs[i].tr.GetReturncode()
		assert.Equal(t, 0, code, "child %d: returncode %d", i, code)
	}
	tl.runIdle()
	tl.expectNoReports()
}

// A child writes 50 MB while the protocol pauses reading on its stdout pipe
// transport for a while, several times: all 50 MB arrive, none while
// paused.
func TestSubprocessPauseReadingLargeOutput(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	const total = 50_000_000
	paused := false
	pauses := 0
	var mark int
	rec := runChild(tl, []string{"sh", "-c", "yes | head -c " + strconv.Itoa(total)}, SubprocessOptions{Stdin: Stdio{Kind: StdioDevNull}},
		func(r *procRecorder) {
			r.onData = func(r *procRecorder, fd int, data []byte) {
				assert.False(t, paused, "data while paused")
				if fd != 1 || r.out[1].Len()-mark < 10_000_000 {
					return
				}
				mark = r.out[1].Len()
				stdout := r.tr.GetPipeTransport(1).(ReadTransport)
				stdout.PauseReading()
				paused = true
				pauses++
				tl.CallLater(5*time.Millisecond, func() {
					paused = false
					stdout.ResumeReading()
				})
			}
		})
	require.Equal(t, total, rec.out[1].Len(), "received %d bytes, want %d", rec.out[1].Len(), total)
	assert.Equal(t, []byte("y\ny\n"), rec.out[1].Bytes()[total-4:], "bad tail")
	assert.GreaterOrEqual(t, pauses, 4, "paused %d times", pauses)
	assert.Nil(t, rec.tr.GetPipeTransport(0), "GetPipeTransport(0) for DEVNULL stdin = %v", rec.tr.GetPipeTransport(0))
	checkOrder(t, rec, 1, 2)
	tl.expectNoReports()
}

// Writing to a child that exits without reading its stdin ends the stdin
// transport with BrokenPipeError; its output and exit are delivered as
// usual.
func TestSubprocessStdinBrokenPipe(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	big := make([]byte, 4<<20)
	rec := runChild(tl, []string{"sh", "-c", `read x; echo "$x"; exit 0`}, SubprocessOptions{}, func(r *procRecorder) {
		r.onMade = func(r *procRecorder) {
			stdin := r.tr.GetPipeTransport(0).(WriteTransport)
			_ = stdin.SetWriteBufferLimits(intp(1<<30), nil)
			// One write, more than the pipe holds: the rest is buffered.
			_ = stdin.Writelines([][]byte{[]byte("hello\n"), big})
			assert.NotEqual(t, 0, stdin.GetWriteBufferSize(), "nothing buffered")
		}
	})
	var e *Error
	require.ErrorAs(t, rec.pipeErrs[0], &e, "PipeConnectionLost(0, %v), want BrokenPipeError", rec.pipeErrs[0])
	assert.Equal(t, KindBrokenPipeError, e.Kind, "PipeConnectionLost(0, %v), want BrokenPipeError", rec.pipeErrs[0])
	require.Nil(t, rec.pipeErrs[1], "stdout/stderr lost with %v, %v", rec.pipeErrs[1], rec.pipeErrs[2])
	assert.Nil(t, rec.pipeErrs[2], "stdout/stderr lost with %v, %v", rec.pipeErrs[1], rec.pipeErrs[2])
	assert.Equal(t, "hello\n", rec.out[1].String(), "stdout %q", rec.out[1].String())
	code, _ := rec.tr.GetReturncode()
	assert.Equal(t, 0, code, "returncode %d", code)
	checkOrder(t, rec, 0, 1, 2)
	// Writing after the loss is ignored.
	assert.NoError(t, rec.tr.GetPipeTransport(0).(WriteTransport).Write([]byte("late")), "late write")
	tl.expectNoReports()
}

// Kill, Terminate and SendSignal end the child with the signal's negative
// number as returncode; once the child has exited signalling does nothing,
// and after ConnectionLost it is a ProcessLookupError (CPython 3.14).
func TestSubprocessSignals(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		send func(SubprocessTransport) error
		code int
	}{
		{"kill", SubprocessTransport.Kill, -int(syscall.SIGKILL)},
		{"terminate", SubprocessTransport.Terminate, -int(syscall.SIGTERM)},
		{"send_signal", func(t SubprocessTransport) error { return t.SendSignal(int(syscall.SIGUSR1)) }, -int(syscall.SIGUSR1)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tl := newTestLoop(t)
			rec := runChild(tl, []string{"sleep", "30"}, SubprocessOptions{}, func(r *procRecorder) {
				r.onMade = func(r *procRecorder) {
					_, ok := r.tr.GetReturncode()
					assert.False(t, ok, "returncode set while running")
					assert.Greater(t, r.tr.GetPid(), 0, "pid")
					assert.Equal(t, r.tr.GetPid(), r.tr.GetExtraInfo("subprocess"), "pid")
					assert.NoError(t, tc.send(r.tr), "signal")
				}
				r.onExited = func(r *procRecorder) {
					assert.NoError(t, r.tr.Kill(), "Kill after exit, before ConnectionLost")
					assert.NoError(t, r.tr.Terminate(), "Terminate after exit, before ConnectionLost")
					assert.NoError(t, r.tr.SendSignal(0), "SendSignal after exit, before ConnectionLost")
				}
			})
			code, ok := rec.tr.GetReturncode()
			require.True(t, ok, "returncode %d, %v; want %d", code, ok, tc.code)
			assert.Equal(t, tc.code, code, "returncode %d, %v; want %d", code, ok, tc.code)
			for _, send := range []func() error{rec.tr.Kill, rec.tr.Terminate, func() error { return rec.tr.SendSignal(0) }} {
				var e *Error
				require.ErrorAs(t, send(), &e, "after ConnectionLost")
				assert.Equal(t, KindProcessLookupError, e.Kind, "after ConnectionLost")
			}
			checkOrder(t, rec, 0, 1, 2)
			tl.expectNoReports()
		})
	}
}

// Close kills a running child and closes its pipes; ConnectionLost still
// comes after the exit and the pipes.
func TestSubprocessCloseKills(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	rec := runChild(tl, []string{"sleep", "30"}, SubprocessOptions{}, func(r *procRecorder) {
		r.onMade = func(r *procRecorder) {
			r.tr.Close()
			r.tr.Close()
			assert.True(t, r.tr.IsClosing(), "IsClosing false after Close")
		}
	})
	code, _ := rec.tr.GetReturncode()
	assert.Equal(t, -int(syscall.SIGKILL), code, "returncode %d", code)
	checkOrder(t, rec, 0, 1, 2)
	tl.expectNoReports()
}

// zombieOrRunning reports whether pid is still a child of this process
// (running, or a zombie nobody reaped).
func zombieOrRunning(pid int) (string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", false
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 2 || fields[1] != strconv.Itoa(os.Getpid()) {
		return "", false
	}
	return fields[0], true
}

// 1,000 children (50 at a time) leave no descriptor open and no zombie
// behind, and the loop goes idle.
func TestSubprocessNoLeaks(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	tl := newTestLoop(t)
	tl.spin(1) // the loop's own descriptors exist now
	before := countFDs(t)
	const total, batch = 1000, 50
	var pids []int
	started, finished := 0, 0
	done := tl.NewFuture()
	var startOne func()
	startOne = func() {
		i := started
		started++
		opts := SubprocessOptions{}
		if i%3 == 1 {
			opts.Stdin, opts.Stderr = Stdio{Kind: StdioDevNull}, Stdio{Kind: StdioStdout}
		}
		fut := SubprocessExec(tl.Loop, func() (BaseProtocol, error) {
			r := newProcRecorder(tl.Loop)
			r.onMade = func(r *procRecorder) { pids = append(pids, r.tr.GetPid()) }
			r.onLost = func(r *procRecorder) {
				finished++
				if finished == total {
					_ = done.SetResult(nil)
				} else if started < total {
					startOne()
				}
			}
			return r, nil
		}, []string{"sh", "-c", "echo $$"}, opts)
		fut.AddDoneCallback(func(f *loop.Future) {
			assert.Nil(t, f.Exception(), "child")
		})
	}
	for i := 0; i < batch; i++ {
		startOne()
	}
	tl.mustAwait(done)
	tl.runIdle()
	assert.Equal(t, before, countFDs(t), "descriptors before and after")
	assert.Len(t, pids, total, "%d pids recorded", len(pids))
	for _, pid := range pids {
		state, ok := zombieOrRunning(pid)
		assert.False(t, ok, "child %d is still our child, state %s", pid, state)
	}
	tl.expectNoReports()
}

// A running child keeps the loop alive even with no pipe at all.
func TestSubprocessKeepsLoopAlive(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	null := Stdio{Kind: StdioDevNull}
	var rec *procRecorder
	SubprocessExec(tl.Loop, func() (BaseProtocol, error) {
		rec = newProcRecorder(tl.Loop)
		return rec, nil
	}, []string{"sh", "-c", "sleep 0.2; exit 7"}, SubprocessOptions{Stdin: null, Stdout: null, Stderr: null})
	tl.runIdle()
	require.Equal(t, "made,exited,lost", eventsString(rec.events), "events")
	code, _ := rec.tr.GetReturncode()
	assert.Equal(t, 7, code, "returncode %d", code)
}

// Dir, Env (with its PATH for the lookup), STDOUT for stderr, and a file.
func TestSubprocessOptions(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	dir := t.TempDir()
	real, _ := filepath.EvalSymlinks(dir)
	rec := runChild(tl, []string{"sh", "-c", `echo "$FOO"; pwd; echo err >&2`}, SubprocessOptions{
		Dir:    dir,
		Env:    []string{"FOO=bar", "PATH=/usr/bin:/bin"},
		Stderr: Stdio{Kind: StdioStdout},
	}, nil)
	assert.Equal(t, "bar\n"+real+"\nerr\n", rec.out[1].String(), "output")
	assert.Nil(t, rec.tr.GetPipeTransport(2), "stderr=STDOUT has a pipe transport")
	checkOrder(t, rec, 0, 1)
	path := filepath.Join(dir, "out.txt")
	f, err := os.Create(path)
	require.NoError(t, err)
	rec = runChild(tl, []string{"echo", "to a file"}, SubprocessOptions{Stdout: Stdio{Kind: StdioFile, File: f}}, nil)
	f.Close()
	b, _ := os.ReadFile(path)
	assert.Equal(t, "to a file\n", string(b), "file holds %q", b)
	assert.Nil(t, rec.tr.GetPipeTransport(1), "a file stdout has a pipe transport")
	tl.expectNoReports()
}

// The child inherits none of starnet's descriptors (sockets, pipes, the
// loop's own): only 0, 1, 2 and whatever this test process itself holds
// without close-on-exec (what its own parent passed down).
func TestSubprocessInheritsOnlyStdio(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	inheritable := inheritableFDs(t)
	_, _ = tl.serve(echoFactory, ListenOptions{})
	tl.mustAwait(CreateDatagramEndpoint(tl.Loop, func() (BaseProtocol, error) { return newDgramRecorder(tl.Loop), nil }, DatagramOptions{LocalAddr: "127.0.0.1:0"}))
	r, _ := osPipe(t)
	tl.mustAwait(ConnectReadPipe(tl.Loop, func() (BaseProtocol, error) { return newPipeRecorder(tl.Loop), nil }, r))
	var sleeper *procRecorder
	tl.mustAwait(SubprocessExec(tl.Loop, func() (BaseProtocol, error) { sleeper = newProcRecorder(tl.Loop); return sleeper, nil }, []string{"sleep", "30"}, SubprocessOptions{}))
	assert.Equal(t, fmt.Sprint(inheritable), fmt.Sprint(inheritableFDs(t)), "descriptors without close-on-exec")
	rec := runChild(tl, []string{"python3", "-c", `import os; print(" ".join(sorted(os.listdir("/proc/self/fd"), key=int)))`}, SubprocessOptions{}, nil)
	allowed := map[string]bool{"0": true, "1": true, "2": true, "3": true} // 3: its listdir
	for _, fd := range inheritable {
		allowed[strconv.Itoa(fd)] = true
	}
	for _, fd := range strings.Fields(rec.out[1].String()) {
		assert.True(t, allowed[fd], "the child inherited descriptor %s (it has %q)", fd, rec.out[1].String())
	}
	sleeper.tr.Close()
	tl.mustAwait(sleeper.lost)
}

// inheritableFDs lists this process's descriptors that lack close-on-exec.
func inheritableFDs(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	var fds []int
	for _, e := range entries {
		fd, _ := strconv.Atoi(e.Name())
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil && flags&unix.FD_CLOEXEC == 0 {
			fds = append(fds, fd)
		}
	}
	return fds
}

// Start errors fail the Future: a missing program, a refused one, bad
// arguments. No descriptor leaks.
func TestSubprocessStartErrors(t *testing.T) {
	tl := newTestLoop(t)
	tl.spin(1)
	before := countFDs(t)
	denied := NewError(KindPermissionError, `run access to "sh" denied`)
	var checked []string
	cases := []struct {
		argv []string
		opts SubprocessOptions
		kind string
		msg  string
	}{
		{[]string{"no-such-program-here"}, SubprocessOptions{}, KindFileNotFoundError, "FileNotFoundError: [Errno 2] No such file or directory: 'no-such-program-here'"},
		{[]string{"/no/such/path"}, SubprocessOptions{}, KindFileNotFoundError, "FileNotFoundError: [Errno 2] No such file or directory: '/no/such/path'"},
		{[]string{"sh"}, SubprocessOptions{Check: func(p string) error { checked = append(checked, p); return denied }}, KindPermissionError, denied.Error()},
		{[]string{"true"}, SubprocessOptions{Dir: "/no/such/dir"}, KindFileNotFoundError, "FileNotFoundError: [Errno 2] No such file or directory: '/no/such/dir'"},
		{nil, SubprocessOptions{}, KindValueError, ""},
		{[]string{"true"}, SubprocessOptions{Stdout: Stdio{Kind: StdioStdout}}, KindValueError, ""},
		{[]string{"true"}, SubprocessOptions{Stdin: Stdio{Kind: StdioFile}}, KindValueError, ""},
		{[]string{"echo", "a\x00b"}, SubprocessOptions{}, KindValueError, ""},
	}
	for _, tc := range cases {
		_, err := tl.await(SubprocessExec(tl.Loop, func() (BaseProtocol, error) { return newProcRecorder(tl.Loop), nil }, tc.argv, tc.opts))
		var e *Error
		require.ErrorAs(t, err, &e, "%q: err = %v, want %s %s", tc.argv, err, tc.kind, tc.msg)
		assert.Equal(t, tc.kind, e.Kind, "%q: err = %v, want %s %s", tc.argv, err, tc.kind, tc.msg)
		if tc.msg != "" {
			assert.EqualError(t, err, tc.msg, "%q", tc.argv)
		}
	}
	require.Len(t, checked, 1, "Check saw %q", checked)
	assert.Equal(t, "sh", checked[0], "Check saw %q", checked)
	var shellChecked string
	_, _ = tl.await(SubprocessShell(tl.Loop, func() (BaseProtocol, error) { return newProcRecorder(tl.Loop), nil }, "true",
		SubprocessOptions{Check: func(p string) error { shellChecked = p; return denied }}))
	assert.Equal(t, "/bin/sh", shellChecked, "SubprocessShell checked %q", shellChecked)
	tl.runIdle()
	assert.Equal(t, before, countFDs(t), "descriptors before and after")
}

// SubprocessShell runs the command with /bin/sh -c.
func TestSubprocessShell(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	var rec *procRecorder
	fut := SubprocessShell(tl.Loop, func() (BaseProtocol, error) { rec = newProcRecorder(tl.Loop); return rec, nil }, "echo $((6*7)) | cat", SubprocessOptions{})
	tl.mustAwait(fut)
	tl.mustAwait(rec.lost)
	assert.Equal(t, "42\n", rec.out[1].String(), "output %q", rec.out[1].String())
}

// The SIGCHLD watcher reaps only its own children: a child started with
// os/exec meanwhile is still there for its Wait.
func TestSigchldWatcherLeavesOtherChildren(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	other := exec.Command("sleep", "0.3")
	require.NoError(t, other.Start())
	for i := 0; i < 10; i++ {
		rec := runChild(tl, []string{"sh", "-c", "exit 5"}, SubprocessOptions{sigchld: true}, nil)
		code, _ := rec.tr.GetReturncode()
		assert.Equal(t, 5, code, "returncode %d", code)
	}
	assert.NoError(t, other.Wait(), "the other child")
	tl.runIdle()
	assert.Empty(t, sigchldWatchers.m, "SIGCHLD watchers left")
	tl.expectNoReports()
}

// A panic in a subprocess callback is reported; the rest goes on.
func TestSubprocessCallbackPanicReported(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	rec := runChild(tl, []string{"sh", "-c", "echo hi"}, SubprocessOptions{}, func(r *procRecorder) {
		r.onData = func(*procRecorder, int, []byte) { panic("bad") }
	})
	checkOrder(t, rec, 0, 1, 2)
	require.Len(t, tl.reportMessages(), 1, "reports")
	assert.Equal(t, "Exception in callback protocol.pipe_data_received()", tl.reportMessages()[0], "reports")
}

// A child is reaped when it exits even though nobody reads its pipes: no
// zombie while the stdout pipe, paused, still holds its output; the output
// is delivered on resuming, and only then ConnectionLost.
func TestSubprocessReapedWithUnreadPipes(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	rec := runChild(tl, []string{"sh", "-c", "echo unread; exit 4"}, SubprocessOptions{}, func(r *procRecorder) {
		r.onMade = func(r *procRecorder) {
			r.tr.GetPipeTransport(1).(ReadTransport).PauseReading()
		}
		r.onExited = func(r *procRecorder) {
			state, ok := zombieOrRunning(r.tr.GetPid())
			assert.False(t, ok, "child still ours after ProcessExited, state %s", state)
			assert.Equal(t, 0, r.out[1].Len(), "stdout read while paused")
			code, ok := r.tr.GetReturncode()
			require.True(t, ok, "returncode %d, %v", code, ok)
			assert.Equal(t, 4, code, "returncode %d, %v", code, ok)
			r.tr.GetPipeTransport(1).(ReadTransport).ResumeReading()
		}
	})
	assert.Equal(t, "unread\n", rec.out[1].String(), "stdout %q", rec.out[1].String())
	checkOrder(t, rec, 0, 1, 2)
	assert.LessOrEqual(t, indexOf(rec.events, "exited"), indexOf(rec.events, "data1"), "events %v: the output came before the exit although paused", rec.events)
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
