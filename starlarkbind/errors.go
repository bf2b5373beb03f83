package starlarkbind

import (
	"context"
	"errors"
	"math"
	"strconv"
	"syscall"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// Error kinds used here that package transports does not name.
const (
	kindException         = "Exception"
	kindInvalidStateError = "InvalidStateError"
)

// ErrorValue is the Starlark error value of API.md "Protocols": `exc.kind` (asyncio's
// exception class name), `exc.errno` (an int or None) and `exc.message`.
// str(exc) reads like Python's, e.g.
// "ConnectionResetError: [Errno 104] Connection reset by peer".
type ErrorValue struct {
	err  *transports.Error
	orig error // the Go error it was made from (an EvalError keeps its backtrace)
}

var (
	_ starlark.HasAttrs = (*ErrorValue)(nil)
	_ starlark.Value    = (*ErrorValue)(nil)
)

// NewErrorValue converts any Go error to an error value (nil → nil). Errors
// of package transports keep their kind; loop.ErrCancelled becomes a
// CancelledError, a Starlark evaluation error a ScriptError.
func NewErrorValue(err error) *ErrorValue {
	if err == nil {
		return nil
	}
	var carried *errorCarrier
	if errors.As(err, &carried) && !isEvalError(err) {
		return carried.v
	}
	return &ErrorValue{err: toTransportsError(err), orig: err}
}

// goError returns the Go error the value stands for, as it came.
func (v *ErrorValue) goError() error {
	if v.orig != nil {
		return v.orig
	}
	return v.err
}

// Err returns the error the value stands for.
func (v *ErrorValue) Err() *transports.Error { return v.err }

// String is Python's str() of the exception with its class name.
func (v *ErrorValue) String() string { return v.err.Error() }

// Type returns "error".
func (v *ErrorValue) Type() string { return "error" }

// Freeze does nothing: error values are immutable.
func (v *ErrorValue) Freeze() {}

// Truth is always true.
func (v *ErrorValue) Truth() starlark.Bool { return starlark.True }

// Hash hashes the identity of the value.
func (v *ErrorValue) Hash() (uint32, error) { return identityHash(v), nil }

// errorMethods are an error value's attributes.
var errorMethods = bind.NewMethods("error", map[string]bind.Method[*ErrorValue]{
	"errno": {Get: func(v *ErrorValue) (starlark.Value, error) {
		if v.err.Errno == 0 {
			return starlark.None, nil
		}
		return starlark.MakeInt(int(v.err.Errno)), nil
	}},
	"kind":    {Get: func(v *ErrorValue) (starlark.Value, error) { return starlark.String(v.err.Kind), nil }},
	"message": {Get: func(v *ErrorValue) (starlark.Value, error) { return starlark.String(v.err.Message), nil }},
})

// Attr returns kind, errno or message.
func (v *ErrorValue) Attr(name string) (starlark.Value, error) {
	if a, ok := streamErrorAttr(v.err, name); ok {
		return a, nil // partial, expected, consumed (streams)
	}
	return errorMethods.Attr(v, nil, name)
}

// AttrNames lists the attributes.
func (v *ErrorValue) AttrNames() []string {
	return append(errorMethods.AttrNames(v), streamErrorAttrNames(v.err)...)
}

// toTransportsError maps Go errors to the asyncio kinds scripts see.
func toTransportsError(err error) *transports.Error {
	if te, ok := err.(*transports.Error); ok {
		return te // a ScriptError made by the adapter keeps its message
	}
	var te *transports.Error
	var ee *starlark.EvalError
	switch {
	case errors.As(err, &ee):
		return &transports.Error{Kind: transports.KindScriptError, Message: ee.Msg, Err: err}
	case errors.As(err, &te):
		return te
	case errors.Is(err, loop.ErrCancelled):
		return &transports.Error{Kind: transports.KindCancelledError, Err: err}
	case errors.Is(err, loop.ErrInvalidState):
		return &transports.Error{Kind: kindInvalidStateError, Message: "invalid state", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &transports.Error{Kind: transports.KindTimeoutError, Err: err}
	}
	// Errors that carry a class (the loop's, the binary module's) keep it.
	var ex loop.Exception
	if errors.As(err, &ex) {
		return &transports.Error{Kind: ex.ExceptionKind(), Message: ex.ExceptionMessage(), Err: err}
	}
	return transports.MapError(err)
}

func isEvalError(err error) bool {
	var ee *starlark.EvalError
	return errors.As(err, &ee)
}

// errorCarrier is the Go error a builtin returns to fail with an error
// value, so that the value survives the trip through Starlark (fut.result()
// fails with it; run_until_complete(return_exceptions=True) gets it back).
type errorCarrier struct{ v *ErrorValue }

func (c *errorCarrier) Error() string { return c.v.String() }
func (c *errorCarrier) Unwrap() error { return c.v.err }

// failWith returns the error that makes a builtin fail with v.
func failWith(v *ErrorValue) error { return &errorCarrier{v: v} }

// newError returns an error value of kind with message.
func newError(kind, message string) *ErrorValue {
	return &ErrorValue{err: transports.NewError(kind, message)}
}

// errorBuiltin is the predeclared error(kind, message="", errno=None)
// (API.md "Error values"): a new error value of class kind, for
// future.set_exception and for comparing with the errors the loop hands
// out (by kind, as Python's except clauses compare classes).
func errorBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var kind classNameArg
	var message string
	var errno errnoArg
	if err := unpack(b.Name(), args, kwargs, "kind", &kind, "message?", &message, "errno?", &errno); err != nil {
		return nil, err
	}
	return &ErrorValue{err: &transports.Error{Kind: string(kind), Message: message, Errno: errno.n}}, nil
}

// classNameArg unpacks an exception class name: a Python identifier in
// ASCII.
type classNameArg string

func (a *classNameArg) Unpack(v starlark.Value) error {
	s, ok := v.(starlark.String)
	if !ok {
		return bind.Want(v, "string")
	}
	if !isClassName(string(s)) {
		return bind.Invalid(strconv.Quote(string(s)) + " is not a class name (letters, digits and _, not starting with a digit)")
	}
	*a = classNameArg(s)
	return nil
}

// errnoArg unpacks an errno: a positive int, or None (0).
type errnoArg struct{ n syscall.Errno }

func (a *errnoArg) Unpack(v starlark.Value) error {
	var o bind.OptionalInt
	if err := o.Unpack(v); err != nil {
		return err
	}
	if o.Set && (o.N <= 0 || o.N > math.MaxInt32) {
		return bind.Invalid("got " + v.String() + ", want a positive int or None")
	}
	a.n = syscall.Errno(o.N)
	return nil
}

// isClassName reports whether s is a Python identifier in ASCII.
func isClassName(s string) bool {
	for i, c := range s {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// scriptError wraps a Starlark failure as the ScriptError scripts see in
// connection_lost, keeping the evaluation error (and its backtrace).
func scriptError(what string, err error) *transports.Error {
	msg := err.Error()
	if what != "" {
		msg = what + " failed: " + msg
	}
	return &transports.Error{Kind: transports.KindScriptError, Message: msg, Err: err}
}

// typeErrorf, valueErrorf and runtimeErrorf make the TypeError, ValueError
// and RuntimeError of a builtin (loop.Error values: the class is carried,
// not spelled into the text).
func typeErrorf(format string, args ...any) error {
	return loop.Errorf("TypeError", format, args...)
}

func valueErrorf(format string, args ...any) error {
	return loop.Errorf("ValueError", format, args...)
}

func runtimeErrorf(format string, args ...any) error {
	return loop.Errorf("RuntimeError", format, args...)
}

// noAttr is the AttributeError of a missing attribute (bind.NoAttr).
func noAttr(v starlark.Value, name string) error { return bind.NoAttr(v, name) }
