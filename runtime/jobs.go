package runtime

import (
	"bytes"
	"fmt"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
)

// A job is work a caller hands to a copy's owner goroutine and waits for.
type job struct {
	fn   func() error
	err  error
	done chan struct{}
}

// run executes the job on the owner goroutine; a panic becomes its error.
func (j *job) run() {
	defer close(j.done)
	defer recoverInto(&j.err)
	j.err = j.fn()
}

// do runs fn on the copy's loop goroutine and waits for it. Called on that
// goroutine (from a loop callback or a job), it runs fn at once.
//
// A job is queued, then announced twice: to the owner goroutine (which runs
// it if the loop is not running) and to the loop through CallSoonThreadsafe
// (which runs it if the loop is running, even nested inside another job;
// a runQueued call already pending covers it).
// Whichever comes first takes it from the queue; the other finds nothing.
// Because the queue, not the loop, holds the job, a job submitted just as
// the loop stops is still run by the owner goroutine.
func (c *loopCopy) do(fn func() error) error {
	if c.onOwner() {
		if c.isClosing() {
			return ErrClosed
		}
		j := &job{fn: fn, done: make(chan struct{})}
		j.run()
		return j.err
	}
	j, err := c.submit(fn)
	if err != nil {
		return err
	}
	var me *loopCopy
	if c.rt.multi() {
		me = c.rt.callerCopy()
	}
	return c.await(j, me)
}

// submit queues fn as a job for the owner goroutine without waiting for it.
func (c *loopCopy) submit(fn func() error) (*job, error) {
	j := &job{fn: fn, done: make(chan struct{})}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.queue = append(c.queue, j)
	c.wake.Signal()
	c.mu.Unlock()
	if c.kicked.CompareAndSwap(false, true) {
		_ = c.loop.CallSoonThreadsafe(c.runQueued)
	}
	if c.rt.multi() {
		select {
		case c.queued <- struct{}{}:
		default:
		}
		c.rt.wakeCopy(c.index) // a loop parked in Run resumes to run it
	}
	return j, nil
}

// await waits for a job submitted to c. me is the copy whose loop goroutine
// is waiting, or nil: while it waits, it runs the jobs queued for its own
// loop, which another loop's goroutine may be waiting for in turn.
func (c *loopCopy) await(j *job, me *loopCopy) error {
	var mine chan struct{}
	if me != nil {
		mine = me.queued
	}
	for {
		select {
		case <-j.done:
			return j.err
		case <-mine:
			me.runJobs()
		case <-c.ownerDone:
			select {
			case <-j.done:
				return j.err
			default:
				return ErrClosed
			}
		}
	}
}

// runQueued is the loop callback that runs queued jobs while the loop runs.
// At most one is pending at a time (c.kicked): it clears the flag before
// looking at the queue, so a job queued after that posts a new one.
func (c *loopCopy) runQueued() {
	c.kicked.Store(false)
	c.runJobs()
}

// runJobs runs the queued jobs, on the owner goroutine.
func (c *loopCopy) runJobs() {
	for {
		c.mu.Lock()
		if c.closing || len(c.queue) == 0 {
			c.mu.Unlock()
			return
		}
		j := c.popJob()
		c.mu.Unlock()
		j.run()
	}
}

// popJob removes the first queued job; c.mu must be held.
func (c *loopCopy) popJob() *job {
	j := c.queue[0]
	c.queue[0] = nil
	c.queue = c.queue[1:]
	return j
}

// onOwner reports whether the caller runs on the copy's loop goroutine.
func (c *loopCopy) onOwner() bool {
	return goroutineID() == c.ownerID
}

// goroutineID returns the calling goroutine's id, read from its stack header
// ("goroutine 42 [running]:"). It is used only to recognise the owner
// goroutines, so that a method called from a loop callback runs inline
// instead of waiting for itself, and so that a module's protocol factory
// finds the copy of the loop that calls it.
func goroutineID() uint64 {
	var buf [64]byte
	n := goruntime.Stack(buf[:], false)
	header := bytes.TrimPrefix(buf[:n], []byte("goroutine "))
	if i := bytes.IndexByte(header, ' '); i > 0 {
		header = header[:i]
	}
	id, err := strconv.ParseUint(string(header), 10, 64)
	if err != nil {
		return 0
	}
	return id
}

// recoverInto turns a panic into *errp, so that no panic escapes to a host.
// Use it as `defer recoverInto(&err)`.
func recoverInto(errp *error) {
	if p := recover(); p != nil {
		*errp = fmt.Errorf("starnet: internal error: %v\n%s", p, debug.Stack())
	}
}
