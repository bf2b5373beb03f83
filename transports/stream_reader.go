package transports

import (
	"bytes"
	"fmt"

	"github.com/starnet-dev/starnet/loop"
)

// Stream error kinds (asyncio.IncompleteReadError, asyncio.LimitOverrunError).
const (
	KindIncompleteReadError = "IncompleteReadError"
	KindLimitOverrunError   = "LimitOverrunError"
)

// DefaultStreamLimit is asyncio's default buffer limit of a StreamReader.
const DefaultStreamLimit = 64 * 1024

// IncompleteReadError is asyncio.IncompleteReadError: EOF came before the
// expected bytes. Partial holds what was read; Expected is -1 when the
// read had no length (readuntil).
type IncompleteReadError struct {
	Partial  []byte
	Expected int
}

// Error reads like Python's str() with the class name.
func (e *IncompleteReadError) Error() string {
	return KindIncompleteReadError + ": " + e.ExceptionMessage()
}

// ExceptionKind returns "IncompleteReadError" (loop.Exception).
func (e *IncompleteReadError) ExceptionKind() string { return KindIncompleteReadError }

// ExceptionMessage is asyncio's text.
func (e *IncompleteReadError) ExceptionMessage() string {
	expected := "undefined"
	if e.Expected >= 0 {
		expected = fmt.Sprint(e.Expected)
	}
	return fmt.Sprintf("%d bytes read on a total of %s expected bytes", len(e.Partial), expected)
}

// LimitOverrunError is asyncio.LimitOverrunError: the buffer reached the
// limit before the separator was found. Consumed is the number of bytes
// to be consumed (asyncio's `consumed`).
type LimitOverrunError struct {
	Message  string
	Consumed int
}

// Error reads like Python's str() with the class name.
func (e *LimitOverrunError) Error() string { return KindLimitOverrunError + ": " + e.Message }

// ExceptionKind returns "LimitOverrunError" (loop.Exception).
func (e *LimitOverrunError) ExceptionKind() string { return KindLimitOverrunError }

// ExceptionMessage returns the message.
func (e *LimitOverrunError) ExceptionMessage() string { return e.Message }

// StreamReader is asyncio.StreamReader: a buffer fed by a protocol, read
// through Futures. Only one read may wait at a time. The transport is paused
// when the buffer goes over twice the limit and resumed when it drains to
// the limit or below. It is used on the loop's goroutine only.
type StreamReader struct {
	l      *loop.Loop
	limit  int
	buf    []byte
	eof    bool
	err    error
	t      ReadTransport
	paused bool
	// result makes a read's result from the bytes read (nil: a copy, as
	// []byte); see SetResultMaker.
	result func([]byte) any
	// waiter retries the pending read: it returns true once the read's
	// Future is done (or was cancelled).
	waiter func() bool
}

// NewStreamReader returns a reader with the given limit (> 0).
func NewStreamReader(l *loop.Loop, limit int) *StreamReader {
	if limit <= 0 {
		limit = DefaultStreamLimit
	}
	return &StreamReader{l: l, limit: limit}
}

// SetResultMaker makes the Futures of successful reads complete with
// make(data) instead of a []byte copy of data: a binding that needs its
// own value (a Starlark bytes) makes it from the buffer once. make must
// copy what it keeps; data is valid only during the call. Readline's
// partial line at EOF stays a []byte.
func (r *StreamReader) SetResultMaker(make func(data []byte) any) { r.result = make }

// Limit returns the buffer limit.
func (r *StreamReader) Limit() int { return r.limit }

// SetTransport sets the transport that flow control pauses.
func (r *StreamReader) SetTransport(t ReadTransport) { r.t = t }

// Exception returns the error the reader was failed with, or nil.
func (r *StreamReader) Exception() error { return r.err }

// SetException fails the reader: the waiting read, and every later read
// once the buffer cannot satisfy it, fail with err.
func (r *StreamReader) SetException(err error) {
	r.err = err
	r.wakeup()
}

// FeedEOF marks the end of the stream.
func (r *StreamReader) FeedEOF() {
	r.eof = true
	r.wakeup()
}

// AtEOF reports whether the buffer is empty and FeedEOF was called.
func (r *StreamReader) AtEOF() bool { return r.eof && len(r.buf) == 0 }

// Buffered returns the bytes received and not yet read (valid until the
// next call on the reader).
func (r *StreamReader) Buffered() []byte { return r.buf }

// FeedData appends received bytes (copied) and pauses the transport when
// the buffer goes over twice the limit.
func (r *StreamReader) FeedData(data []byte) {
	if len(data) == 0 {
		return
	}
	r.buf = append(r.buf, data...)
	r.wakeup()
	if r.t != nil && !r.paused && len(r.buf) > 2*r.limit {
		r.t.PauseReading()
		r.paused = true
	}
}

// takeBuffer removes and returns every buffered byte (for StartTLS, which
// hands them to the TLS layer); a transport paused for the buffer is left
// to StartTLS to resume.
func (r *StreamReader) takeBuffer() []byte {
	b := r.buf
	r.buf = nil
	r.paused = false
	return b
}

func (r *StreamReader) wakeup() {
	if r.waiter != nil && r.waiter() {
		r.waiter = nil
	}
}

// consume drops n bytes from the buffer's start, returning a copy of
// them, and resumes the transport once the buffer is at the limit or
// below.
func (r *StreamReader) consume(n int) []byte {
	out := bytes.Clone(r.buf[:n])
	r.drop(n)
	return out
}

