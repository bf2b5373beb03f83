// Package starlarkbind is starnet's Starlark face: the predeclared `loop`
// value, `protocol()` classes, the transport, server, future, handle and error
// values, the modules of API.md "Modules", permission checks, and the adapter that
// makes any Starlark protocol object a transports protocol.
//
// One Env belongs to one loop.Loop and one starlark.Thread; every Starlark
// callback runs on that loop's goroutine, under the step budget.
//
// This package imports loop, transports and go.starlark.net; it must not
// import runtime or cmd.
package starlarkbind

import (
	"fmt"
	"io"
	"math"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/lib"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
)

// Permissions says what scripts may do; the zero value denies everything.
// A list holding "*" allows anything of its kind.
type Permissions struct {
	// Net entries: "host", "host:port", ":port", a CIDR, or "*".
	Net []string
	// Run entries: program names or absolute paths, or "*".
	Run []string
	// Read and Write entries: paths (a directory covers what is under it), or "*".
	Read  []string
	Write []string
	// Env entries: names of environment variables os.getenv may read (and
	// a child inherits), or "*" for all of them.
	Env []string
}

// Options configure an Env.
type Options struct {
	// Loop is the env's loop (required).
	Loop        *loop.Loop
	Permissions Permissions
	// Stdout receives print; Stderr receives diagnostics (os.Stdout/os.Stderr if nil).
	Stdout io.Writer
	Stderr io.Writer
	// MaxSteps is the step budget of one callback; 0 means no limit.
	MaxSteps uint64
	// Children, if set, caps the child processes subprocess_exec and
	// subprocess_shell may have running (shared by the envs it is given to).
	Children *transports.ChildLimit
	// Index is this loop's number (loop.index), 0 for the first.
	Index int
	// HandleSignals installs the default SIGINT/SIGTERM handling (graceful
	// drain, then exit code 130/143; a second signal aborts), unless the
	// script installs its own handler for that signal.
	HandleSignals bool
	// SignalsFromHost, with HandleSignals, leaves listening for SIGINT and
	// SIGTERM to the host, which hands each one to DeliverSignal: the loops
	// of one process then share a single subscription instead of each
	// taking the signal for itself.
	SignalsFromHost bool
	// OnExit, if set, is called on the loop's goroutine the first time the
	// script exits: exit(code), or the default SIGINT/SIGTERM handling
	// (code 130/143). The runtime uses it to end the other loops too.
	OnExit func(code int)
	// CreateServer and CreateUnixServer, if set, replace
	// transports.CreateServer and transports.CreateUnixServer for
	// loop.create_server with host and port and loop.create_unix_server
	// with a path (not for sock=). The runtime uses them to let the copies
	// of a script on several loops share their servers' ports.
	CreateServer     func(l *loop.Loop, factory transports.ProtocolFactory, host string, port int, opts transports.ListenOptions) *loop.Future
	CreateUnixServer func(l *loop.Loop, factory transports.ProtocolFactory, path string, opts transports.ListenOptions) *loop.Future
}

