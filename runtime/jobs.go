package runtime

import (
	"bytes"
	"fmt"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
)

// A job is work a caller hands to the owner goroutine and waits for.
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

// do runs fn on the loop's goroutine and waits for it. Called on that
// goroutine (from a loop callback or a job), it runs fn at once.
//
// A job is queued, then announced twice: to the owner goroutine (which runs
// it if the loop is not running) and to the loop through CallSoonThreadsafe
// (which runs it if the loop is running, even nested inside another job;
// a runQueued call already pending covers it).
// Whichever comes first takes it from the queue; the other finds nothing.
// Because the queue, not the loop, holds the job, a job submitted just as
// the loop stops is still run by the owner goroutine.
func (r *Runtime) do(fn func() error) error {
	if r.onOwner() {
		r.mu.Lock()
		closing := r.closing
		r.mu.Unlock()
		if closing {
			return ErrClosed
		}
		j := &job{fn: fn, done: make(chan struct{})}
		j.run()
		return j.err
	}
	j := &job{fn: fn, done: make(chan struct{})}
	r.mu.Lock()
	if r.closing {
		r.mu.Unlock()
		return ErrClosed
	}
	r.queue = append(r.queue, j)
	r.wake.Signal()
	r.mu.Unlock()
	if r.kicked.CompareAndSwap(false, true) {
		_ = r.loop.CallSoonThreadsafe(r.runQueued)
	}
	select {
	case <-j.done:
		return j.err
	case <-r.ownerDone:
		select {
		case <-j.done:
			return j.err
		default:
			return ErrClosed
		}
	}
}

// runQueued is the loop callback that runs queued jobs while the loop runs.
// At most one is pending at a time (r.kicked): it clears the flag before
// looking at the queue, so a job queued after that posts a new one.
func (r *Runtime) runQueued() {
	r.kicked.Store(false)
	for {
		r.mu.Lock()
		if r.closing || len(r.queue) == 0 {
			r.mu.Unlock()
			return
		}
		j := r.popJob()
		r.mu.Unlock()
		j.run()
	}
}

// popJob removes the first queued job; r.mu must be held.
func (r *Runtime) popJob() *job {
	j := r.queue[0]
	r.queue[0] = nil
	r.queue = r.queue[1:]
	return j
}

// onOwner reports whether the caller runs on the loop's goroutine.
func (r *Runtime) onOwner() bool {
	return goroutineID() == r.ownerID
}

// goroutineID returns the calling goroutine's id, read from its stack header
// ("goroutine 42 [running]:"). It is used only to recognise the owner
// goroutine, so that a method called from a loop callback runs inline instead
// of waiting for itself.
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
