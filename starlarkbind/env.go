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
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"sync/atomic"
	"syscall"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/lib"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
	"golang.org/x/sys/unix"
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
	// Env allows os.getenv.
	Env bool
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
	stepLimit   uint64 // the absolute step limit in force
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
	running   atomic.Pointer[starlark.Thread]

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

// withBudget runs f (which runs Starlark on the thread) under a fresh step
// budget, recovering panics. Steps taken inside are not charged to an
// enclosing budget: a callback nested in a top-level run_until_complete
// does not eat the top level's allowance.
func (e *Env) withBudget(f func() error) (err error) {
	th := e.thread
	outer := e.stepLimit
	start := th.ExecutionSteps()
	th.Uncancel()
	e.setStepLimit(addSat(start, e.maxSteps))
	defer func() {
		if r := recover(); r != nil {
			err = &loop.PanicError{Value: r, Stack: string(debug.Stack())}
		}
		th.Uncancel()
		e.setStepLimit(addSat(outer, th.ExecutionSteps()-start))
	}()
	return f()
}

// call calls a Starlark callable under a fresh step budget.
func (e *Env) call(fn starlark.Value, args starlark.Tuple) (v starlark.Value, err error) {
	err = e.withBudget(func() error {
		v, err = starlark.Call(e.thread, fn, args, nil)
		return err
	})
	return v, err
}

func (e *Env) setStepLimit(limit uint64) {
	e.stepLimit = limit
	e.thread.SetMaxExecutionSteps(limit)
}

