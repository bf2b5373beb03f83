package lib

import (
	"errors"
	"fmt"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
)

// Python exception classes the library raises besides the transports' ones.
const (
	kindTypeError          = "TypeError"
	kindValueError         = "ValueError"
	kindIndexError         = "IndexError"
	kindLookupError        = "LookupError"
	kindOverflowError      = "OverflowError"
	kindUnicodeDecodeError = "UnicodeDecodeError"
	kindUnicodeEncodeError = "UnicodeEncodeError"
	// kindPatternError is Python's re.PatternError (re.error).
	kindPatternError = "PatternError"
)

func typeErrorf(format string, args ...any) error {
	return loop.Errorf(kindTypeError, format, args...)
}

func valueErrorf(format string, args ...any) error {
	return loop.Errorf(kindValueError, format, args...)
}

// unpack is the project's one argument unpacker (bind.UnpackArgs:
// starlark.UnpackArgs with the class of a refused value kept).
func unpack(fnname string, args starlark.Tuple, kwargs []starlark.Tuple, pairs ...any) error {
	return bind.UnpackArgs(fnname, args, kwargs, pairs...)
}

// maxSize bounds every string this package builds from a count the script
// gives (a width, a precision, a repeat count), as Starlark's own string
// operations bound theirs, so that one call cannot exhaust memory.
const maxSize = 1 << 30

// checkSize fails when a result of n bytes would pass maxSize; the
// message names fnname unless it is "".
func checkSize(fnname string, n int) error {
	if n < 0 || n > maxSize {
		if fnname == "" {
			return loop.Errorf(kindOverflowError, "result too large (the limit is %d bytes)", maxSize)
		}
		return loop.Errorf(kindOverflowError, "%s: result too large (the limit is %d bytes)", fnname, maxSize)
	}
	return nil
}

// prefixError puts "what: " before the message of err, keeping its class.
func prefixError(what string, err error) error {
	var ex loop.Exception
	if errors.As(err, &ex) {
		return &loop.Error{Kind: ex.ExceptionKind(), Message: what + ": " + ex.ExceptionMessage(), Err: err}
	}
	return fmt.Errorf("%s: %w", what, err)
}

func loopErrorf(kind, format string, args ...any) error { return loop.Errorf(kind, format, args...) }

func loopIndexError(format string, args ...any) error {
	return loop.Errorf(kindIndexError, format, args...)
}

func keyError(key string) error { return loop.Errorf("KeyError", "%q", key) }

// refusal is an Unpacker's error of a class other than bind's TypeError
// and ValueError (Match.group's IndexError): its text is only the reason,
// as bind.UnpackArgs wants, and its class is carried.
type refusal struct{ kind, msg string }

func (r *refusal) Error() string            { return r.msg }
func (r *refusal) ExceptionKind() string    { return r.kind }
func (r *refusal) ExceptionMessage() string { return r.msg }