// Env is the Starlark environment of one loop: its thread, its predeclared
// names, and every transport and server its scripts opened.
//
// The step budget applies to each callback the loop makes into Starlark, and
// also to Exec's top level and to CallMain, each counted on its own: steps
// that callbacks take while a top level runs the loop (run_until_complete,
// run_forever) are not charged to the top level.
type Env struct {
	loop        *loop.Loop
	thread      *starlark.Thread
	perms       *permissions
	stdout      io.Writer
	stderr      io.Writer
	maxSteps    uint64
	stepLimit   uint64                 // the absolute step limit in force
	children    *transports.ChildLimit // Options.Children
	index       int
	predeclared starlark.StringDict
	loopValue   *loopValue

	// conns holds every open transport the env's protocols were connected
	// to, with its Starlark value; servers every server not yet closed.
	conns   map[transports.BaseTransport]*transportValue
	servers map[*transports.Server]*serverValue

	exited   bool
	exitCode int
	draining bool // stop the loop once conns is empty
	signals  int  // default-handled signals received
	// Off the loop: which signals are handled by default (a bit per
	// signal number), and how many of them have arrived (NoteSignal).
	defaultBits  atomic.Uint64
	signalsNoted atomic.Int32
	defaultSi    map[syscall.Signal]bool

	// cancels counts CancelRunning calls (off the loop); cancelsSeen is
	// the count the loop last saw at the start of a protocol callback
	// (adapter.call), which clears a cancellation that came in between
	// callbacks so that it never hits code started after it.
	cancels     atomic.Uint32
	cancelsSeen uint32

	listenFDs []starlark.Value // os.listen_fds(), made once
	fdsRead   bool

	recv *recvArena // made on first use (recvArena)

	// tasks holds every task not finished, by its future (task.go);
	// taskCount numbers their default names. running is the thread of the
	// task running now, nil when none is: CancelRunning reaches it.
	tasks     map[*loop.Future]*task
	taskCount int
	// yields holds the futures of loop.sleep(0) not done yet: a task that
	// waits for one resumes on the next iteration, as asyncio's bare
	// `await asyncio.sleep(0)` does (task.go step).
	yields  map[*loop.Future]struct{}
	running atomic.Pointer[starlark.Thread]

	tlsContexts contextRegistry // the ssl.SSLContext of each TLS config (ssl_config.go)

	signalsFromHost  bool
	onExit           func(code int)
	createServer     func(*loop.Loop, transports.ProtocolFactory, string, int, transports.ListenOptions) *loop.Future
	createUnixServer func(*loop.Loop, transports.ProtocolFactory, string, transports.ListenOptions) *loop.Future
}

// FileOptions returns the Starlark dialect scripts are written in (API.md
// "Running a script"): while, set, top-level control flow, global reassignment and
// recursion all enabled. `starnet check` parses with it too.
func FileOptions() *syntax.FileOptions {
	return &syntax.FileOptions{
		While:           true,
		Set:             true,
		TopLevelControl: true,
		GlobalReassign:  true,
		Recursion:       true,
	}
}

// NewEnv creates the environment and its starlark.Thread.
func NewEnv(opts Options) *Env {
	e := &Env{
		loop:      opts.Loop,
		perms:     compilePermissions(opts.Permissions),
		stdout:    opts.Stdout,
		stderr:    opts.Stderr,
		maxSteps:  opts.MaxSteps,
		children:  opts.Children,
		stepLimit: math.MaxUint64,
		index:     opts.Index,
		conns:     make(map[transports.BaseTransport]*transportValue),
		servers:   make(map[*transports.Server]*serverValue),
		defaultSi: make(map[syscall.Signal]bool),

		signalsFromHost:  opts.SignalsFromHost,
		onExit:           opts.OnExit,
		createServer:     opts.CreateServer,
		createUnixServer: opts.CreateUnixServer,
	}
	if e.createServer == nil {
		e.createServer = transports.CreateServer
	}
	if e.createUnixServer == nil {
		e.createUnixServer = transports.CreateUnixServer
	}
	if e.stdout == nil {
		e.stdout = os.Stdout
	}
	if e.stderr == nil {
		e.stderr = os.Stderr
	}
	e.thread = &starlark.Thread{Name: fmt.Sprintf("loop %d", opts.Index), Print: e.print}
	e.loopValue = newLoopValue(e)
	e.predeclared = e.makePredeclared()
	if opts.HandleSignals && e.loop != nil {
		e.loop.OnSignalArrival(e.NoteSignal)
		e.installDefaultSignals()
	}
	return e
}

// print writes one line per call, in one Write, so that lines of several
// loops sharing a writer do not interleave.
func (e *Env) print(_ *starlark.Thread, msg string) {
	line := make([]byte, 0, len(msg)+1)
	line = append(line, msg...)
	line = append(line, '\n')
	_, _ = e.stdout.Write(line)
}

