package transports

import (
	"errors"
	"fmt"
	"syscall"
)

// Exception kinds: asyncio's (Python's) exception class names. Error.Kind is
// one of these, or another Python class name where that is more exact.
const (
	KindOSError                = "OSError"
	KindConnectionError        = "ConnectionError"
	KindConnectionResetError   = "ConnectionResetError"
	KindConnectionRefusedError = "ConnectionRefusedError"
	KindConnectionAbortedError = "ConnectionAbortedError"
	KindBrokenPipeError        = "BrokenPipeError"
	KindTimeoutError           = "TimeoutError"
	KindPermissionError        = "PermissionError"
	KindFileNotFoundError      = "FileNotFoundError"
	KindFileExistsError        = "FileExistsError"
	KindProcessLookupError     = "ProcessLookupError"
	KindInterruptedError       = "InterruptedError"
	KindBlockingIOError        = "BlockingIOError"
	KindIsADirectoryError      = "IsADirectoryError"
	KindNotADirectoryError     = "NotADirectoryError"
	KindGaiError               = "gaierror"
	KindValueError             = "ValueError"
	KindTypeError              = "TypeError"
	KindRuntimeError           = "RuntimeError"
	KindNotImplementedError    = "NotImplementedError"
	KindCancelledError         = "CancelledError"
	KindScriptError            = "ScriptError"
	KindSSLError               = "SSLError"
	KindSSLCertVerifyError     = "SSLCertVerificationError"
)

// Error is an error with asyncio's exception class name as Kind. It is how
// starnet reports every transport error, so that scripts see the names Python
// programmers know.
type Error struct {
	// Kind is the Python exception class name, e.g. "ConnectionResetError".
	Kind string
	// Errno is the OS error number, or 0 when there is none.
	Errno syscall.Errno
	// Message is the human-readable text, e.g. "Connection reset by peer".
	Message string
	// Err is the underlying error, if any.
	Err error
}

// Error reads like Python's str() of the exception with its class name:
// "ConnectionResetError: [Errno 104] Connection reset by peer".
func (e *Error) Error() string {
	if e.Errno != 0 {
		return fmt.Sprintf("%s: [Errno %d] %s", e.Kind, int(e.Errno), e.Message)
	}
	if e.Message == "" {
		return e.Kind
	}
	return e.Kind + ": " + e.Message
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ExceptionKind returns Kind (loop.Exception).
func (e *Error) ExceptionKind() string { return e.Kind }

// ExceptionMessage returns the text after "Kind: " (loop.Exception),
// "[Errno N] " included when there is an errno.
func (e *Error) ExceptionMessage() string {
	if e.Errno != 0 {
		return fmt.Sprintf("[Errno %d] %s", int(e.Errno), e.Message)
	}
	return e.Message
}

// NewError returns an Error of the given kind with a message and no errno.
func NewError(kind, message string) *Error {
	return &Error{Kind: kind, Message: message}
}

// errnoKinds maps errno values to Python's OSError subclasses, as CPython's
// PyErr_SetFromErrno does.
var errnoKinds = map[syscall.Errno]string{
	syscall.ECONNRESET:   KindConnectionResetError,
	syscall.ECONNREFUSED: KindConnectionRefusedError,
	syscall.ECONNABORTED: KindConnectionAbortedError,
	syscall.EPIPE:        KindBrokenPipeError,
	syscall.ESHUTDOWN:    KindBrokenPipeError,
	syscall.ETIMEDOUT:    KindTimeoutError,
	syscall.EACCES:       KindPermissionError,
	syscall.EPERM:        KindPermissionError,
	syscall.ENOENT:       KindFileNotFoundError,
	syscall.EEXIST:       KindFileExistsError,
	syscall.ESRCH:        KindProcessLookupError,
	syscall.EINTR:        KindInterruptedError,
	syscall.EAGAIN:       KindBlockingIOError,
	syscall.EALREADY:     KindBlockingIOError,
	syscall.EINPROGRESS:  KindBlockingIOError,
	syscall.EISDIR:       KindIsADirectoryError,
	syscall.ENOTDIR:      KindNotADirectoryError,
}

// MapError converts any error to an *Error: an *Error is returned as is, an
// errno (found with errors.As) becomes the matching Python class, a
// crypto/tls or crypto/x509 error becomes an SSLError or an
// SSLCertVerificationError (see tls_errors.go), anything else becomes an
// OSError carrying its text. MapError(nil) is nil.
func MapError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		kind, ok := errnoKinds[errno]
		if !ok {
			kind = KindOSError
		}
		return &Error{Kind: kind, Errno: errno, Message: errnoMessage(errno), Err: err}
	}
	if e := mapTLSError(err); e != nil {
		return e
	}
	return &Error{Kind: KindOSError, Message: err.Error(), Err: err}
}

// errnoMessage is strerror(errno) with Python's capitalisation.
func errnoMessage(errno syscall.Errno) string {
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// osErrorKinds are the kinds that are OSError or one of its subclasses in
// Python. asyncio treats these as connection-level failures.
var osErrorKinds = map[string]bool{
	KindOSError:                true,
	KindConnectionError:        true,
	KindConnectionResetError:   true,
	KindConnectionRefusedError: true,
	KindConnectionAbortedError: true,
	KindBrokenPipeError:        true,
	KindTimeoutError:           true,
	KindPermissionError:        true,
	KindFileNotFoundError:      true,
	KindFileExistsError:        true,
	KindProcessLookupError:     true,
	KindInterruptedError:       true,
	KindBlockingIOError:        true,
	KindIsADirectoryError:      true,
	KindNotADirectoryError:     true,
	KindGaiError:               true,
	KindSSLError:               true,
	KindSSLCertVerifyError:     true,
}

// IsOSError reports whether err maps to Python's OSError or one of its
// subclasses (ConnectionResetError, BrokenPipeError, gaierror, ...), the
// errors asyncio's transports do not report to the exception handler when
// they break a connection.
func IsOSError(err error) bool {
	e := MapError(err)
	return e != nil && (e.Errno != 0 || osErrorKinds[e.Kind])
}

// newErrnoError returns the Python exception for errno with a message of its
// own, as Python's OSError(errno, message).
func newErrnoError(errno syscall.Errno, message string) *Error {
	e := MapError(errno)
	e.Message = message
	return e
}
