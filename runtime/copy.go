package runtime

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// loopCopy is one event loop with its own copy of the scripts: its Starlark
// environment and thread, its load() cache, its listeners, and the goroutine
// that owns all of them. A runtime has one copy per loop.
type loopCopy struct {
	rt    *Runtime
	index int // loop.index

	// Set by the owner goroutine before startCopy returns; never changed.
	loop    *loop.Loop
	env     *starlarkbind.Env
	thread  *starlark.Thread
	ownerID uint64 // the owner goroutine's id

	// tid is the owner's goroutine id while it runs, 0 once it has ended.
	tid atomic.Uint64

	// mu guards the hand-over between callers and the owner goroutine.
	mu        sync.Mutex
	wake      *sync.Cond    // signalled when queue, runReq or closing change
	queue     []*job        // jobs waiting for the owner goroutine
	queued    chan struct{} // a token whenever a job is queued (see await)
	runReq    *runRequest
	closing   bool
	kicked    atomic.Bool   // a runQueued loop callback is pending
	ownerDone chan struct{} // closed when the owner goroutine has exited
	closeErr  error         // set before ownerDone is closed

	// own is touched only on the owner goroutine.
	own ownerState
}

// ownerState is a copy's state that lives on its loop's goroutine.
type ownerState struct {
	runs      uint64 // Run calls served so far
	activeRun uint64 // number of the Run whose loop is running, 0 if none
	stopping  bool   // a graceful shutdown of the active Run has begun
	aborted   bool
	listeners map[*listenerPart]struct{}
	pending   map[*loop.Future]func(any, error) // futures host calls wait on
	modules   map[string]*loadedModule          // load() cache, by absolute path
	executing []moduleRef                       // modules whose top level is running
	loadRoots []string                          // resolved directories of the host's modules
	exitFn    starlark.Value                    // the scripts' exit builtin
}

// runRequest asks a copy's owner goroutine to run its loop for one Run call.
type runRequest struct {
	rs   *runState
	done chan error
}

// startCopy starts the owner goroutine of loop index and waits until it has
// set the loop and its environment up.
func (r *Runtime) startCopy(index int) (*loopCopy, error) {
	c := &loopCopy{rt: r, index: index, ownerDone: make(chan struct{}), queued: make(chan struct{}, 1)}
	c.wake = sync.NewCond(&c.mu)
	started := make(chan error, 1)
	go c.ownerLoop(started)
	if err := <-started; err != nil {
		return nil, err
	}
	return c, nil
}

// ownerLoop is the goroutine that owns the loop: it sets the copy up, serves
// jobs and Run requests, and tears everything down after Close.
func (c *loopCopy) ownerLoop(started chan<- error) {
	defer c.tid.Store(0)
	defer close(c.ownerDone)
	c.ownerID = goroutineID()
	c.tid.Store(c.ownerID)
	if err := c.setUp(); err != nil {
		started <- err
		return
	}
	started <- nil
	c.serve()
	c.tearDown()
}

// setUp creates the loop and the Starlark environment on the owner goroutine.
func (c *loopCopy) setUp() (err error) {
	defer recoverInto(&err)
	cfg := &c.rt.cfg
	l, err := loop.New(loop.Options{Debug: cfg.Debug, SlowCallbackDuration: cfg.SlowCallbackDuration, Stderr: cfg.Stderr,
		BeforeDefaultReport: c.beforeDefaultReport})
	if err != nil {
		return fmt.Errorf("starnet: create loop %d: %w", c.index, err)
	}
	opts := starlarkbind.Options{
		Loop:          l,
		Permissions:   cfg.Permissions,
		Stdout:        cfg.Stdout,
		Stderr:        cfg.Stderr,
		MaxSteps:      cfg.stepBudget(),
		Children:      c.rt.children,
		Index:         c.index,
		HandleSignals: cfg.HandleSignals,
		OnExit:        func(code int) { c.rt.noteExit(c, code) },
	}
	if ps := c.rt.ports; ps != nil {
		opts.SignalsFromHost = true // the runtime subscribes once for every loop
		opts.CreateServer = ps.serverCreator(c)
		opts.CreateUnixServer = ps.unixServerCreator(c)
	}
	env := starlarkbind.NewEnv(opts)
	c.loop, c.env, c.thread = l, env, env.Thread()
	c.thread.Load = c.load
	c.own = ownerState{
		listeners: map[*listenerPart]struct{}{},
		pending:   map[*loop.Future]func(any, error){},
		modules:   map[string]*loadedModule{},
		exitFn:    env.Predeclared()["exit"],
	}
	return nil
}

