package runtime

import (
	"context"
	"fmt"
	"os"
	goruntime "runtime"
	"sync"
	"sync/atomic"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Runtime runs Starlark scripts on one event loop. Create it with New, load
// scripts with Exec or ExecFile, listen with Listen, then Run. Every method
// is safe to call from any goroutine.
type Runtime struct {
	cfg Config

	// Set by the owner goroutine before New returns; never changed.
	loop    *loop.Loop
	env     *starlarkbind.Env
	thread  *starlark.Thread
	ownerID uint64

	// mu guards the hand-over between callers and the owner goroutine.
	mu        sync.Mutex
	wake      *sync.Cond // signalled when queue, runReq or closing change
	queue     []*job     // jobs waiting for the owner goroutine
	runReq    *runRequest
	running   bool // a Run call is in progress
	closing   bool
	kicked    atomic.Bool   // a runQueued loop callback is pending
	ownerDone chan struct{} // closed when the owner goroutine has exited
	closeErr  error         // set before ownerDone is closed

	// own is touched only on the owner goroutine.
	own ownerState
}

// ownerState is the runtime's state that lives on the loop's goroutine.
type ownerState struct {
	runs      uint64 // Run calls served so far
	activeRun uint64 // number of the Run whose loop is running, 0 if none
	stopping  bool   // a graceful shutdown of the active Run has begun
	aborted   bool
	listeners map[*Listener]struct{}
	pending   map[*loop.Future]func(any, error) // futures host calls wait on
	modules   map[string]*loadedModule          // load() cache, by absolute path
	executing []moduleRef                       // modules whose top level is running
	exitFn    starlark.Value                    // the scripts' exit builtin
}

// runRequest asks the owner goroutine to run the loop for one Run call.
type runRequest struct {
	ctx  context.Context
	done chan error
}

// New creates a runtime: its event loop, the goroutine that owns it, and the
// Starlark environment scripts run in. Close it when done.
func New(cfg Config) (*Runtime, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("starnet: %w", err)
	}
	r := &Runtime{cfg: cfg, ownerDone: make(chan struct{})}
	r.wake = sync.NewCond(&r.mu)
	started := make(chan error, 1)
	go r.ownerLoop(started)
	if err := <-started; err != nil {
		return nil, err
	}
	return r, nil
}

// GoFactory wraps a Go protocol factory as a Starlark value. Predeclare it,
// and scripts can pass it wherever a protocol factory is taken, such as
// loop.create_server.
func GoFactory(f transports.ProtocolFactory) starlark.Value {
	return starlarkbind.GoFactory(f)
}

// Predeclare makes v visible under name to every module executed afterwards
// (and to the modules they load). Call it before Exec. v should be frozen or
// immutable: scripts on the loop goroutine share it. It fails only with an
// invalid name, a nil value, or after Close.
func (r *Runtime) Predeclare(name string, v starlark.Value) error {
	if !isIdentifier(name) {
		return fmt.Errorf("starnet: predeclare %q: not a valid identifier", name)
	}
	if v == nil {
		return fmt.Errorf("starnet: predeclare %s: nil value", name)
	}
	return r.do(func() error {
		r.env.Predeclare(name, v)
		return nil
	})
}

// Exec executes src as a module named filename and returns it. The top level
// runs on the loop's goroutine: while the loop is not running (before Run),
// it may call loop.run_until_complete; while Run runs, it executes as a loop
// callback. load() statements resolve relative to filename's directory. The
// module's globals are not frozen. If the top level calls exit(), Exec
// succeeds and Run then returns the exit status.
func (r *Runtime) Exec(filename string, src []byte) (*Module, error) {
	var globals starlark.StringDict
	err := r.do(func() error {
		var err error
		globals, err = r.execModule(filename, src)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Module{rt: r, name: filename, globals: globals}, nil
}

// ExecFile reads the file at path and executes it as Exec does.
func (r *Runtime) ExecFile(path string) (*Module, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("starnet: %w", err)
	}
	return r.Exec(path, src)
}

// Run runs the event loop until no work is left (no serving server, open
// transport, pending timer or subprocess), until a script calls loop.stop()
// or exit(), or until ctx is done. When ctx is done it shuts down
// gracefully: listeners and script servers stop accepting, every connection
// is closed after its buffer is flushed, connection_lost(None) is called, and
// the scripts' exit() runs; then Run returns nil. Use Close to abort a
// shutdown that takes too long.
//
// Run returns an *ExitError when the script ended with a non-zero status
// (exit(n), or 130/143 after SIGINT/SIGTERM with Config.HandleSignals), and
// ErrRunning if another Run is in progress. Run may be called again after it
// returned.
func (r *Runtime) Run(ctx context.Context) error {
	if r.onOwner() {
		return fmt.Errorf("starnet: Run called from the loop's own goroutine: %w", ErrRunning)
	}
	req := &runRequest{ctx: ctx, done: make(chan error, 1)}
	r.mu.Lock()
	switch {
	case r.closing:
		r.mu.Unlock()
		return ErrClosed
	case r.running:
		r.mu.Unlock()
		return ErrRunning
	}
	r.running = true
	r.runReq = req
	r.wake.Signal()
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running = false
		r.mu.Unlock()
	}()
	select {
	case err := <-req.done:
		return err
	case <-r.ownerDone:
		select {
		case err := <-req.done:
			return err
		default:
			return ErrClosed
		}
	}
}

