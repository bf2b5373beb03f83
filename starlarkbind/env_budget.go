package starlarkbind

import (
	"math"
	"runtime/debug"

	"github.com/starnet-dev/starnet/loop"
	"go.starlark.net/starlark"
)

// The step budget (API.md "Running a script"): every callback the loop
// makes into Starlark, Exec's top level and CallMain each run under a
// fresh budget of Options.MaxSteps steps (withBudget), and code running
// now can be cancelled from any goroutine (CancelRunning).

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
