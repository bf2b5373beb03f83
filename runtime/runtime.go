package runtime

import (
	"context"
	"fmt"
	policy "github.com/starnet-dev/starnet/internal/permissions"
	"os"
	"sync"

	"github.com/starnet-dev/starnet/starlarkbind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Runtime runs Starlark scripts on one event loop, or on Config.Loops loops
// that each run their own copy of the scripts. Create it with New, load
// scripts with Exec or ExecFile, listen with Listen, then Run. Every method
// is safe to call from any goroutine.
type Runtime struct {
	cfg Config

	// Set by New; never changed afterwards.
	loops  int           // how many loops (Config.Loops, at least 1)
	copies []*loopCopy   // one per loop; copies[0] runs loop 0
	ports  *portShare    // servers shared between loops; nil with one loop
	sigs   *signalFanout // the one SIGINT/SIGTERM subscription of several loops, or nil
	mem    *memWatch     // the heap watcher (Config.MaxMemory), or nil without a limit
	// readable is --allow-read, resolved: load() may read there besides
	// the directories of the host's modules.
	readable policy.PathList
	// children is the one cap every loop's children count against
	// (Config.MaxChildren), or nil for none.
	children *transports.ChildLimit

	mu       sync.Mutex
	running  bool      // a Run call is in progress
	run      *runState // that Run's coordination, nil if none
	closing  bool
	exited   bool         // a copy of the script called exit() (or a signal ended it)
	exitCode int          // the first exit's code
	memErr   *MemoryError // why the memory watcher ended the runtime, if it did
	failures []Failure    // failures of code that reached a default exception handler
}

// New creates a runtime: its event loops, the goroutine that owns each of
// them, and the Starlark environment scripts run in. Close it when done.
func New(cfg Config) (*Runtime, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("starnet: %w", err)
	}
	n := max(cfg.Loops, 1)
	r := &Runtime{cfg: cfg, loops: n, readable: policy.NewPathList(cfg.Permissions.Read), children: cfg.childLimit()}
	if n > 1 {
		r.cfg.Stdout = newLockedWriter(orDefault(cfg.Stdout, os.Stdout))
		r.cfg.Stderr = newLockedWriter(orDefault(cfg.Stderr, os.Stderr))
		r.ports = newPortShare(n)
	}
	for i := 0; i < n; i++ {
		c, err := r.startCopy(i)
		if err != nil {
			_ = r.Close()
			return nil, err
		}
		r.copies = append(r.copies, c)
	}
	if n > 1 && cfg.HandleSignals {
		r.sigs = r.startSignalFanout()
	}
	r.mem = newMemWatch(r, cfg.memoryLimit())
	return r, nil
}

// multi reports whether the runtime runs several loops.
func (r *Runtime) multi() bool { return r.loops > 1 }

// GoFactory wraps a Go protocol factory as a Starlark value. Predeclare it,
// and scripts can pass it wherever a protocol factory is taken, such as
// loop.create_server. With several loops, the factory is called on the loop
// that accepted (or made) the connection.
func GoFactory(f transports.ProtocolFactory) starlark.Value {
	return starlarkbind.GoFactory(f)
}

// Predeclare makes v visible under name to every module executed afterwards
// (and to the modules they load). Call it before Exec. v should be frozen or
// immutable: scripts on the loop goroutine share it; with several loops,
// every copy of the scripts sees the same v, so Predeclare freezes it. It
// fails only with an invalid name, a nil value, or after Close.
func (r *Runtime) Predeclare(name string, v starlark.Value) error {
	if !isIdentifier(name) {
		return fmt.Errorf("starnet: predeclare %q: not a valid identifier", name)
	}
	if v == nil {
		return fmt.Errorf("starnet: predeclare %s: nil value", name)
	}
	if !r.multi() {
		return r.copies[0].do(func() error {
			r.copies[0].env.Predeclare(name, v)
			return nil
		})
	}
	v.Freeze()
	return firstError(r.onCopies(r.copies, func(c *loopCopy) error {
		c.env.Predeclare(name, v)
		return nil
	}))
}

