package loop

import (
	"syscall"
	"time"
)

// CONTRACT STUB: the bodies below are being written; the signatures are fixed.

// Loop is one event loop. Create it with New; run it with Run, RunForever or
// RunUntilComplete on the goroutine that owns it.
type Loop struct {
	_ int
}

// New creates a loop with its poller and its wakeup descriptor.
func New(opts Options) (*Loop, error) { panic("unimplemented") }

// Close releases the poller, the wakeup descriptor and signal handlers.
// It fails with ErrRunning while the loop runs. Closing twice is a no-op.
func (l *Loop) Close() error { panic("unimplemented") }

// IsClosed reports whether Close has been called.
func (l *Loop) IsClosed() bool { panic("unimplemented") }

// Time returns the loop's clock: monotonic seconds, as asyncio's loop.time().
func (l *Loop) Time() float64 { panic("unimplemented") }

// CallSoon schedules fn to run on the next iteration, after every callback
// already scheduled (FIFO). The returned Handle can cancel it.
func (l *Loop) CallSoon(fn func()) *Handle { panic("unimplemented") }

// CallLater schedules fn to run after delay (negative means now). Timers due
// at the same time run in the order they were scheduled.
func (l *Loop) CallLater(delay time.Duration, fn func()) *Handle { panic("unimplemented") }

// CallAt schedules fn at loop time when (seconds, as returned by Time).
func (l *Loop) CallAt(when float64, fn func()) *Handle { panic("unimplemented") }

// CallSoonThreadsafe schedules fn from any goroutine and wakes the loop.
// It is the only way other goroutines reach the loop. A pending threadsafe
// call keeps the loop from being idle. It returns ErrClosed after Close.
func (l *Loop) CallSoonThreadsafe(fn func()) error { panic("unimplemented") }

// AddReader calls cb each time fd is readable (level-triggered), replacing
// any reader already registered for fd. fd must be non-blocking.
func (l *Loop) AddReader(fd int, cb func()) error { panic("unimplemented") }

// AddWriter calls cb each time fd is writable (level-triggered), replacing
// any writer already registered for fd.
func (l *Loop) AddWriter(fd int, cb func()) error { panic("unimplemented") }

// RemoveReader stops watching fd for reading; it reports whether a reader was
// registered.
func (l *Loop) RemoveReader(fd int) bool { panic("unimplemented") }

// RemoveWriter stops watching fd for writing; it reports whether a writer was
// registered.
func (l *Loop) RemoveWriter(fd int) bool { panic("unimplemented") }

// AddSignalHandler calls fn on the loop each time sig arrives, replacing any
// handler already set for sig. Signal handlers do not keep the loop alive.
func (l *Loop) AddSignalHandler(sig syscall.Signal, fn func()) error { panic("unimplemented") }

// RemoveSignalHandler removes the handler for sig, restoring the default
// disposition; it reports whether one was set.
func (l *Loop) RemoveSignalHandler(sig syscall.Signal) bool { panic("unimplemented") }

// Ref records one more thing that keeps the loop alive (an open transport, a
// serving server, a pending operation). Each Ref must be paired with Unref.
func (l *Loop) Ref() { panic("unimplemented") }

// Unref releases a reference taken with Ref.
func (l *Loop) Unref() { panic("unimplemented") }

// Idle reports whether nothing keeps the loop alive: no ready callback, no
// live timer, no pending threadsafe call and no Ref.
func (l *Loop) Idle() bool { panic("unimplemented") }

// Run runs the loop until Stop is called or the loop is idle.
func (l *Loop) Run() error { panic("unimplemented") }

// RunForever runs the loop until Stop is called, idle or not.
func (l *Loop) RunForever() error { panic("unimplemented") }

// RunUntilComplete runs the loop until f is done and returns its result. It
// returns ErrIdle if the loop goes idle while f is
// pending (nothing could ever complete it), and ErrCancelled if Stop was
// called before f was done.
func (l *Loop) RunUntilComplete(f *Future) (any, error) { panic("unimplemented") }

// Stop makes the running loop return after the current iteration, as
// asyncio's loop.stop(). Safe from any goroutine. If the loop is not running,
// the next run stops after one iteration.
func (l *Loop) Stop() { panic("unimplemented") }

// IsRunning reports whether the loop is running.
func (l *Loop) IsRunning() bool { panic("unimplemented") }

// SetDebug turns debug mode on or off.
func (l *Loop) SetDebug(on bool) { panic("unimplemented") }

// GetDebug reports whether debug mode is on.
func (l *Loop) GetDebug() bool { panic("unimplemented") }

// SetExceptionHandler sets the handler for unhandled errors; nil restores
// the default one.
func (l *Loop) SetExceptionHandler(h ExceptionHandler) { panic("unimplemented") }

// CallExceptionHandler passes ctx to the exception handler. A handler that
// panics is reported by the default handler instead.
func (l *Loop) CallExceptionHandler(ctx ErrorContext) { panic("unimplemented") }

// DefaultExceptionHandler writes ctx to the loop's Stderr: the message, then
// the error (or its Backtrace()), then the transport and protocol if set.
func (l *Loop) DefaultExceptionHandler(ctx ErrorContext) { panic("unimplemented") }

// ReadBuffer returns the loop's shared read buffer (ReadBufferSize bytes).
// Transports read into it and hand protocols a slice of it that is valid only
// during the callback.
func (l *Loop) ReadBuffer() []byte { panic("unimplemented") }

// NewFuture creates a pending Future bound to l.
func (l *Loop) NewFuture() *Future { panic("unimplemented") }

// Handle is a scheduled callback; asyncio's Handle and TimerHandle.
type Handle struct {
	_ int
}

// Cancel stops the callback from running; cancelling twice is harmless.
func (h *Handle) Cancel() { panic("unimplemented") }

// Cancelled reports whether Cancel was called.
func (h *Handle) Cancelled() bool { panic("unimplemented") }

// When returns the loop time a timer is due at (0 for a CallSoon handle).
func (h *Handle) When() float64 { panic("unimplemented") }

// Future is asyncio's Future: a result or an error that arrives later. Done
// callbacks are scheduled with CallSoon when it completes, in the order they
// were added; a callback added after completion is scheduled at once.
type Future struct {
	_ int
}

// Loop returns the loop the future belongs to.
func (f *Future) Loop() *Loop { panic("unimplemented") }

// Done reports whether the future has a result, an error, or was cancelled.
func (f *Future) Done() bool { panic("unimplemented") }

// Cancelled reports whether the future was cancelled.
func (f *Future) Cancelled() bool { panic("unimplemented") }

// Result returns the value, or the error the future failed with
// (ErrCancelled if cancelled, ErrInvalidState if not done yet).
func (f *Future) Result() (any, error) { panic("unimplemented") }

// Exception returns the error the future failed with: nil after SetResult,
// ErrCancelled if cancelled, ErrInvalidState if not done yet.
func (f *Future) Exception() error { panic("unimplemented") }

// SetResult completes the future with v; ErrInvalidState if already done.
func (f *Future) SetResult(v any) error { panic("unimplemented") }

// SetException fails the future with err; ErrInvalidState if already done.
func (f *Future) SetException(err error) error { panic("unimplemented") }

// Cancel cancels a pending future and schedules its callbacks; it reports
// false if the future was already done.
func (f *Future) Cancel() bool { panic("unimplemented") }

// AddDoneCallback arranges for fn(f) to run (through CallSoon) once f is done.
func (f *Future) AddDoneCallback(fn func(*Future)) { panic("unimplemented") }
