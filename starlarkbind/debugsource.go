package starlarkbind

import (
	"strings"

	"github.com/starnet-dev/starnet/loop"
	"go.starlark.net/starlark"
)

// Debug mode's sources (asyncio's _source_traceback): when the script
// schedules a callback (call_soon, call_later, call_at, add_done_callback,
// create_task) or is handed a future, the Starlark call stack is recorded
// on the handle or future, so that debug reports ("Executing ... took",
// "Exception in callback", "Future exception was never retrieved") name
// the script's function and its file:line rather than the Go closure that
// runs it. Outside debug mode nothing is recorded: each hook costs one
// bool test.

// debugStackDepth bounds the frames recorded, as asyncio's
// constants.DEBUG_STACK_DEPTH does.
const debugStackDepth = 10

// debugging reports whether the env's loop is in debug mode.
func (e *Env) debugging() bool { return e.loop != nil && e.loop.GetDebug() }

// scriptStack returns the Starlark call stack running now (a task's, or
// the env's thread's), outermost call first, without builtin frames and
// at most debugStackDepth deep.
func (e *Env) scriptStack() loop.Traceback {
	th := e.thread
	if r := e.running.Load(); r != nil {
		th = r
	}
	stack := th.CallStack()
	frames := make(loop.Traceback, 0, len(stack))
	for _, fr := range stack {
		if !fr.Pos.IsValid() || fr.Pos.Filename() == "<builtin>" {
			continue
		}
		frames = append(frames, loop.Frame{Func: fr.Name, File: fr.Pos.Filename(), Line: int(fr.Pos.Line), Col: int(fr.Pos.Col)})
	}
	if len(frames) > debugStackDepth {
		frames = frames[len(frames)-debugStackDepth:]
	}
	return frames
}

// scriptSource returns, in debug mode, the Source of a handle or future
// the script is making now, naming callback (nil for a future); nil
// outside debug mode.
func (e *Env) scriptSource(callback *callbackName) *loop.Source {
	if !e.debugging() {
		return nil
	}
	src := &loop.Source{Stack: e.scriptStack()}
	if callback != nil {
		src.Callback = callback
	}
	return src
}

// noteHandle records, in debug mode, that the script scheduled h to call
// fn(*args).
func (e *Env) noteHandle(h *loop.Handle, fn starlark.Callable, args starlark.Tuple) {
	if src := e.scriptSource(&callbackName{e: e, fn: fn, args: args}); src != nil {
		h.SetSource(src)
	}
}

// noteFuture records, in debug mode, where the script was handed f, the
// first time it is: its repr says "created at" that line and its
// unretrieved error carries the stack. A task's future describes itself
// as the task in every mode, so that reports name it as the script does.
func (e *Env) noteFuture(f *loop.Future, t *task) {
	if f.Source() != nil {
		return
	}
	src := e.scriptSource(nil)
	if t != nil {
		if src == nil {
			src = &loop.Source{}
		}
		src.Repr = taskRepr{t: t, src: src}
	}
	if src != nil {
		f.SetSource(src)
	}
}

// callbackName names a script callback in reports, when one is made.
type callbackName struct {
	e    *Env
	fn   starlark.Callable
	args starlark.Tuple
}

func (c *callbackName) String() string { return c.e.callbackSource(c.fn, c.args) }

// taskRepr is a task's repr with debug mode's "created at".
type taskRepr struct {
	t   *task
	src *loop.Source
}

func (r taskRepr) String() string { return withCreatedAt(r.t.describe(), r.src) }

// withCreatedAt puts src's " created at file:line" before repr's ">".
func withCreatedAt(repr string, src *loop.Source) string {
	at := src.CreatedAt()
	if at == "" || !strings.HasSuffix(repr, ">") {
		return repr
	}
	return repr[:len(repr)-1] + at + ">"
}

// taskStepName names a task's step in reports: the task and its function.
type taskStepName struct{ t *task }

func (n taskStepName) String() string {
	return "task " + n.t.name + ": " + n.t.e.callbackSource(n.t.fn, n.t.args)
}

// taskStepSource returns, in debug mode, the Source of the handles that
// run t's steps: the task and its function, created where the script
// created the task; nil outside debug mode.
func (e *Env) taskStepSource(t *task) *loop.Source {
	if !e.debugging() {
		return nil
	}
	src := &loop.Source{Callback: taskStepName{t: t}}
	if fs := t.f.Source(); fs != nil {
		src.Stack = fs.Stack
	}
	return src
}

// reportFailedCallback reports a failed callback as reportCallback does,
// and in debug mode adds the handle that ran it and the stack where the
// script scheduled it (asyncio's "handle" and "source_traceback").
func (e *Env) reportFailedCallback(what string, err error, h *loop.Handle, src *loop.Source) {
	if err == nil || isExit(err) {
		return
	}
	ctx := loop.ErrorContext{Message: "Exception in callback " + what, Err: err}
	if e.debugging() {
		ctx.Extra = make(map[string]any, 2)
		if h != nil {
			ctx.Extra["handle"] = h
			if src == nil {
				src = h.Source()
			}
		}
		if src != nil && len(src.Stack) > 0 {
			ctx.Extra["source_traceback"] = src.Stack
		}
	}
	e.report(ctx)
}