// where names the copy in error messages when there are several: " (loop 2)".
func (c *loopCopy) where() string {
	if c.index == 0 {
		return ""
	}
	return fmt.Sprintf(" (loop %d)", c.index)
}

// post calls fn on the copy's loop (CallSoonThreadsafe) and, with several
// loops, makes sure a copy waiting for the others in Run resumes to run it.
func (c *loopCopy) post(fn func()) {
	if c.loop.CallSoonThreadsafe(fn) != nil {
		return
	}
	if c.rt.multi() {
		c.rt.wakeCopy(c.index)
	}
}

// serve runs jobs and Run requests until Close.
func (c *loopCopy) serve() {
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && c.runReq == nil && !c.closing {
			c.wake.Wait()
		}
		if c.closing {
			req := c.runReq
			c.runReq = nil
			c.mu.Unlock()
			if req != nil {
				req.done <- ErrClosed
			}
			return
		}
		if len(c.queue) > 0 {
			j := c.popJob()
			c.mu.Unlock()
			j.run()
			continue
		}
		req := c.runReq
		c.runReq = nil
		c.mu.Unlock()
		req.done <- c.runLoop(req.rs)
	}
}

// requestRun hands a Run to the owner goroutine.
func (c *loopCopy) requestRun(rs *runState) *runRequest {
	req := &runRequest{rs: rs, done: make(chan error, 1)}
	c.mu.Lock()
	c.runReq = req
	c.wake.Signal()
	c.mu.Unlock()
	return req
}

// awaitRun waits for the outcome of a Run request.
func (c *loopCopy) awaitRun(req *runRequest) error {
	select {
	case err := <-req.done:
		return err
	case <-c.ownerDone:
		select {
		case err := <-req.done:
			return err
		default:
			return ErrClosed
		}
	}
}

// runLoop runs the loop for one Run call: until it is out of work or
// stopped, then, with several loops, until every loop is (resuming when
// another goroutine posts work to it meanwhile).
func (c *loopCopy) runLoop(rs *runState) (err error) {
	defer recoverInto(&err)
	s := &c.own
	s.runs++
	run := s.runs
	s.activeRun, s.stopping = run, false
	stopWatching := rs.afterDone(func() {
		c.post(func() { c.shutdownGracefully(run) })
	})
	if code, exited := c.rt.exitStatus(); exited {
		// exit() (or a signal) came while the loop was not running, as in
		// a top level: finish it now rather than run until idle.
		c.loop.CallSoon(func() { c.exitScript(code) })
	}
	for {
		if err = c.runUntilIdle(); err != nil {
			rs.fail()
			c.rt.stopOthers(c)
			rs.park(c, finished)
			break
		}
		if !rs.park(c, c.outcome()) {
			break
		}
	}
	stopWatching()
	s.activeRun = 0
	c.settlePending()
	if err != nil {
		return fmt.Errorf("starnet: run%s: %w", c.where(), err)
	}
	return nil
}

// runUntilIdle runs the loop until it is out of work or stopped; once the
// script has exited, it then drains the host's listeners.
func (c *loopCopy) runUntilIdle() error {
	err := c.loop.Run()
	if err == nil {
		if _, exited := c.env.Exited(); exited {
			err = c.drainListeners()
		}
	}
	return err
}

// outcome says, after the loop returned, why: the script exited or the
// runtime is closing (finished), a script's loop.stop() (the loop still has
// work), or it ran out of work.
func (c *loopCopy) outcome() loopOutcome {
	if _, exited := c.env.Exited(); exited || c.isClosing() {
		return finished
	}
	if !c.loop.Idle() {
		return stoppedByScript
	}
	return outOfWork
}

// isClosing reports whether Close was called.
func (c *loopCopy) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// shutdownGracefully ends run number run as exit(0) does: servers stop
// accepting, transports are closed after flushing, and the loop stops once
// they are all lost (drainListeners then takes care of the connections of
// host listeners).
func (c *loopCopy) shutdownGracefully(run uint64) {
	s := &c.own
	if s.activeRun != run || s.stopping {
		return
	}
	s.stopping = true
	code, _ := c.rt.exitStatus()
	c.exitScript(code)
}