// Exec executes src as a module named filename and returns it. The top level
// runs on the loop's goroutine: while the loop is not running (before Run),
// it may call loop.run_until_complete; while Run runs, it executes as a loop
// callback. load() statements resolve relative to filename's directory. The
// module's globals are not frozen. If the top level calls exit(), Exec
// succeeds and Run then returns the exit status.
//
// With several loops, the module is executed once per loop, loop 0 first
// and then the other loops at the same time (unless loop 0's copy exited);
// the Module represents every copy.
func (r *Runtime) Exec(filename string, src []byte) (*Module, error) {
	m := &Module{rt: r, name: filename, globals: make([]starlark.StringDict, len(r.copies))}
	err := r.watched(func(c *loopCopy) error {
		globals, err := c.execModule(filename, src)
		m.globals[c.index] = globals
		return err
	})
	if err != nil {
		return nil, r.withHint(err, map[string][]byte{filename: src})
	}
	for i, g := range m.globals {
		if g == nil { // a copy that did not run because the script exited
			m.globals[i] = starlark.StringDict{}
		}
	}
	return m, nil
}

// ExecFile reads the file at path and executes it as Exec does.
func (r *Runtime) ExecFile(path string) (*Module, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("starnet: %w", err)
	}
	return r.Exec(path, src)
}

// Run runs the event loops until no work is left (no serving server, open
// transport, pending timer or subprocess), until a script calls loop.stop()
// or exit(), or until ctx is done. When ctx is done it shuts down
// gracefully: listeners and script servers stop accepting, every connection
// is closed after its buffer is flushed, connection_lost(None) is called, and
// the scripts' exit() runs; then Run returns nil. Use Close to abort a
// shutdown that takes too long.
//
// With several loops, Run returns once every loop is out of work; a
// loop.stop() in any copy stops every loop, and an exit() in any copy ends
// every copy (each closes its transports gracefully) with that status.
//
// Run returns an *ExitError when the script ended with a non-zero status
// (exit(n), or 130/143 after SIGINT/SIGTERM with Config.HandleSignals), and
// ErrRunning if another Run is in progress. Run may be called again after it
// returned.
func (r *Runtime) Run(ctx context.Context) error {
	if r.callerCopy() != nil {
		return fmt.Errorf("starnet: Run called from the loop's own goroutine: %w", ErrRunning)
	}
	rs := newRunState(ctx, len(r.copies))
	r.mu.Lock()
	switch {
	case r.closing:
		r.mu.Unlock()
		return ErrClosed
	case r.running:
		r.mu.Unlock()
		return ErrRunning
	}
	r.running, r.run = true, rs
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.running, r.run = false, nil
		r.mu.Unlock()
	}()
	r.mem.hold()
	defer r.mem.release()
	reqs := make([]*runRequest, len(r.copies))
	for i, c := range r.copies {
		reqs[i] = c.requestRun(rs)
	}
	var first error
	for i, c := range r.copies {
		if err := c.awaitRun(reqs[i]); err != nil && first == nil {
			first = err
		}
	}
	if err := r.memoryError(); err != nil {
		return err
	}
	if first != nil {
		return first
	}
	if code, exited := r.exitStatus(); exited && code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// Close aborts everything the runtime runs — listeners, script servers and
// transports are closed at once, dropping buffered data, and their
// connection_lost is called — then releases the loops. A Run in progress
// returns. Close waits for a module top level that is executing to finish.
// Closing twice is harmless. Called from a loop callback, Close does not wait:
// the runtime closes once the callback returns.
//
// In debug mode (Config.Debug, or loop.set_debug(True)), every transport that
// is still open and that the script never closed, and every server the
// script created and did not close, is first reported on Stderr as
// asyncio's "ResourceWarning: unclosed transport <...>" ("unclosed server
// <...>"). exit() and the default SIGINT/SIGTERM handling report them the
// same way before they close everything.
func (r *Runtime) Close() error {
	r.mu.Lock()
	already := r.closing
	r.closing = true
	rs := r.run
	r.mu.Unlock()
	if !already {
		r.sigs.stop()
		r.mem.stop()
	}
	for _, c := range r.copies {
		c.beginClose(already)
	}
	if rs != nil {
		rs.release() // copies waiting for the others leave the Run
	}
	if r.callerCopy() != nil {
		return nil
	}
	var first error
	for _, c := range r.copies {
		<-c.ownerDone
		if first == nil {
			first = c.closeErr
		}
	}
	return first
}