// makePredeclared builds API.md "Predeclared names"'s names, the
// library's (package lib) included.
func (e *Env) makePredeclared() starlark.StringDict {
	d := starlark.StringDict{
		"loop":       e.loopValue,
		"protocol":   starlark.NewBuiltin("protocol", protocolBuiltin),
		"struct":     starlark.NewBuiltin("struct", starlarkstruct.Make),
		"exit":       starlark.NewBuiltin("exit", e.exitBuiltin),
		"error":      starlark.NewBuiltin("error", errorBuiltin),
		"ssl":        e.newSSLModule(),
		"subprocess": newSubprocessModule(),
		"signal":     newSignalModule(),
		"os":         e.newOSModule(),
		"binary":     newBinaryModule(),
		"json":       guardedJSONModule(),
		"time":       timeModule(),
		"math":       mathModule(),
		"wait":       starlark.NewBuiltin("wait", e.waitBuiltin),
		"catch":      starlark.NewBuiltin("catch", e.catchBuiltin),
	}
	for name, v := range guardedUniverse() {
		d[name] = v
	}
	for name, v := range lib.Modules(lib.Options{Stderr: e.stderr, Loop: e.index}) {
		d[name] = v
	}
	return d
}

// Thread returns the env's thread. The runtime sets its Load function.
func (e *Env) Thread() *starlark.Thread { return e.thread }

// Loop returns the env's loop.
func (e *Env) Loop() *loop.Loop { return e.loop }

// Predeclare adds a host value to the names every module sees. Call it before
// the first Exec.
func (e *Env) Predeclare(name string, v starlark.Value) { e.predeclared[name] = v }

// Predeclared returns every predeclared name (API.md "Predeclared names" plus the host's).
func (e *Env) Predeclared() starlark.StringDict { return e.predeclared }

// Exec runs a module's top level on the thread (the loop must not be running
// Starlark at the time) and returns its globals, not frozen.
//
// A top level that calls exit() ends there: Exec returns its globals and a
// nil error, and Exited reports the code. A failure is returned as a
// *starlark.EvalError (with its Backtrace) or a syntax/resolve error.
func (e *Env) Exec(filename string, src []byte) (starlark.StringDict, error) {
	_, prog, err := starlark.SourceProgramOptions(FileOptions(), filename, src, e.predeclared.Has)
	if err != nil {
		return nil, err
	}
	var globals starlark.StringDict
	err = e.withBudget(func() (err error) {
		globals, err = prog.Init(e.thread, e.predeclared)
		return err
	})
	if isExit(err) {
		err = nil
	}
	return globals, err
}

// CallMain calls globals["main"](argv) if the module defines main. It does
// nothing after exit() was called.
func (e *Env) CallMain(globals starlark.StringDict, argv []string) error {
	main, ok := globals["main"]
	if !ok || e.exited {
		return nil
	}
	if _, ok := main.(starlark.Callable); !ok {
		return typeErrorf("main is a %s, not a function", main.Type())
	}
	list := make([]starlark.Value, len(argv))
	for i, a := range argv {
		list[i] = starlark.String(a)
	}
	_, err := e.call(main, starlark.Tuple{starlark.NewList(list)})
	if isExit(err) {
		return nil
	}
	return err
}

// report passes ctx to the loop's exception handler.
func (e *Env) report(ctx loop.ErrorContext) {
	if e.loop == nil {
		fmt.Fprintln(e.stderr, ctx.Message, ctx.Err)
		return
	}
	e.loop.CallExceptionHandler(ctx)
}

// reportCallback reports a failed callback (a timer, a done callback, a
// signal handler) the way asyncio's Handle._run does. exit() is not a
// failure.
func (e *Env) reportCallback(what string, err error) {
	e.reportFailedCallback(what, err, nil, nil)
}

// recvArena returns the arena stream reads go into, making it on first use.
func (e *Env) recvArena() *recvArena {
	if e.recv == nil {
		e.recv = newRecvArena(e.loop.ReadBuffer)
	}
	return e.recv
}
