package binary

import (
	"errors"
	"fmt"
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

// argError turns an error from starlark.UnpackArgs (wrong type, missing or
// unexpected argument — Python's TypeError) into a TypeError. Errors that
// already carry a kind are returned unchanged.
func argError(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Kind: KindTypeError, Message: err.Error()}
}
