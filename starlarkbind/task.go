package starlarkbind

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/starnet-dev/starnet/loop"
	"go.starlark.net/starlark"
)

// Tasks (API.md "Tasks"): asyncio's Task for scripts. A task runs a Starlark
// function on a thread of its own, on a goroutine of its own, but never at
// the same time as any other Starlark code of its loop: the loop's
// goroutine hands control to the task and waits until the task gives it
// back (it waits for a future, or returns). So a task runs until it waits,
// as an asyncio coroutine runs until its next await, and the loop's
// callbacks and tasks never race. A suspended task is a goroutine blocked
// on a channel: it holds no OS thread.

// taskLocal is the thread-local key under which a task's thread finds its task.
const taskLocal = "starnet.task"

// task is one running script function.
type task struct {
	e      *Env
	f      *loop.Future
	name   string
	fn     starlark.Callable
	args   starlark.Tuple
	thread *starlark.Thread

	resume chan struct{} // loop → task: run (again)
	yield  chan struct{} // task → loop: waiting, or finished

	started    bool
	finished   bool
	abandoned  bool         // resumed only to unwind (AbandonTasks)
	waiting    *loop.Future // the future the task waits for
	mustCancel bool         // cancel() came while nothing could be cancelled
	cancelling int          // cancel() calls that took effect (asyncio's Task.cancelling())
	result     starlark.Value
	err        error
}

// errAbandoned unwinds a task that the env gives up on (AbandonTasks).
var errAbandoned = loop.Errorf("CancelledError", "the task was abandoned: the loop is closing")

// newTask makes a task for fn(*args) and schedules its first step, as
// asyncio's create_task does.
func (e *Env) newTask(fn starlark.Callable, args starlark.Tuple, name string) *task {
	e.taskCount++
	if name == "" {
		name = fmt.Sprintf("Task-%d", e.taskCount)
	}
	t := &task{
		e: e, f: e.loop.NewFuture(), name: name, fn: fn, args: args,
		resume: make(chan struct{}), yield: make(chan struct{}),
	}
	t.thread = &starlark.Thread{Name: name, Print: e.thread.Print, Load: e.thread.Load}
	t.thread.SetLocal(taskLocal, t)
	t.f.SetCancelHook(t.cancel) // wait_for, gather or a host cancelling the future cancel the task
	if e.tasks == nil {
		e.tasks = make(map[*loop.Future]*task)
	}
	e.tasks[t.f] = t
	t.f.AddDoneCallback(func(*loop.Future) { delete(e.tasks, t.f) })
	e.noteFuture(t.f, t) // debug mode: where the task was created (debugsource.go)
	h := e.loop.CallSoon(t.step)
	if src := e.taskStepSource(t); src != nil {
		h.SetSource(src)
	}
	return t
}

// step runs the task's next slice on the loop's goroutine: it hands
// control to the task's goroutine and waits until the task waits or ends.
func (t *task) step() {
	if t.finished {
		return
	}
	if !t.started && t.mustCancel {
		t.finished = true
		t.cancelFuture()
		return
	}
	e := t.e
	prev := e.running.Swap(t.thread)
	if !t.started {
		t.started = true
		go t.run()
	} else {
		t.resume <- struct{}{}
	}
	<-t.yield
	e.running.Store(prev)
	if t.finished {
		t.complete()
		return
	}
	w := t.waiting
	if _, bare := e.yields[w]; bare {
		// loop.sleep(0): its result is set by a call_soon made before
		// this one, so the task resumes on the next iteration with it.
		e.loop.CallSoon(t.step)
		return
	}
	w.AddDoneCallbackSource(func(*loop.Future) { t.step() }, e.taskStepSource(t))
}

// noteYield records f, a loop.sleep(0) future, until it is done.
func (e *Env) noteYield(f *loop.Future) {
	if e.yields == nil {
		e.yields = make(map[*loop.Future]struct{})
	}
	e.yields[f] = struct{}{}
	f.AddDoneCallback(func(f *loop.Future) { delete(e.yields, f) })
}

// cancelFuture ends the task's future cancelled (its Cancel otherwise
// cancels the task: newTask).
func (t *task) cancelFuture() {
	t.f.SetCancelHook(nil)
	t.f.Cancel()
}

// complete settles the task's future with the function's outcome.
func (t *task) complete() {
	if t.f.Done() {
		return
	}
	if t.err == nil {
		_ = t.f.SetResult(t.result)
		return
	}
	if isCancellation(t.err) || t.abandoned {
		t.cancelFuture()
		return
	}
	if isExit(t.err) {
		_ = t.f.SetResult(starlark.None)
		return
	}
	_ = t.f.SetException(taskFailure(t.err))
}

// run is the task's goroutine: it runs the function, then gives control
// back for the last time.
func (t *task) run() {
	t.result, t.err = t.call()
	t.finished = true
	t.yield <- struct{}{}
}

// call runs the function under the step budget, recovering panics.
func (t *task) call() (v starlark.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &loop.PanicError{Value: r, Stack: string(debug.Stack())}
		}
	}()
	t.freshBudget()
	return starlark.Call(t.thread, t.fn, t.args, nil)
}

