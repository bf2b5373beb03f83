package transports

import (
	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// writeSide is the write half that the stream socket, write pipe and
// datagram transports share: the loop and protocol, flow control, the
// writer's registration, the count of dropped writes, and the closing state
// (closing, lost, released) that both halves read. Each of those transports
// embeds one and calls init.
//
// Closing goes one way. The transport owns it: its Close, Abort,
// ForceClose and fatalError decide when to close, schedule the one
// ConnectionLost and release the descriptor (closing.go has the helpers
// they share). The write side never closes: a write or a flush
// reports upward, as its result, whether the buffer is flushed
// (flushResult) or the connection failed (a fatal error, already reported
// to the exception handler as asyncio's _fatal_error does), and the
// transport closes on a failure.
//
// What differs stays with the transport: its buffer (bytes for a socket or
// a pipe, see byteWriteSide; (data, address) pairs for a datagram
// endpoint), the system calls it writes with, and everything about
// closing. writeSide's shared code reaches the transport only through
// writeOwner, which has nothing that closes; the transports' hot write
// paths use the fields directly.
type writeSide struct {
	l        *loop.Loop
	owner    writeOwner   // the transport that embeds this writeSide
	protocol BaseProtocol // the current protocol (nil after ConnectionLost)
	flow     writeFlow

	fd         int    // the descriptor written to
	onWritable func() // the owner's writeReady, made on first need

	// The flags and the counter share one word: a server holds a transport
	// per connection. The transport sets closeState's (closing.go).
	closeState
	writing       bool  // a writer is registered
	ignoredWrites int32 // writes dropped because the transport was closing or lost (stops counting at the threshold)
}

// writerWatcher is implemented by a transport whose writer goes through an
// fdWatch of its own (a pipe's, which also watches for the reader's close)
// rather than straight to the loop's poller.
type writerWatcher interface {
	writerWatch() *fdWatch
}

// writeOwner is what writeSide needs from the transport that embeds it:
// nothing that closes (see writeSide).
type writeOwner interface {
	// BaseTransport is only named, never called: the transport of the
	// exception handler's reports and of flow control's.
	BaseTransport

	// GetWriteBufferSize is the buffered size that flow control measures.
	GetWriteBufferSize() int
	// writeReady is the writer callback: it flushes the buffer.
	writeReady()
}

// init readies w for owner, which writes to fd: through its fdWatch if it
// is a writerWatcher (a pipe), else through the loop's poller (a socket).
func (w *writeSide) init(owner writeOwner, l *loop.Loop, fd int) {
	w.owner, w.l, w.fd = owner, l, fd
	w.flow.init()
}

// ---- exported methods, promoted to the transports ----

// IsClosing reports whether the transport is closing or closed.
func (w *writeSide) IsClosing() bool { return w.closing }

// GetProtocol returns the current protocol (nil after ConnectionLost).
func (w *writeSide) GetProtocol() BaseProtocol { return w.protocol }

// GetWriteBufferLimits returns the flow-control watermarks (low, high).
func (w *writeSide) GetWriteBufferLimits() (low, high int) { return w.flow.limits() }

// SetWriteBufferLimits sets the watermarks with asyncio's rules (see
// WriteTransport) and re-checks them at once.
func (w *writeSide) SetWriteBufferLimits(high, low *int) error {
	if err := w.flow.setLimits(high, low); err != nil {
		return err
	}
	w.flow.maybePause(w.l, w.owner.GetWriteBufferSize(), w.owner, w.protocol)
	return nil
}

// ---- the writer ----

// startWriting registers the writer callback, unless it is registered.
func (w *writeSide) startWriting() error {
	if w.writing {
		return nil
	}
	if w.onWritable == nil {
		w.onWritable = w.owner.writeReady // most transports never wait to write
	}
	var err error
	if ww, ok := w.owner.(writerWatcher); ok {
		err = ww.writerWatch().addWriter(w.onWritable)
	} else {
		err = w.l.AddWriter(w.fd, w.onWritable)
	}
	if err != nil {
		return err
	}
	w.writing = true
	return nil
}

// stopWriting unregisters the writer callback, if it is registered.
func (w *writeSide) stopWriting() {
	if !w.writing {
		return
	}
	w.writing = false
	if ww, ok := w.owner.(writerWatcher); ok {
		ww.writerWatch().removeWriter()
	} else {
		w.l.RemoveWriter(w.fd)
	}
}

// ---- failures ----

// reportFatal is the write side's half of a fatal error: it reports err
// and returns the error the transport closes with. As CPython 3.14's
// _SelectorTransport._fatal_error and _UnixWritePipeTransport._fatal_error:
// an OSError (ECONNRESET, EPIPE, ...) is reported to the exception handler
// only in debug mode; any other error (a protocol callback's panic, an empty
// get_buffer) always is.
func (w *writeSide) reportFatal(err error, message string) error {
	e := MapError(err)
	if !IsOSError(e) || w.l.GetDebug() {
		w.l.CallExceptionHandler(loop.ErrorContext{
			Message:   message,
			Err:       e,
			Transport: w.owner,
			Protocol:  w.protocol,
			Extra:     panicExtra(e),
		})
	}
	return e
}

// ---- the byte streams' write side (a socket, a pipe) ----

// byteWriteSide is the write side of the byte-stream transports, the stream
// socket and the write pipe: writeSide plus their buffer of the bytes the
// kernel refused. The write tried at once stays in each transport's Write,
// as the two write differently: a socket with a raw system call (it never
// blocks), a pipe with unix.Write (a regular file may wait for the disk).
// byteWriteSide takes over once the kernel has answered.
type byteWriteSide struct {
	writeSide
	buf *writeBuffer // what the kernel refused; made on first need
}

// GetWriteBufferSize returns the number of bytes buffered for writing.
func (w *byteWriteSide) GetWriteBufferSize() int { return w.buf.len() }

// pending returns the write buffer, making it on first need: most
// transports never have a write the kernel refuses.
func (w *byteWriteSide) pending() *writeBuffer {
	if w.buf == nil {
		w.buf = new(writeBuffer)
	}
	return w.buf
}

// unsent handles the answer to a write of data tried at once on an empty
// buffer (n bytes taken, or err): it buffers the rest, if any, after
// starting the writer for it. A fatal error (anything but EAGAIN and
// EINTR) is reported with message and returned as failed, for the
// transport to close with.
func (w *byteWriteSide) unsent(data []byte, n int, err error, message string) (failed error) {
	if err != nil {
		if err != unix.EAGAIN && err != unix.EINTR {
			return w.reportFatal(err, message)
		}
		n = 0
	}
	if n == len(data) {
		return nil
	}
	if failed := w.waitWritable(message); failed != nil {
		return failed
	}
	w.buffer(data[n:])
	return nil
}

// writelines is Writelines once the transport's own checks have passed
// (a closing transport's are dropped or buffered before): with nothing
// buffered, what it can of bufs is written at once, with one writev; the
// rest is buffered. A fatal error is reported with message and returned
// as failed, for the transport to close with.
func (w *byteWriteSide) writelines(bufs [][]byte, message string) (failed error) {
	if w.buf.len() == 0 {
		n, err := writevPrefix(w.fd, bufs)
		if err != nil {
			if err != unix.EAGAIN && err != unix.EINTR {
				return w.reportFatal(err, message)
			}
			n = 0
		}
		bufs = skipBytes(bufs, n)
		if totalLen(bufs) == 0 {
			return nil
		}
		if failed := w.waitWritable(message); failed != nil {
			return failed
		}
	}
	w.buffer(bufs...)
	return nil
}

// writevPrefix writes the start of bufs (up to maxIovecs non-empty buffers)
// with one writev and returns how many bytes the kernel took; (0, nil) if
// there is nothing to write.
func writevPrefix(fd int, bufs [][]byte) (int, error) {
	vecs := make([][]byte, 0, maxIovecs)
	for _, b := range bufs {
		if len(b) > 0 && len(vecs) < maxIovecs {
			vecs = append(vecs, b)
		}
	}
	if len(vecs) == 0 {
		return 0, nil
	}
	return writev(fd, vecs)
}

// waitWritable starts the writer for data about to be buffered. A failure
// is fatal: reported with message and returned.
func (w *byteWriteSide) waitWritable(message string) (failed error) {
	if err := w.startWriting(); err != nil {
		return w.reportFatal(err, message)
	}
	return nil
}

// buffer appends (copies of) data, which the kernel refused, to the buffer
// and pauses the protocol's writing if it has gone over the high-water mark.
func (w *byteWriteSide) buffer(data ...[]byte) {
	buf := w.pending()
	for _, b := range data {
		buf.append(b)
	}
	w.flow.maybePause(w.l, buf.len(), w.owner, w.protocol)
}

// flushResult is what a flush reports to its transport, which decides
// what follows (see writeSide: the write side never closes).
type flushResult uint8

const (
	// flushPending: the buffer still holds data (the kernel refused for
	// now, or took only part), or the protocol's resume_writing closed the
	// transport: the writer callback has nothing more to do now.
	flushPending flushResult = iota
	// flushed: the buffer is empty and the transport not lost: the writer
	// can stop, and a Close or WriteEOF that waited for it can complete.
	flushed
	// flushFailed: a fatal error, reported; the buffer is dropped and the
	// writer stopped, and the transport must close with the error.
	flushFailed
)

// flush is the writer callback's system call: it writes the start of the
// (non-empty) buffer, with write (the transport's own, see byteWriteSide)
// when one chunk waits and with writev when several do, drops what was sent
// and resumes the protocol's writing at the low-water mark. A fatal error
// is reported with message and returned with flushFailed.
func (w *byteWriteSide) flush(write func(fd int, p []byte) (int, error), message string) (flushResult, error) {
	vecs := w.buf.vectors()
	var n int
	var err error
	if len(vecs) == 1 {
		n, err = write(w.fd, vecs[0])
	} else {
		n, err = writev(w.fd, vecs)
	}
	if err != nil {
		if err == unix.EAGAIN || err == unix.EINTR {
			return flushPending, nil
		}
		w.stopWriting()
		w.buf.reset()
		return flushFailed, w.reportFatal(err, message)
	}
	w.buf.consume(n)
	w.flow.maybeResume(w.l, w.buf.len(), w.owner, w.protocol) // may write or close
	if w.buf.len() > 0 || w.lost {
		return flushPending, nil
	}
	return flushed, nil
}

// ---- ignored writes ----

// countIgnoredWrite counts a dropped write as asyncio's _conn_lost does:
// the count starts at first (1 when losing the connection counted as one,
// as a socket's does) and grows with each dropped write; every dropped
// write from logThresholdForConnLostWrites on is reported, in every mode,
// with message and no exception (asyncio's logger.warning).
func (w *writeSide) countIgnoredWrite(message string, first int32) {
	if w.ignoredWrites+first < logThresholdForConnLostWrites {
		w.ignoredWrites++
		return
	}
	w.l.CallExceptionHandler(loop.ErrorContext{
		Message:   message,
		Transport: w.owner,
		Protocol:  w.protocol,
	})
}
