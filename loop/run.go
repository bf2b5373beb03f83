package loop

import (
	"fmt"
	"math"
	"runtime/debug"
	"time"
)

// errStoppedEarly is RunUntilComplete's error when Stop ends the run before
// the future is done (asyncio: "Event loop stopped before Future completed.").
var errStoppedEarly = Errorf("RuntimeError", "event loop stopped before the future completed: %w", ErrCancelled)

// Run runs the loop until Stop is called or the loop is idle.
func (l *Loop) Run() error {
	_, err := l.run(true)
	return err
}

// RunForever runs the loop until Stop is called, idle or not.
func (l *Loop) RunForever() error {
	_, err := l.run(false)
	return err
}

// RunUntilComplete runs the loop until f is done and returns its result. It
// returns ErrIdle if the loop goes idle while f is
// pending (nothing could ever complete it), and ErrCancelled if Stop was
// called before f was done.
//
// The error for an early Stop wraps ErrCancelled (test it with errors.Is).
func (l *Loop) RunUntilComplete(f *Future) (any, error) {
	if f == nil {
		return nil, Errorf("TypeError", "RunUntilComplete: future must not be nil")
	}
	if f.loop != l {
		return nil, Errorf("ValueError", "RunUntilComplete: the future belongs to a different loop")
	}
	if l.closed.Load() {
		return nil, ErrClosed
	}
	if l.running.Load() {
		return nil, ErrRunning
	}
	// The callback may already be queued when the run ends for another
	// reason; active keeps it from stopping a later run.
	active := true
	token := f.addDoneCallback(func(*Future) {
		if active {
			l.stopping.Store(true) // on the loop: no wakeup needed
		}
	})
	stopped, err := l.run(true)
	active = false
	f.removeDoneCallback(token)
	if err != nil {
		return nil, err
	}
	if !f.Done() {
		if stopped {
			return nil, errStoppedEarly
		}
		return nil, ErrIdle
	}
	return f.Result()
}

// run runs iterations until Stop (stopped is true) or, when untilIdle, until
// the loop is idle.
func (l *Loop) run(untilIdle bool) (stopped bool, err error) {
	if l.closed.Load() {
		return false, ErrClosed
	}
	if !l.running.CompareAndSwap(false, true) {
		return false, ErrRunning
	}
	// The loop's goroutine is not locked to an OS thread: a task
	// (starlarkbind) switches with it through channels, and a switch
	// between two goroutines that share a thread costs a fraction of one
	// that wakes another thread (BenchmarkTaskSwitch; docs/performance.md).
	defer func() {
		l.stopping.Store(false)
		l.running.Store(false)
	}()
	for {
		if untilIdle && l.Idle() {
			return false, nil
		}
		if err := l.runOnce(); err != nil {
			return false, err
		}
		if l.stopping.Load() {
			return true, nil
		}
	}
}

// runOnce is one iteration, as asyncio's BaseEventLoop._run_once: poll with a
// timeout that the ready queue and the earliest timer allow, queue the
// callbacks of ready descriptors and due timers, then run exactly the
// callbacks that are ready now; those they schedule run next iteration.
func (l *Loop) runOnce() error {
	l.pruneTimers()
	n, err := l.poller.wait(l.events, l.pollTimeoutMs())
	if err != nil {
		return fmt.Errorf("run loop: %w", err)
	}
	l.drainThreadsafe()
	l.processEvents(n)
	l.moveDueTimers()
	l.runReady(l.ready.len())
	return nil
}

// pruneTimers drops cancelled timers: all of them if they are the majority,
// else those at the head of the heap.
func (l *Loop) pruneTimers() {
	l.compactTimers()
	for len(l.timers) > 0 && l.timers[0].cancelled {
		h := l.timers.pop()
		h.inHeap = false
		l.cancelledTimers--
	}
}

// pollTimeoutMs is how long the poll may block: not at all when callbacks are
// waiting, until the earliest timer (rounded up to a millisecond, so the
// loop does not spin), or without limit.
func (l *Loop) pollTimeoutMs() int {
	if l.ready.len() > 0 || l.stopping.Load() || l.tsLen.Load() > 0 {
		return 0
	}
	if len(l.timers) == 0 {
		return -1
	}
	wait := l.timers[0].when - l.Time()
	if wait <= 0 {
		return 0
	}
	return int(min(math.Ceil(wait*1e3), maxPollTimeoutMs))
}

// processEvents queues the reader and writer handles of ready descriptors.
func (l *Loop) processEvents(n int) {
	for i := 0; i < n; i++ {
		e := l.events[i]
		fd := int(e.fd)
		if fd == l.wake.rfd {
			l.wokenUp()
			continue
		}
		if fd >= len(l.fds) {
			continue
		}
		ent := &l.fds[fd]
		if e.ev&interestRead != 0 && ent.reader != nil {
			l.ready.push(ent.reader)
		}
		if e.ev&interestWrite != 0 && ent.writer != nil {
			l.ready.push(ent.writer)
		}
	}
	if n > 0 {
		l.drainThreadsafe() // calls that the wakeup announced
	}
}

// moveDueTimers queues every timer due by now, earliest first.
func (l *Loop) moveDueTimers() {
	if len(l.timers) == 0 {
		return
	}
	end := l.Time() + clockResolution
	for len(l.timers) > 0 && l.timers[0].when < end {
		h := l.timers.pop()
		h.inHeap = false
		if h.cancelled {
			l.cancelledTimers--
			continue
		}
		l.ready.push(h)
	}
}

// clockResolution is the resolution of Go's monotonic clock, added to "now"
// when deciding which timers are due, as asyncio does.
const clockResolution = 1e-9

// runReady runs the first ntodo handles of the ready queue. A panicking
// callback is reported and the rest still run.
func (l *Loop) runReady(ntodo int) {
	for ntodo > 0 {
		ntodo = l.runSome(ntodo)
	}
}

// runSome runs up to ntodo ready handles and returns how many are left when a
// callback panicked (0 otherwise). One deferred recover covers the whole
// batch, which keeps the dispatch path free of per-callback defers.
func (l *Loop) runSome(ntodo int) (left int) {
	var current *Handle
	defer func() {
		if r := recover(); r != nil {
			l.reportPanic(current, r, debug.Stack())
			left = ntodo
		}
	}()
	for ntodo > 0 {
		h := l.ready.pop()
		ntodo--
		if h.cancelled {
			continue
		}
		current = h
		if l.debug {
			l.runTimed(h)
		} else {
			h.run()
		}
	}
	return 0
}

// runTimed runs h and reports it if it was slow (debug mode).
func (l *Loop) runTimed(h *Handle) {
	before := *h // running may cancel h, which forgets its callback
	src := h.Source()
	start := time.Now()
	h.run()
	if took := time.Since(start); took >= l.slow {
		desc := before.describe(src)
		l.CallExceptionHandler(ErrorContext{
			Message: fmt.Sprintf("Executing %s took %.3f seconds", desc, took.Seconds()),
			Extra:   map[string]any{"handle": h},
		})
	}
	h.forgetSource()
}