// addSat adds b to a; a budget of 0 means no limit.
func addSat(a, b uint64) uint64 {
	if b == 0 || a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
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

// ProtocolFactory turns a Starlark callable (a protocol class, a function, a
// lambda) or a GoFactory value into a transports.ProtocolFactory.
//
// The protocols it makes are tracked: Shutdown closes their transports. A
// Starlark factory that fails (or returns something that is not a protocol
// object) is reported through the exception handler, and the connection it
// was called for is closed with a ScriptError.
func (e *Env) ProtocolFactory(v starlark.Value) (transports.ProtocolFactory, error) {
	switch f := v.(type) {
	case *goFactoryValue:
		return func() (transports.BaseProtocol, error) {
			p, err := f.f()
			if err != nil {
				return nil, err
			}
			return e.wrapGo(p), nil
		}, nil
	case starlark.Callable:
		return func() (transports.BaseProtocol, error) { return e.makeProtocol(f), nil }, nil
	}
	return nil, typeErrorf("protocol factory: got %s, want a callable (a protocol class, a function)", v.Type())
}

// factoryArg reads a protocol_factory parameter.
func (e *Env) factoryArg(fnname string, v starlark.Value) (transports.ProtocolFactory, error) {
	f, err := e.ProtocolFactory(v)
	if err != nil {
		return nil, typeErrorf("%s: for parameter protocol_factory: got %s, want a callable (a protocol class, a function)", fnname, v.Type())
	}
	return f, nil
}

// makeProtocol calls a Starlark factory and adapts what it returns.
func (e *Env) makeProtocol(factory starlark.Callable) transports.BaseProtocol {
	p, err := e.tryMakeProtocol(factory)
	if err == nil {
		return p
	}
	if !isExit(err) {
		e.report(loop.ErrorContext{
			Message: fmt.Sprintf("protocol factory %s failed", factory.Name()),
			Err:     err,
		})
	}
	return &brokenProtocol{e: e, err: scriptError("protocol factory "+factory.Name(), err)}
}

// tryMakeProtocol calls a Starlark factory and adapts what it returns.
func (e *Env) tryMakeProtocol(factory starlark.Callable) (transports.BaseProtocol, error) {
	obj, err := e.call(factory, nil)
	if err != nil {
		return nil, err
	}
	return e.protocolFor(obj)
}

// connectionFactory is the factory of calls that return a Future of a
// connection (create_connection, ...): as in asyncio, a factory that fails
// fails the Future — with a ScriptError — instead of being reported: the
// factory returns the error and the transports fail the Future with it.
func (e *Env) connectionFactory(fnname string, v starlark.Value) (transports.ProtocolFactory, error) {
	f, ok := v.(starlark.Callable)
	if _, isGo := v.(*goFactoryValue); isGo || !ok {
		return e.factoryArg(fnname, v)
	}
	return func() (transports.BaseProtocol, error) {
		p, err := e.tryMakeProtocol(f)
		if err != nil {
			return nil, scriptError("protocol factory "+f.Name(), err)
		}
		return p, nil
	}, nil
}

// protocolFor adapts a protocol object: a Go protocol value, or any value
// with attributes.
func (e *Env) protocolFor(obj starlark.Value) (transports.BaseProtocol, error) {
	if g, ok := obj.(*goProtocolValue); ok {
		return e.wrapGo(g.p), nil
	}
	if _, ok := obj.(starlark.HasAttrs); !ok {
		return nil, typeErrorf("protocol factory returned %s, want a protocol object (a value with callback attributes)", obj.Type())
	}
	return newAdapter(e, obj), nil
}

// GoFactory wraps a Go ProtocolFactory as a Starlark value that scripts can
// pass wherever a protocol factory is taken. Calling it from Starlark makes
// a Go protocol value, which set_protocol accepts.
func GoFactory(f transports.ProtocolFactory) starlark.Value { return &goFactoryValue{f: f} }

// Exited reports whether the script called exit(), and its code. It also
// reports the default SIGINT/SIGTERM handling (codes 130 and 143).
func (e *Env) Exited() (code int, ok bool) { return e.exitCode, e.exited }

// Shutdown stops every server and closes every transport the env opened:
// gracefully (buffers flushed, ConnectionLost(nil)) or, with abort, at once.
func (e *Env) Shutdown(abort bool) {
	for s := range e.servers {
		delete(e.servers, s)
		s.Close()
	}
	ts := make([]transports.BaseTransport, 0, len(e.conns))
	for t := range e.conns {
		ts = append(ts, t)
	}
	for _, t := range ts {
		if abort {
			abortTransport(t)
		} else {
			t.Close()
		}
	}
}

// abortTransport closes t at once, dropping what it buffered.
func abortTransport(t transports.BaseTransport) {
	switch t := t.(type) {
	case transports.WriteTransport:
		t.Abort()
	case transports.DatagramTransport:
		t.Abort()
	default:
		t.Close()
	}
}

// TrackServer makes Shutdown close s. Servers that scripts create are
// tracked already; the runtime calls this for the ones it creates.
func (e *Env) TrackServer(s *transports.Server) { e.serverValue(s).host = true }

// OpenTransports returns how many transports the env's protocols hold open.
func (e *Env) OpenTransports() int { return len(e.conns) }

// track records an open transport; untrack forgets it and, once exit() or
// a signal is draining the env and nothing is left, stops the loop.
func (e *Env) track(t transports.BaseTransport) *transportValue {
	if tv, ok := e.conns[t]; ok {
		return tv
	}
	tv := newTransportValue(e, t)
	e.conns[t] = tv
	return tv
}

func (e *Env) untrack(t transports.BaseTransport) {
	delete(e.conns, t)
	if e.draining && len(e.conns) == 0 {
		e.loop.Stop()
	}
}

// transportValue returns the Starlark value of t: the same one for as long
// as t is open.
func (e *Env) transportValue(t transports.BaseTransport) *transportValue {
	if tv, ok := e.conns[t]; ok {
		return tv
	}
	return newTransportValue(e, t)
}

// serverValue returns (making once) the Starlark value of s.
func (e *Env) serverValue(s *transports.Server) *serverValue {
	if sv, ok := e.servers[s]; ok {
		return sv
	}
	sv := &serverValue{e: e, s: s}
	e.servers[s] = sv
	return sv
}

// exitError is what exit() fails with, to end the running Starlark code.
type exitError struct{ code int }

func (x *exitError) Error() string { return fmt.Sprintf("exit(%d)", x.code) }

func isExit(err error) bool {
	var x *exitError
	return errors.As(err, &x)
}

// exitBuiltin implements exit(code=0).
func (e *Env) exitBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	code := 0
	if err := unpack(b.Name(), args, kwargs, "code?", &code); err != nil {
		return nil, err
	}
	e.exit(code)
	return nil, &exitError{code: e.exitCode}
}

// exit closes everything gracefully and stops the loop once it is all lost.
// The first exit's code is kept.
func (e *Env) exit(code int) {
	e.reportUnclosedAtExit() // debug mode (debugreport.go)
	e.markExited(code)
	e.Shutdown(false)
	e.stopWhenDrained()
}

