package runtime

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Failure is a failure of code — a Starlark error in a callback, a task, a
// protocol factory, a stream handler or an exception handler, or a Go
// protocol's panic — that reached a loop's default exception handler: no
// exception handler of the script's took it. `starnet run` ends with
// status 1 instead of 0 when there was one (docs/API.md §1 "Exit status").
type Failure struct {
	// Loop is the index of the loop that reported it.
	Loop int
	// Message is the report's message ("Exception in callback tick() at
	// x.star:3", "Fatal error: Echo.data_received() failed ...").
	Message string
	// Err is the error reported.
	Err error
}

// String reads "message: error", on one line.
func (f Failure) String() string {
	msg := f.Err.Error()
	if first, _, cut := strings.Cut(msg, "\n"); cut {
		msg = first
	}
	return f.Message + ": " + msg
}

// Failures returns the failures that reached a default exception handler
// so far, in the order each loop reported them (loop 0's first). Reports
// made as the runtime closes (a failed task nobody awaited, found at the
// end) count, so call it after Close for the whole run.
func (r *Runtime) Failures() []Failure {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Failure(nil), r.failures...)
}

// beforeDefaultReport is each loop's loop.Options.BeforeDefaultReport: it
// records the failures of code and adds a hint (starlarkbind.Hint) to the
// error the report shows.
func (c *loopCopy) beforeDefaultReport(ctx loop.ErrorContext) loop.ErrorContext {
	if ctx.Err == nil {
		return ctx
	}
	if isCodeFailure(ctx.Err) {
		r := c.rt
		r.mu.Lock()
		r.failures = append(r.failures, Failure{Loop: c.index, Message: ctx.Message, Err: ctx.Err})
		r.mu.Unlock()
	}
	ctx.Err = c.rt.withHint(ctx.Err, nil)
	return ctx
}

// isCodeFailure reports whether err is the failure of code: a Starlark
// evaluation error or a Go panic (not, say, an OSError that the loop
// reports about a socket).
func isCodeFailure(err error) bool {
	var ee *starlark.EvalError
	var pe *loop.PanicError
	return errors.As(err, &ee) || errors.As(err, &pe)
}

// hinted is an error with the hint a person reading it needs; its
// Backtrace (which the default exception handler prints) and FormatError
// end with a "hint: ..." line.
type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() }
func (h *hinted) Unwrap() error { return h.err }

// Backtrace is the error's own backtrace (or message) and the hint.
func (h *hinted) Backtrace() string {
	text := h.err.Error()
	var bt interface{ Backtrace() string }
	if errors.As(h.err, &bt) {
		text = strings.TrimRight(bt.Backtrace(), "\n")
	}
	return text + "\nhint: " + h.hint
}

// withHint returns err with its hint, if the table has one (src is the
// source of the file being executed, for hints that look at a line).
func (r *Runtime) withHint(err error, src map[string][]byte) error {
	var already *hinted
	if err == nil || errors.As(err, &already) {
		return err
	}
	hc := starlarkbind.HintContext{MaxSteps: r.cfg.stepBudget(), Line: sourceLine(src)}
	if hint := starlarkbind.Hint(err, hc); hint != "" {
		return &hinted{err: err, hint: hint}
	}
	return err
}

// sourceLine returns a function that finds the text of a line: in src by
// file name, else in the file.
func sourceLine(src map[string][]byte) func(pos syntax.Position) string {
	return func(pos syntax.Position) string {
		text, ok := src[pos.Filename()]
		if !ok {
			var err error
			if text, err = os.ReadFile(pos.Filename()); err != nil {
				return ""
			}
		}
		lines := strings.Split(string(text), "\n")
		if pos.Line < 1 || int(pos.Line) > len(lines) {
			return ""
		}
		return lines[pos.Line-1]
	}
}

// FailureSummary describes failures for --debug: which reports made the
// exit status 1.
func FailureSummary(failures []Failure) string {
	var b strings.Builder
	noun := "failures"
	if len(failures) == 1 {
		noun = "failure"
	}
	fmt.Fprintf(&b, "starnet: exit status 1: %d callback %s reached the default exception handler:", len(failures), noun)
	for _, f := range failures {
		where := ""
		if f.Loop > 0 {
			where = fmt.Sprintf(" (loop %d)", f.Loop)
		}
		fmt.Fprintf(&b, "\n  %s%s", f, where)
	}
	return b.String()
}
