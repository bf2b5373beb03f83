package transports

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/starnet-dev/starnet/loop"
)

// Panics in protocol callbacks.
//
// asyncio wraps the protocol calls a transport makes in try/except: a failure
// in data_received, eof_received, get_buffer or buffer_updated is a fatal
// error that closes the transport, and a failure in pause_writing or
// resume_writing is reported to the exception handler. A Go protocol fails
// by panicking, so every such call site in this package recovers the panic
// and turns it into an *Error of kind RuntimeError (or the *Error the panic
// carried), then does what asyncio does with the exception; the report
// carries the Go stack under the "traceback" key. The transport's own state
// is always updated before the protocol is called, so a recovered panic never
// leaves it half-changed. ConnectionMade and ConnectionLost are not recovered
// here, as in asyncio where their exceptions reach the loop: the loop reports
// the panic, and the transport still releases its socket (ConnectionLost runs
// under a deferred cleanup).
//
// The guards are all in this file, with asyncio's messages: recoverFatal for
// the callbacks whose failure is fatal, callFlowCallback for pause_writing
// and resume_writing, recoverAndReport for the rest ("Exception in callback").

// panicToError converts a value recovered from a panic in callback (named as
// asyncio names it, "protocol.data_received()") to an *Error. A panic that
// carries an *Error keeps it.
func panicToError(callback string, r any) error {
	if e, ok := r.(*Error); ok {
		return e
	}
	return &Error{
		Kind:    KindRuntimeError,
		Message: fmt.Sprintf("panic in %s: %v", callback, r),
		Err:     &loop.PanicError{Value: r, Stack: string(debug.Stack())},
	}
}

// panicExtra returns the exception handler's extra keys for err: the Go
// stack when err comes from a recovered panic.
func panicExtra(err error) map[string]any {
	var p *loop.PanicError
	if errors.As(err, &p) {
		return map[string]any{"traceback": p.Stack}
	}
	return nil
}

// The protocol callbacks a transport guards, named as asyncio's messages
// name them.
const (
	callbackDataReceived  = "protocol.data_received()"
	callbackEOFReceived   = "protocol.eof_received()"
	callbackGetBuffer     = "protocol.get_buffer()"
	callbackBufferUpdated = "protocol.buffer_updated()"
	callbackPauseWriting  = "protocol.pause_writing()"
	callbackResumeWriting = "protocol.resume_writing()"

	callbackConnectionMade     = "protocol.connection_made()"
	callbackDatagramReceived   = "protocol.datagram_received()"
	callbackErrorReceived      = "protocol.error_received()"
	callbackPipeDataReceived   = "protocol.pipe_data_received()"
	callbackPipeConnectionLost = "protocol.pipe_connection_lost()"
	callbackProcessExited      = "protocol.process_exited()"
)

// fatalMessage is asyncio's message for a callback whose failure is fatal to
// the transport: "Fatal error: protocol.data_received() call failed.".
func fatalMessage(callback string) string { return "Fatal error: " + callback + " call failed." }

// reportedMessage is asyncio's message for a flow-control callback whose
// failure is only reported: "protocol.pause_writing() failed".
func reportedMessage(callback string) string { return callback + " failed" }

// recoverFatal is the guard of a callback whose failure is fatal to the
// transport. Deferred around the call, it turns a panic into an error, gives
// it to fail (the transport's fatal-error path) with asyncio's message, and
// clears *ok when ok is not nil.
func recoverFatal(callback string, fail func(err error, message string), ok *bool) {
	if r := recover(); r != nil {
		fail(panicToError(callback, r), fatalMessage(callback))
		if ok != nil {
			*ok = false
		}
	}
}

// recoverAndReport reports a panic in a protocol callback through the loop's
// exception handler (asyncio's "Exception in callback"); the transport goes
// on. Use it deferred.
func recoverAndReport(l *loop.Loop, t, p any, callback string) {
	if r := recover(); r != nil {
		err := panicToError(callback, r)
		l.CallExceptionHandler(loop.ErrorContext{
			Message:   "Exception in callback " + callback,
			Err:       err,
			Transport: t,
			Protocol:  p,
			Extra:     panicExtra(err),
		})
	}
}

// callFlowCallback calls fn (PauseWriting or ResumeWriting), reporting a
// panic as "<name> failed" through the exception handler.
func callFlowCallback(l *loop.Loop, t BaseTransport, p BaseProtocol, name string, fn func()) {
	if p == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			err := panicToError(name, r)
			l.CallExceptionHandler(loop.ErrorContext{
				Message:   reportedMessage(name),
				Err:       err,
				Transport: t,
				Protocol:  p,
				Extra:     panicExtra(err),
			})
		}
	}()
	fn()
}