// markExited records the first exit and tells the host (Options.OnExit).
func (e *Env) markExited(code int) {
	if e.exited {
		return
	}
	e.exited = true
	e.exitCode = code
	if e.onExit != nil {
		e.onExit(code)
	}
}

func (e *Env) stopWhenDrained() {
	e.draining = true
	if len(e.conns) == 0 && e.loop != nil {
		e.loop.Stop()
	}
}

// installDefaultSignals sets the default SIGINT/SIGTERM handling.
func (e *Env) installDefaultSignals() {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		e.setDefaultSignal(sig)
	}
}

func (e *Env) setDefaultSignal(sig syscall.Signal) {
	if e.signalsFromHost {
		// The host delivers sig through DeliverSignal; the loop's own
		// subscription, if a script handler made one, goes.
		e.loop.RemoveSignalHandler(sig)
		e.defaultSi[sig] = true
		e.setDefaultBit(sig, true)
		return
	}
	if err := e.loop.AddSignalHandler(sig, func() { e.onDefaultSignal(sig) }); err != nil {
		fmt.Fprintf(e.stderr, "starnet: cannot handle %v: %v\n", sig, err)
		return
	}
	e.defaultSi[sig] = true
	e.setDefaultBit(sig, true)
}

// setDefaultBit records, for NoteSignal, whether sig is handled by default
// (on) or by the script.
func (e *Env) setDefaultBit(sig syscall.Signal, on bool) {
	bit := uint64(1) << (uint(sig) & 63)
	for {
		old := e.defaultBits.Load()
		next := old &^ bit
		if on {
			next = old | bit
		}
		if e.defaultBits.CompareAndSwap(old, next) {
			return
		}
	}
}

// NoteSignal records that sig arrived, as soon as it arrives: it may be
// called from any goroutine, and the loop calls it (OnSignalArrival) before
// it schedules the signal's handling. When sig is handled by default and
// it is the second such signal, the Starlark code running at that moment is
// cancelled ("Starlark computation cancelled: second SIGINT: aborting"), so
// that a callback in an endless loop (--max-steps 0) cannot keep the loop
// from taking the signal and aborting.
func (e *Env) NoteSignal(sig syscall.Signal) {
	if e.defaultBits.Load()&(uint64(1)<<(uint(sig)&63)) == 0 {
		return
	}
	if e.signalsNoted.Add(1) >= 2 {
		e.CancelRunning(fmt.Sprintf("second %s: aborting", unix.SignalName(sig)))
	}
}

// CancelRunning cancels the Starlark code running on the env's thread at
// this moment, if any: it fails at its next step with "Starlark computation
// cancelled: " + reason, as a callback over its step budget does, and is
// reported the same way. Code that starts afterwards is not affected: every
// callback clears a cancellation that arrived before it started. It may be
// called from any goroutine; the runtime's memory watcher (--max-memory)
// uses it. Go code (a builtin in the middle of one long operation) is not
// interrupted: the cancellation takes effect at the next Starlark step.
func (e *Env) CancelRunning(reason string) {
	e.thread.Cancel(reason)
	if th := e.running.Load(); th != nil {
		th.Cancel(reason)
	}
	// After the Cancel: a callback that starts later sees the new count
	// and clears the cancellation (adapter.call; withBudget always does).
	e.cancels.Add(1)
}

// onDefaultSignal drains gracefully on the first signal and aborts on the
// second.
func (e *Env) onDefaultSignal(sig syscall.Signal) {
	e.signals++
	if e.signals > 1 {
		e.Shutdown(true)
		e.loop.Stop()
		return
	}
	e.reportUnclosedAtExit() // debug mode (debugreport.go)
	e.markExited(128 + int(sig))
	e.Shutdown(false)
	e.stopWhenDrained()
}

// DeliverSignal hands the env a signal that the host received for it
// (Options.SignalsFromHost); call it on the loop's goroutine. It applies the
// default handling — a graceful drain, then an abort on the second signal —
// unless the script installed its own handler for sig, which the loop calls
// itself.
func (e *Env) DeliverSignal(sig syscall.Signal) {
	if e.defaultSi[sig] && !e.loopValue.scriptSi[sig] {
		e.onDefaultSignal(sig)
	}
}

// recvArena returns the arena stream reads go into, making it on first use.
func (e *Env) recvArena() *recvArena {
	if e.recv == nil {
		e.recv = newRecvArena(e.loop.ReadBuffer)
	}
	return e.recv
}