// drop drops n bytes from the buffer's start and resumes the transport
// once the buffer is at the limit or below.
func (r *StreamReader) drop(n int) {
	if n == len(r.buf) {
		r.buf = r.buf[:0]
	} else {
		r.buf = r.buf[n:]
	}
	if r.paused && len(r.buf) <= r.limit {
		r.paused = false
		if r.t != nil {
			r.t.ResumeReading()
		}
	}
}

// take consumes n bytes as a read's result (see SetResultMaker).
func (r *StreamReader) take(n int) any {
	if r.result == nil {
		return r.consume(n)
	}
	v := r.result(r.buf[:n])
	r.drop(n)
	return v
}

// start runs try at once and, if it could not finish, keeps it as the
// waiting read; it returns fut.
func (r *StreamReader) start(name string, fut *loop.Future, try func() bool) *loop.Future {
	if try() {
		return fut
	}
	if r.waiter != nil {
		_ = fut.SetException(loop.Errorf(KindRuntimeError, "%s() called while another coroutine is already waiting for incoming data", name))
		return fut
	}
	r.waiter = func() bool { return fut.Done() || try() }
	if r.paused && r.t != nil { // nothing can be read without more data
		r.paused = false
		r.t.ResumeReading()
	}
	return fut
}

// Read reads up to n bytes (n < 0: until EOF). It completes with []byte,
// empty at EOF.
func (r *StreamReader) Read(n int) *loop.Future {
	fut := r.l.NewFuture()
	if n == 0 {
		_ = fut.SetResult([]byte{})
		return fut
	}
	return r.start("read", fut, func() bool {
		switch {
		case n < 0 && r.err == nil && !r.eof:
			return false
		case n < 0 && r.err != nil:
			_ = fut.SetException(r.err)
		case n < 0:
			_ = fut.SetResult(r.take(len(r.buf)))
		case len(r.buf) > 0:
			_ = fut.SetResult(r.take(min(n, len(r.buf))))
		case r.err != nil:
			_ = fut.SetException(r.err)
		case r.eof:
			_ = fut.SetResult([]byte{})
		default:
			return false
		}
		return true
	})
}

// ReadExactly reads exactly n bytes, or fails with IncompleteReadError at
// EOF.
func (r *StreamReader) ReadExactly(n int) *loop.Future {
	fut := r.l.NewFuture()
	if n < 0 {
		_ = fut.SetException(NewError(KindValueError, "readexactly size can not be less than zero"))
		return fut
	}
	return r.start("readexactly", fut, func() bool {
		switch {
		case len(r.buf) >= n:
			_ = fut.SetResult(r.take(n))
		case r.err != nil:
			_ = fut.SetException(r.err)
		case r.eof:
			_ = fut.SetException(&IncompleteReadError{Partial: r.consume(len(r.buf)), Expected: n})
		default:
			return false
		}
		return true
	})
}

// ReadUntil reads up to and including sep. At EOF it fails with
// IncompleteReadError (the partial bytes are consumed); past the limit with
// LimitOverrunError (nothing is consumed).
func (r *StreamReader) ReadUntil(sep []byte) *loop.Future {
	return r.readUntil("readuntil", sep, failRead)
}

// newline is readline's separator.
var newline = []byte("\n")

// Readline reads one line, "\n" included. At EOF it returns the partial
// line; past the limit it fails with ValueError, and drops the line (or the
// buffer) as asyncio does.
func (r *StreamReader) Readline() *loop.Future {
	return r.readUntil("readline", newline, failReadline)
}

// failRead completes a read's Future with err.
func failRead(_ *StreamReader, fut *loop.Future, err error) { _ = fut.SetException(err) }

// failReadline completes readline's Future for err as asyncio does.
func failReadline(r *StreamReader, fut *loop.Future, err error) {
	switch e := err.(type) {
	case *IncompleteReadError:
		_ = fut.SetResult(e.Partial)
	case *LimitOverrunError:
		if bytes.HasPrefix(r.buf[e.Consumed:], newline) {
			r.consume(e.Consumed + 1)
		} else {
			r.consume(len(r.buf))
		}
		_ = fut.SetException(NewError(KindValueError, e.Message))
	default:
		_ = fut.SetException(err)
	}
}

// readUntil is ReadUntil; fail completes fut for an error.
func (r *StreamReader) readUntil(name string, sep []byte, fail func(*StreamReader, *loop.Future, error)) *loop.Future {
	fut := r.l.NewFuture()
	if len(sep) == 0 {
		_ = fut.SetException(NewError(KindValueError, "Separator should be at least one-byte string"))
		return fut
	}
	offset := 0
	return r.start(name, fut, func() bool {
		if i := bytes.Index(r.buf[offset:], sep); i >= 0 {
			end := offset + i + len(sep)
			if end > r.limit {
				fail(r, fut, &LimitOverrunError{Message: "Separator is found, but chunk is longer than limit", Consumed: offset + i})
				return true
			}
			_ = fut.SetResult(r.take(end))
			return true
		}
		offset = max(0, len(r.buf)+1-len(sep))
		switch {
		case offset > r.limit:
			fail(r, fut, &LimitOverrunError{Message: "Separator is not found, and chunk exceed the limit", Consumed: offset})
		case r.err != nil:
			fail(r, fut, r.err)
		case r.eof:
			fail(r, fut, &IncompleteReadError{Partial: r.consume(len(r.buf)), Expected: -1})
		default:
			return false
		}
		return true
	})
}