// Close aborts everything the runtime runs — listeners, script servers and
// transports are closed at once, dropping buffered data, and their
// connection_lost is called — then releases the loop. A Run in progress
// returns. Close waits for a module top level that is executing to finish.
// Closing twice is harmless. Called from a loop callback, Close does not wait:
// the runtime closes once the callback returns.
func (r *Runtime) Close() error {
	r.mu.Lock()
	already := r.closing
	r.closing = true
	r.wake.Broadcast()
	r.mu.Unlock()
	if !already {
		// Stops the loop if it is running (a Run, or a nested
		// run_until_complete in a top level).
		_ = r.loop.CallSoonThreadsafe(r.abortAll)
	}
	if r.onOwner() {
		return nil
	}
	<-r.ownerDone
	return r.closeErr
}

// ownerLoop is the goroutine that owns the loop: it sets the runtime up,
// serves jobs and Run requests, and tears everything down after Close.
func (r *Runtime) ownerLoop(started chan<- error) {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	defer close(r.ownerDone)
	r.ownerID = goroutineID()
	if err := r.setUp(); err != nil {
		started <- err
		return
	}
	started <- nil
	r.serve()
	r.tearDown()
}

// setUp creates the loop and the Starlark environment on the owner goroutine.
func (r *Runtime) setUp() (err error) {
	defer recoverInto(&err)
	l, err := loop.New(loop.Options{Debug: r.cfg.Debug, Stderr: r.cfg.Stderr})
	if err != nil {
		return fmt.Errorf("starnet: create loop: %w", err)
	}
	env := starlarkbind.NewEnv(starlarkbind.Options{
		Loop:          l,
		Permissions:   r.cfg.Permissions,
		Stdout:        r.cfg.Stdout,
		Stderr:        r.cfg.Stderr,
		MaxSteps:      r.cfg.stepBudget(),
		Index:         0,
		HandleSignals: r.cfg.HandleSignals,
	})
	r.loop, r.env, r.thread = l, env, env.Thread()
	r.thread.Load = r.load
	r.own = ownerState{
		listeners: map[*Listener]struct{}{},
		pending:   map[*loop.Future]func(any, error){},
		modules:   map[string]*loadedModule{},
		exitFn:    env.Predeclared()["exit"],
	}
	return nil
}

// serve runs jobs and Run requests until Close.
func (r *Runtime) serve() {
	for {
		r.mu.Lock()
		for len(r.queue) == 0 && r.runReq == nil && !r.closing {
			r.wake.Wait()
		}
		if r.closing {
			req := r.runReq
			r.runReq = nil
			r.mu.Unlock()
			if req != nil {
				req.done <- ErrClosed
			}
			return
		}
		if len(r.queue) > 0 {
			j := r.popJob()
			r.mu.Unlock()
			j.run()
			continue
		}
		req := r.runReq
		r.runReq = nil
		r.mu.Unlock()
		req.done <- r.runLoop(req.ctx)
	}
}