// drainListeners closes the host's listeners once the script has exited
// (exit(), a signal, a cancelled Run): each stops accepting, its connections
// are closed after flushing, and the loop runs until they are lost. If the
// loop is stopped meanwhile (a second signal), the rest are aborted.
func (c *loopCopy) drainListeners() error {
	servers := make([]*transports.Server, 0, len(c.own.listeners))
	for part := range c.own.listeners {
		servers = append(servers, part.server)
	}
	waits := c.closeListeners(false)
	pending := false
	for _, w := range waits {
		pending = pending || !w.Done()
	}
	if !pending {
		return nil
	}
	all := c.loop.NewFuture()
	afterAll(waits, func() { _ = all.SetResult(nil) })
	if _, err := c.loop.RunUntilComplete(all); err == nil {
		return nil
	}
	for _, srv := range servers {
		srv.AbortClients()
	}
	// Deliver the aborted connections' connection_lost: one iteration.
	c.loop.Stop()
	return c.loop.RunForever()
}

// exitScript ends the script as exit(code) does — everything closed
// gracefully, then the loop stops once it is all lost — keeping the status
// of an earlier exit. It calls the scripts' own exit builtin, so the env's
// bookkeeping stays in one place.
func (c *loopCopy) exitScript(code int) {
	if exit, ok := c.own.exitFn.(starlark.Callable); ok {
		// exit reports an error to unwind Starlark callers; there are none.
		_, _ = starlark.Call(c.thread, exit, starlark.Tuple{starlark.MakeInt(code)}, nil)
		if _, exited := c.env.Exited(); exited {
			return
		}
	}
	c.loop.Stop()
}

// beginClose marks the copy closing and, the first time, asks its loop to
// abort everything.
func (c *loopCopy) beginClose(already bool) {
	c.mu.Lock()
	c.closing = true
	c.wake.Broadcast()
	c.mu.Unlock()
	if !already {
		// Stops the loop if it is running (a Run, or a nested
		// run_until_complete in a top level).
		_ = c.loop.CallSoonThreadsafe(c.abortAll)
	}
}

// abortAll closes everything at once and stops the loop; used by Close. In
// debug mode it first reports the transports the script left open.
func (c *loopCopy) abortAll() {
	s := &c.own
	if s.aborted {
		return
	}
	s.aborted = true
	if c.loop.GetDebug() {
		c.env.ReportUnclosed()
	}
	c.loop.ReportUnretrieved()
	c.closeListeners(true)
	c.env.Shutdown(true)
	c.loop.Stop()
}

// tearDown runs after serve returned: it aborts what is left, runs one loop
// iteration so that connection_lost callbacks are delivered, and closes the
// loop.
func (c *loopCopy) tearDown() {
	err := func() (err error) {
		defer recoverInto(&err)
		c.abortAll()
		// With Stop pending, the next run is exactly one iteration.
		c.loop.Stop()
		if err := c.loop.RunForever(); err != nil {
			return fmt.Errorf("starnet: close%s: %w", c.where(), err)
		}
		c.settlePending()
		c.env.AbandonTasks() // tasks still waiting unwind; their goroutines end
		return c.loop.Close()
	}()
	c.closeErr = err
	if c.rt.ports != nil && c.index == 0 {
		// Copies still waiting for loop 0's servers bind on their own.
		c.rt.ports.abandon()
	}
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
func (c *loopCopy) whenDone(fut *loop.Future, fn func(any, error)) {
	switch {
	case fut.Done():
		fn(fut.Result())
	case !c.loop.IsRunning():
		v, err := c.loop.RunUntilComplete(fut)
		if !fut.Done() {
			fut.Cancel()
		}
		fn(v, err)
	default:
		c.own.pending[fut] = fn
		fut.AddDoneCallback(func(f *loop.Future) {
			if fn, ok := c.own.pending[f]; ok {
				delete(c.own.pending, f)
				fn(f.Result())
			}
		})
	}
}

// settlePending answers every host call still waiting on a future after the
// loop stopped: with the outcome if it is there, else by cancelling it.
func (c *loopCopy) settlePending() {
	for fut, fn := range c.own.pending {
		delete(c.own.pending, fut)
		if !fut.Done() {
			fut.Cancel()
			fn(nil, fmt.Errorf("the loop stopped first: %w", loop.ErrCancelled))
			continue
		}
		fn(fut.Result())
	}
}