// noteExit records that a copy of the script exited with code (the first
// exit's code is kept) and ends every other copy the same way: each closes
// its servers and transports gracefully, then stops. It runs on from's loop
// goroutine.
func (r *Runtime) noteExit(from *loopCopy, code int) {
	r.mu.Lock()
	if r.exited {
		r.mu.Unlock()
		return
	}
	r.exited, r.exitCode = true, code
	r.mu.Unlock()
	for _, c := range r.copies {
		if c != from {
			c.post(func() { c.exitScript(code) })
		}
	}
}

// exitStatus returns the scripts' exit code and whether they exited.
func (r *Runtime) exitStatus() (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exitCode, r.exited
}

// hasExited reports whether a copy of the script exited.
func (r *Runtime) hasExited() bool {
	_, exited := r.exitStatus()
	return exited
}

// wakeCopy tells the Run in progress, if any, that work was posted to the
// loop of copy i, so that a copy waiting for the others resumes its loop.
func (r *Runtime) wakeCopy(i int) {
	r.mu.Lock()
	rs := r.run
	r.mu.Unlock()
	if rs != nil {
		rs.wake(i)
	}
}

// stopOthers stops every loop but from's (a failed Run, or loop.stop()).
func (r *Runtime) stopOthers(from *loopCopy) {
	for _, c := range r.copies {
		if c != from {
			c.post(c.loop.Stop)
		}
	}
}

// eachCopy runs fn for loop 0's copy, then — unless it failed or the script
// exited — for every other copy at once. It returns the first error, loop
// 0's before the others'.
func (r *Runtime) eachCopy(fn func(c *loopCopy) error) error {
	lead := r.copies[0]
	if err := lead.do(func() error { return fn(lead) }); err != nil || !r.multi() {
		return err
	}
	if r.hasExited() {
		return nil
	}
	return firstError(r.onCopies(r.copies[1:], func(c *loopCopy) error {
		if r.hasExited() {
			return nil
		}
		return fn(c)
	}))
}

// watched is eachCopy with the memory watcher looking on (Exec, CallMain):
// if it ended the runtime meanwhile, the call fails with its MemoryError.
func (r *Runtime) watched(fn func(c *loopCopy) error) error {
	if r.memoryError() != nil {
		return ErrClosed
	}
	r.mem.hold()
	err := r.eachCopy(fn)
	r.mem.release()
	if merr := r.memoryError(); merr != nil && err != nil {
		return merr
	}
	return err
}

// onCopies runs fn for each of cs on its own goroutine, all at once, and
// returns their errors (in the order of cs). A copy whose goroutine is the
// caller's runs fn inline; while the caller waits for the others, it keeps
// running the jobs other goroutines hand to its own loop, so that two loops
// calling the runtime from their callbacks at the same time do not wait for
// each other forever.
func (r *Runtime) onCopies(cs []*loopCopy, fn func(c *loopCopy) error) []error {
	me := r.callerCopy()
	errs := make([]error, len(cs))
	jobs := make([]*job, len(cs))
	for i, c := range cs {
		if c != me {
			jobs[i], errs[i] = c.submit(func() error { return fn(c) })
		}
	}
	for i, c := range cs {
		if c == me {
			errs[i] = c.do(func() error { return fn(c) })
		}
	}
	for i, c := range cs {
		if jobs[i] != nil {
			errs[i] = c.await(jobs[i], me)
		}
	}
	return errs
}

// callerCopy returns the copy whose loop goroutine is calling, or nil.
func (r *Runtime) callerCopy() *loopCopy {
	id := goroutineID()
	for _, c := range r.copies {
		if c.tid.Load() == id {
			return c
		}
	}
	return nil
}

// firstError returns the first non-nil error of errs.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// isIdentifier reports whether name is a valid Starlark identifier.
func isIdentifier(name string) bool {
	e, err := (&syntax.FileOptions{}).ParseExpr("<name>", name, 0)
	if err != nil {
		return false
	}
	_, ok := e.(*syntax.Ident)
	return ok
}
