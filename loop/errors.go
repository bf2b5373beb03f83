package loop

import "fmt"

// Exception is an error that carries the Python exception class a script
// sees for it ("RuntimeError", "CancelledError", "ConnectionResetError",
// ...). Every error of starnet that has a class says so through these
// methods (loop.Error, transports.Error, the binary module's errors); the
// class is never read back from an error's text.
type Exception interface {
	error
	// ExceptionKind is the class name, e.g. "RuntimeError".
	ExceptionKind() string
	// ExceptionMessage is the text after "Kind: ", "" when there is none.
	ExceptionMessage() string
}

// Error is the loop's Exception: an error of a Python class with a
// message, reading "Kind: Message" (or "Kind" alone) as Python prints it.
type Error struct {
	// Kind is the Python exception class name.
	Kind string
	// Message is the text after "Kind: ".
	Message string
	// Err is the underlying error, if any (errors.Is and errors.As see it).
	Err error
}

// Errorf returns an *Error of kind whose message is formatted as
// fmt.Sprintf does; a %w verb's error becomes Err.
func Errorf(kind, format string, args ...any) error {
	wrapped := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Message: wrapped.Error(), Err: unwrapOnce(wrapped)}
}

// unwrapOnce returns what a fmt.Errorf error wraps, or nil.
func unwrapOnce(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok {
		return u.Unwrap()
	}
	return nil
}

// Error reads like Python's str() of the exception with its class name.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Kind
	}
	return e.Kind + ": " + e.Message
}

// ExceptionKind returns Kind.
func (e *Error) ExceptionKind() string { return e.Kind }

// ExceptionMessage returns Message.
func (e *Error) ExceptionMessage() string { return e.Message }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