// runLoop runs the loop for one Run call.
func (r *Runtime) runLoop(ctx context.Context) (err error) {
	defer recoverInto(&err)
	s := &r.own
	s.runs++
	run := s.runs
	s.activeRun, s.stopping = run, false
	stopWatching := context.AfterFunc(ctx, func() {
		_ = r.loop.CallSoonThreadsafe(func() { r.shutdownGracefully(run) })
	})
	if _, exited := r.env.Exited(); exited {
		// exit() (or a signal) came while the loop was not running, as in
		// a top level: finish it now rather than run until idle.
		r.loop.CallSoon(r.exitScript)
	}
	err = r.loop.Run()
	stopWatching()
	if err == nil {
		if _, exited := r.env.Exited(); exited {
			err = r.drainListeners()
		}
	}
	s.activeRun = 0
	r.settlePending()
	if err != nil {
		return fmt.Errorf("starnet: run: %w", err)
	}
	if code, ok := r.env.Exited(); ok && code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// shutdownGracefully ends run number run as exit(0) does: servers stop
// accepting, transports are closed after flushing, and the loop stops once
// they are all lost (drainListeners then takes care of the connections of
// host listeners).
func (r *Runtime) shutdownGracefully(run uint64) {
	s := &r.own
	if s.activeRun != run || s.stopping {
		return
	}
	s.stopping = true
	r.exitScript()
}

// drainListeners closes the host's listeners once the script has exited
// (exit(), a signal, a cancelled Run): each stops accepting, its connections
// are closed after flushing, and the loop runs until they are lost. If the
// loop is stopped meanwhile (a second signal), the rest are aborted.
func (r *Runtime) drainListeners() error {
	servers := make([]*transports.Server, 0, len(r.own.listeners))
	for ln := range r.own.listeners {
		servers = append(servers, ln.server)
	}
	waits := r.closeListeners(false)
	pending := false
	for _, w := range waits {
		pending = pending || !w.Done()
	}
	if !pending {
		return nil
	}
	all := r.loop.NewFuture()
	afterAll(waits, func() { _ = all.SetResult(nil) })
	if _, err := r.loop.RunUntilComplete(all); err == nil {
		return nil
	}
	for _, srv := range servers {
		srv.AbortClients()
	}
	// Deliver the aborted connections' connection_lost: one iteration.
	r.loop.Stop()
	return r.loop.RunForever()
}

// exitScript ends the script as exit() does — everything closed gracefully,
// then the loop stops once it is all lost — keeping the status of an earlier
// exit (0 otherwise). It calls the scripts' own exit builtin, so the env's
// bookkeeping stays in one place.
func (r *Runtime) exitScript() {
	code, _ := r.env.Exited()
	if exit, ok := r.own.exitFn.(starlark.Callable); ok {
		// exit reports an error to unwind Starlark callers; there are none.
		_, _ = starlark.Call(r.thread, exit, starlark.Tuple{starlark.MakeInt(code)}, nil)
		if _, exited := r.env.Exited(); exited {
			return
		}
	}
	r.loop.Stop()
}

// abortAll closes everything at once and stops the loop; used by Close.
func (r *Runtime) abortAll() {
	s := &r.own
	if s.aborted {
		return
	}
	s.aborted = true
	r.closeListeners(true)
	r.env.Shutdown(true)
	r.loop.Stop()
}

// tearDown runs after serve returned: it aborts what is left, runs one loop
// iteration so that connection_lost callbacks are delivered, and closes the
// loop.
func (r *Runtime) tearDown() {
	err := func() (err error) {
		defer recoverInto(&err)
		r.abortAll()
		// With Stop pending, the next run is exactly one iteration.
		r.loop.Stop()
		if err := r.loop.RunForever(); err != nil {
			return fmt.Errorf("starnet: close: %w", err)
		}
		r.settlePending()
		return r.loop.Close()
	}()
	r.closeErr = err
}

// afterAll calls fn once every future is done (at once if there is none).
func afterAll(futs []*loop.Future, fn func()) {
	left := len(futs)
	if left == 0 {
		fn()
		return
	}
	for _, f := range futs {
		f.AddDoneCallback(func(*loop.Future) {
			left--
			if left == 0 {
				fn()
			}
		})
	}
}

// whenDone calls fn with fut's outcome, on the owner goroutine: at once if fut
// is done; after running the loop until it is, if the loop is not running;
// otherwise from a done callback (or when the running loop stops).
func (r *Runtime) whenDone(fut *loop.Future, fn func(any, error)) {
	switch {
	case fut.Done():
		fn(fut.Result())
	case !r.loop.IsRunning():
		v, err := r.loop.RunUntilComplete(fut)
		if !fut.Done() {
			fut.Cancel()
		}
		fn(v, err)
	default:
		r.own.pending[fut] = fn
		fut.AddDoneCallback(func(f *loop.Future) {
			if fn, ok := r.own.pending[f]; ok {
				delete(r.own.pending, f)
				fn(f.Result())
			}
		})
	}
}

// settlePending answers every host call still waiting on a future after the
// loop stopped: with the outcome if it is there, else by cancelling it.
func (r *Runtime) settlePending() {
	for fut, fn := range r.own.pending {
		delete(r.own.pending, fut)
		if !fut.Done() {
			fut.Cancel()
			fn(nil, fmt.Errorf("the loop stopped first: %w", loop.ErrCancelled))
			continue
		}
		fn(fut.Result())
	}
}

// isIdentifier reports whether name is a valid Starlark identifier.
func isIdentifier(name string) bool {
	e, err := syntax.ParseExpr("<name>", name, 0)
	if err != nil {
		return false
	}
	_, ok := e.(*syntax.Ident)
	return ok
}
