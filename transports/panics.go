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