// freshBudget gives the slice that starts now the env's step budget.
func (t *task) freshBudget() {
	t.thread.Uncancel()
	t.thread.SetMaxExecutionSteps(addSat(t.thread.ExecutionSteps(), t.e.maxSteps))
}

// wait suspends the task until f is done and returns its outcome, as
// `await f` does in a coroutine. A future already done returns at once.
func (t *task) wait(f *loop.Future) (any, error) {
	if t.abandoned {
		return nil, errAbandoned
	}
	if f == t.f {
		return nil, loop.Errorf("RuntimeError", "Task cannot await on itself: %s", t.describe())
	}
	if t.mustCancel && !f.Done() {
		t.mustCancel = false
		f.Cancel()
	}
	if !f.Done() {
		t.waiting = f
		t.yield <- struct{}{}
		<-t.resume
		t.waiting = nil
		if t.abandoned {
			return nil, errAbandoned
		}
		t.freshBudget()
	}
	if t.mustCancel {
		t.mustCancel = false
		return nil, loop.ErrCancelled
	}
	return f.Result()
}

// cancel is Task.cancel(): the wait in progress fails with CancelledError,
// or, when the task is not waiting on a future that can be cancelled, its
// next wait does (and a task not started yet never starts).
func (t *task) cancel() bool {
	if t.f.Done() {
		return false
	}
	t.cancelling++
	if t.waiting != nil && t.waiting.Cancel() {
		return true
	}
	t.mustCancel = true
	return true
}

// describe is the task's repr: <Task pending name='Task-1'>.
func (t *task) describe() string {
	state := "pending"
	switch {
	case t.f.Cancelled():
		state = "cancelled"
	case t.f.Done():
		state = "finished"
	}
	return fmt.Sprintf("<Task %s name=%q>", state, t.name)
}

// isCancellation reports whether err is a CancelledError that reached the
// top of the task's function.
func isCancellation(err error) bool {
	if errors.Is(err, loop.ErrCancelled) {
		return true
	}
	var ex loop.Exception
	return errors.As(err, &ex) && ex.ExceptionKind() == "CancelledError"
}

// taskError is the exception of a task whose function failed at a wait
// or a builtin: it keeps the class of the error that failed it (the task
// of `wait(loop.create_connection(...))` fails with ConnectionRefusedError,
// as in asyncio) and the Starlark traceback of where it failed.
type taskError struct {
	class *ErrorValue
	eval  *starlark.EvalError
}

func (e *taskError) Error() string     { return e.class.String() }
func (e *taskError) Unwrap() error     { return e.class.err }
func (e *taskError) Backtrace() string { return e.eval.Backtrace() }

// taskFailure is the exception a task's future (or catch) holds for err:
// an error value a builtin failed with, or the class of a builtin's error
// (loop.Exception: ValueError, TypeError, UnicodeDecodeError, ...), with
// the Starlark traceback kept beside it. A plain Starlark failure (fail(),
// a Starlark builtin's own error) stays a ScriptError.
func taskFailure(err error) error {
	var ee *starlark.EvalError
	if !errors.As(err, &ee) {
		return err
	}
	var carried *errorCarrier
	if errors.As(err, &carried) {
		return &taskError{class: carried.v, eval: ee}
	}
	var ex loop.Exception
	if cause := ee.Unwrap(); cause != nil && errors.As(cause, &ex) && !isEvalError(cause) {
		return &taskError{class: NewErrorValue(cause), eval: ee}
	}
	return err
}

// currentTask returns the task whose thread th is, or nil.
func currentTask(th *starlark.Thread) *task {
	t, _ := th.Local(taskLocal).(*task)
	return t
}

// CancelTasks cancels every task still pending (as asyncio.run does when
// its main coroutine returns): each one's wait fails with CancelledError
// once the loop runs again. It returns how many were cancelled.
func (e *Env) CancelTasks() int {
	n := 0
	for _, t := range e.tasks {
		if t.cancel() {
			n++
		}
	}
	return n
}

// AbandonTasks ends every task still waiting without running any more of
// its script: each unwinds from its wait and its goroutine ends. Call it
// on the loop's goroutine when the loop will not run again.
func (e *Env) AbandonTasks() {
	for _, t := range e.tasks {
		if !t.started || t.finished || t.waiting == nil {
			continue
		}
		t.abandoned = true
		t.resume <- struct{}{}
		<-t.yield
		t.complete()
	}
}

// PendingTasks returns how many tasks have not finished.
func (e *Env) PendingTasks() int { return len(e.tasks) }

// StartTask runs fn(*args) as a task, as loop.create_task does (name ""
// gives the task a default name): the host's way to start script work
// (runtime.Module.StartTask). Call it on the loop's goroutine, or while
// the loop is not running; the task starts when the loop next runs.
func (e *Env) StartTask(fn starlark.Value, args starlark.Tuple, name string) error {
	c, ok := fn.(starlark.Callable)
	if !ok {
		return fmt.Errorf("start a task: %s is a %s, not a function", fn, fn.Type())
	}
	e.futureValue(e.newTask(c, args, name).f) // its failure is reported
	return nil
}
