// Package loop is starnet's event loop: a reactor in the style of asyncio's
// selector event loop. One Loop runs on one goroutine at a time (not locked to an OS
// thread: see run) and drives everything registered with it: a FIFO ready queue (CallSoon), a
// timer heap (CallLater, CallAt), file-descriptor readiness (AddReader,
// AddWriter) through epoll or kqueue, signal delivery, and Futures.
//
// Every method of Loop, Handle and Future must be called on the loop's own
// goroutine, except CallSoonThreadsafe (and Stop, which is safe anywhere).
// Callbacks never run concurrently with each other.
//
// The loop knows when it is idle: no ready callback, no live timer, no pending
// threadsafe call and no reference taken with Ref. Run returns then, which is
// how `starnet run` exits when a script's work is done.
//
// This package must import only the standard library and golang.org/x/sys/unix.
// It knows nothing of transports, protocols or Starlark.
package loop

import (
	"errors"
	"io"
	"time"
)

// ErrCancelled is the error of a cancelled Future (asyncio's CancelledError).
var ErrCancelled error = &Error{Kind: "CancelledError"}

// ErrInvalidState is returned when a Future is completed twice, or its result
// is read before it is done (asyncio's InvalidStateError).
var ErrInvalidState error = &Error{Kind: "InvalidStateError", Message: "invalid state"}

// ErrClosed is returned by operations on a closed loop.
var ErrClosed = errors.New("loop is closed")

// ErrRunning is returned by Run, RunForever and RunUntilComplete when the loop
// is already running (asyncio: "This event loop is already running").
var ErrRunning error = &Error{Kind: "RuntimeError", Message: "this event loop is already running"}

// ErrIdle is returned by RunUntilComplete when the loop went idle while the
// future was still pending: nothing is left that could complete it.
var ErrIdle error = &Error{Kind: "RuntimeError", Message: "event loop ran out of work before the future completed"}

// DefaultSlowCallbackDuration is how long a callback may take before debug
// mode reports it, unless Options.SlowCallbackDuration or
// Loop.SetSlowCallbackDuration says otherwise (asyncio's default
// loop.slow_callback_duration).
const DefaultSlowCallbackDuration = 100 * time.Millisecond

// ReadBufferSize is the size of the loop's shared read buffer.
const ReadBufferSize = 256 << 10

// Options configure a new Loop. The zero value is valid.
type Options struct {
	// Debug turns on asyncio's debug mode: callbacks slower than
	// SlowCallbackDuration are reported through the exception handler.
	Debug bool
	// SlowCallbackDuration is how long a callback may run before debug mode
	// reports it (asyncio's loop.slow_callback_duration); zero or a
	// negative value means DefaultSlowCallbackDuration.
	SlowCallbackDuration time.Duration
	// Stderr receives the default exception handler's reports (os.Stderr if nil).
	Stderr io.Writer
	// BeforeDefaultReport, if set, is called by DefaultExceptionHandler
	// with each context before it is written, and returns the context to
	// write: a host counts there what reached the default handler (starnet's
	// exit status) and may add to the text (hints). It runs on the loop's
	// goroutine.
	BeforeDefaultReport func(ErrorContext) ErrorContext
}

// ErrorContext is what the exception handler receives, asyncio's context dict.
type ErrorContext struct {
	// Message says what went wrong ("Fatal error on transport", ...).
	Message string
	// Err is the error, if there is one. When it has a method
	// `Backtrace() string` (as *starlark.EvalError has), the default handler
	// prints that backtrace.
	Err error
	// Transport and Protocol, when the error concerns a connection.
	Transport any
	Protocol  any
	// Extra holds any other keys (asyncio's "future", "handle", "socket", ...).
	Extra map[string]any
}

// ExceptionHandler handles errors that have nowhere else to go, as asyncio's
// loop.set_exception_handler.
type ExceptionHandler func(l *Loop, ctx ErrorContext)
