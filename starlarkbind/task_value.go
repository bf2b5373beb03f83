package starlarkbind

import (
	"strings"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// The script face of tasks (API.md "Tasks"): loop.create_task,
// loop.current_task, the Task's own methods, and the predeclared wait()
// and catch().

// createTask is loop.create_task(fn, *args, name=None) → Task.
func (lv *loopValue) createTask(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name bind.OptionalString
	if err := unpack(fnname, nil, kwargs, "name?", &name); err != nil {
		return nil, err
	}
	fn, rest, err := callbackArgs(fnname, args, nil, 0)
	if err != nil {
		return nil, err
	}
	t := lv.e.newTask(fn, rest, name.S)
	return lv.e.futureValue(t.f), nil
}

// currentTaskMethod is loop.current_task() → the Task running, or None.
func (lv *loopValue) currentTaskMethod(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := noArgs(fnname, args, kwargs); err != nil {
		return nil, err
	}
	th := lv.e.running.Load()
	if th == nil {
		return starlark.None, nil
	}
	if t := currentTask(th); t != nil {
		return lv.e.futureValue(t.f), nil
	}
	return starlark.None, nil
}

// taskMethods are a Task's methods: a Future's, plus get_name and
// set_name, a cancel that reaches the task's wait, and set_result /
// set_exception that a Task refuses, as asyncio's does.
var taskMethods = bind.NewMethods("task", func() map[string]bind.Method[*futureValue] {
	table := futureMethodTable()
	table["get_name"] = bind.Method[*futureValue]{Fn0: (*futureValue).taskGetName}
	table["set_name"] = bind.Method[*futureValue]{Fn: (*futureValue).taskSetName}
	table["cancel"] = bind.Method[*futureValue]{Fn: (*futureValue).taskCancel}
	table["set_result"] = bind.Method[*futureValue]{Fn: (*futureValue).taskRefuses}
	table["set_exception"] = bind.Method[*futureValue]{Fn: (*futureValue).taskRefuses}
	return table
}())

func (fv *futureValue) taskGetName() (starlark.Value, error) {
	return starlark.String(fv.t.name), nil
}

func (fv *futureValue) taskSetName(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name strArg
	if err := unpack(fnname, args, kwargs, "value", &name); err != nil {
		return nil, err
	}
	fv.t.name = name.s
	return starlark.None, nil
}

// strArg unpacks any value as Python's str(value) makes it a string (a
// Task's set_name): a string as it is, anything else as it prints.
type strArg struct{ s string }

func (a *strArg) Unpack(v starlark.Value) error {
	if s, ok := v.(starlark.String); ok {
		a.s = string(s)
	} else {
		a.s = v.String()
	}
	return nil
}

func (fv *futureValue) taskCancel(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var msg starlark.Value = starlark.None
	if err := unpack(fnname, args, kwargs, "msg?", &msg); err != nil {
		return nil, err
	}
	return starlark.Bool(fv.t.cancel()), nil
}

// taskRefuses is a Task's set_result and set_exception.
func (fv *futureValue) taskRefuses(fnname string, _ starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	op := fnname[strings.LastIndexByte(fnname, '.')+1:]
	return nil, failWith(newError("RuntimeError", "Task does not support "+op+"() operation"))
}

// waitBuiltin is the predeclared wait(fut): inside a task, it suspends the
// task until fut is done and returns its result, or fails with its error
// (asyncio's `await fut`). In main (the loop not running) it runs the loop
// until fut is done, as loop.run_until_complete(fut) does. Anywhere else —
// a protocol callback, a timer — it fails at once: a callback cannot wait.
func (e *Env) waitBuiltin(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fut futureArg
	if err := unpack("wait", args, kwargs, "fut", &fut); err != nil {
		return nil, err
	}
	f := fut.f
	t := currentTask(th)
	if t == nil {
		if th == e.thread && !e.loop.IsRunning() {
			return e.loopValue.runUntilComplete("wait", args, kwargs)
		}
		return nil, failWith(newError("RuntimeError",
			"wait() called outside a task: a callback cannot wait; "+
				"run the code that waits in a task: loop.create_task(fn, *args)"))
	}
	v, err := t.wait(f)
	if err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	return e.fromGo(v), nil
}

// catchBuiltin is the predeclared catch(fn, *args, **kwargs): it calls fn
// and returns (result, None), or (None, error) when fn fails, so a script
// can handle an error as a value (Lua's pcall). The error keeps its class:
// catch(wait, fut) of a refused connection gives a ConnectionRefusedError.
// exit() is not caught, nor a CancelledError in a task that was asked to
// cancel (task.cancel()): both go on unwinding, so a task cannot swallow
// its own cancellation by accident. The CancelledError of a future or task
// it waited for, in a task nobody cancelled, is caught like any error.
func (e *Env) catchBuiltin(th *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Callable // the rest of the arguments are fn's
	if err := unpack("catch", args[:min(len(args), 1)], nil, "fn", &fn); err != nil {
		return nil, err
	}
	v, err := starlark.Call(th, fn, args[1:], kwargs)
	if err == nil {
		return starlark.Tuple{v, starlark.None}, nil
	}
	if isExit(err) || (isCancellation(err) && cancelledTask(th)) {
		return nil, err
	}
	return starlark.Tuple{starlark.None, NewErrorValue(taskFailure(err))}, nil
}

// cancelledTask reports whether th is the thread of a task that was asked
// to cancel.
func cancelledTask(th *starlark.Thread) bool {
	t := currentTask(th)
	return t != nil && t.cancelling > 0
}
