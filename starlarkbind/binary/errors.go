package binary

import (
	"errors"
	"fmt"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// Python exception class names used as Error.Kind.
const (
	KindTypeError     = "TypeError"
	KindValueError    = "ValueError"
	KindOverflowError = "OverflowError"
)

// Error is the error every function of this package returns for a bad
// argument. Kind is the Python exception class a Python programmer would see
// for the same mistake ("TypeError", "ValueError" or "OverflowError";
// Python's struct.error is reported as "ValueError"), and Message names the
// function and, where there is one, the argument:
//
//	ValueError: binary.pack: values[0]: 'h' format requires -32768 <= number <= 32767
//
// Starlark wraps it in a *starlark.EvalError; errors.As finds it.
type Error struct {
	// Kind is the Python exception class name.
	Kind string
	// Message is the text after "Kind: ".
	Message string
}

// Error returns "Kind: Message", as Python prints an exception.
func (e *Error) Error() string { return e.Kind + ": " + e.Message }

// ExceptionKind returns Kind (the loop.Exception methods, which the
// Starlark face reads the class from).
func (e *Error) ExceptionKind() string { return e.Kind }

// ExceptionMessage returns Message.
func (e *Error) ExceptionMessage() string { return e.Message }

func newError(kind, fn, format string, args ...any) error {
	return &Error{Kind: kind, Message: fn + ": " + fmt.Sprintf(format, args...)}
}

func valueErrorf(fn, format string, args ...any) error {
	return newError(KindValueError, fn, format, args...)
}

func typeErrorf(fn, format string, args ...any) error {
	return newError(KindTypeError, fn, format, args...)
}

// unpackArgs unpacks a builtin's arguments (bind.UnpackArgs, with the
// Unpackers of args.go and package bind) and reports a bad one as an
// *Error of the class bind gave it (TypeError: wrong type, missing or
// unexpected argument; ValueError: a value out of range).
func unpackArgs(fn string, args starlark.Tuple, kwargs []starlark.Tuple, pairs ...any) error {
	return asError(bind.UnpackArgs(fn, args, kwargs, pairs...))
}

// asError makes an error that carries a class an *Error of that class
// (one without a class a TypeError); nil stays nil.
func asError(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	var ex loop.Exception
	if errors.As(err, &ex) {
		return &Error{Kind: ex.ExceptionKind(), Message: ex.ExceptionMessage()}
	}
	return &Error{Kind: KindTypeError, Message: err.Error()}
}
