package runtime

import (
	"context"
	"sync"
)

// runState coordinates the loops of one Run call. Each loop runs until it is
// out of work (or stopped), then parks; the Run is over once every loop is
// parked at the same time. A parked loop resumes when another goroutine
// posts work to it (a job, an exit or a signal handed on, a port another
// loop's server got), unless the Run is ending: once a script's loop.stop()
// stopped a loop (or a loop failed), the others are stopped too and no loop
// resumes. A loop whose script exited (or that is closing) leaves the Run
// for good once it has drained.
type runState struct {
	ctx context.Context

	mu      sync.Mutex
	changed *sync.Cond
	parked  []bool // loop i is parked
	gone    []bool // loop i left the Run for good
	woken   []bool // work was posted to loop i while it was not parked
	nParked int
	ending  bool // a loop stopped: no loop resumes any more
	over    bool // every loop is parked: the Run is over
}

func newRunState(ctx context.Context, loops int) *runState {
	rs := &runState{ctx: ctx, parked: make([]bool, loops), gone: make([]bool, loops), woken: make([]bool, loops)}
	rs.changed = sync.NewCond(&rs.mu)
	return rs
}

// afterDone arranges for fn to run (on its own goroutine) when the Run's
// context is done; call the returned function to cancel that.
func (rs *runState) afterDone(fn func()) (stop func() bool) {
	return context.AfterFunc(rs.ctx, fn)
}

// loopOutcome is why a loop returned from a run.
type loopOutcome int

const (
	outOfWork       loopOutcome = iota // idle: it may get work again
	stoppedByScript                    // a script's loop.stop()
	finished                           // the script exited, the loop failed, or the runtime is closing
)

// park records that copy c's loop returned, and why, then waits. It returns
// true if c should run its loop again (work was posted to it), false once
// the Run is over for c: every loop is parked, c finished, or the runtime is
// closing. A loop.stop() in one copy stops every other loop.
func (rs *runState) park(c *loopCopy, why loopOutcome) bool {
	i := c.index
	rs.mu.Lock()
	if why == stoppedByScript && !rs.ending {
		rs.ending = true
		rs.mu.Unlock()
		c.rt.stopOthers(c)
		rs.mu.Lock()
	}
	defer rs.mu.Unlock()
	if why == outOfWork && rs.woken[i] && !rs.ending && !rs.over {
		rs.woken[i] = false
		return true
	}
	rs.parked[i] = true
	rs.nParked++
	if rs.nParked == len(rs.parked) {
		rs.over = true
		rs.changed.Broadcast()
		return false
	}
	if why == finished {
		rs.left(i)
		return false
	}
	for rs.parked[i] && !rs.over && !c.isClosing() {
		rs.changed.Wait()
	}
	if rs.parked[i] {
		// Over, or closing: stay parked, so the others need not wait.
		rs.left(i)
		return false
	}
	return true
}

// left marks loop i as gone from the Run for good (rs.mu held): it stays
// counted as parked and is never resumed.
func (rs *runState) left(i int) {
	rs.gone[i] = true
}

// wake tells the Run that work was posted to loop i: a parked loop resumes
// (unless the Run is ending), a running one will run once more before it
// parks.
func (rs *runState) wake(i int) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.over || rs.ending {
		return
	}
	if rs.gone[i] {
		return
	}
	if !rs.parked[i] {
		rs.woken[i] = true
		return
	}
	rs.parked[i] = false
	rs.nParked--
	rs.changed.Broadcast()
}

// fail ends the Run after a loop failed: no loop resumes any more.
func (rs *runState) fail() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.ending = true
}

// release wakes every parked loop so that it sees the runtime is closing.
func (rs *runState) release() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.changed.Broadcast()
}
