package transports

import (
	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// writeSide is the write half that the stream socket, write pipe and
// datagram transports share: the loop and protocol, flow control, the
// writer's registration, and the closing lifecycle that ends in exactly one
// ConnectionLost. Each of those transports embeds one and calls init.
//
// What differs stays with the transport: its buffer (bytes for a socket or
// a pipe, see byteWriteSide; (data, address) pairs for a datagram
// endpoint), the system calls it writes with, what its Close and forceClose
// stop besides writing, and what releaseResources frees. writeSide's shared
// code reaches those through the owner hooks below; the transports' hot
// write paths use the fields directly.
type writeSide struct {
	l        *loop.Loop
	owner    writeOwner   // the transport that embeds this writeSide
	protocol BaseProtocol // the current protocol (nil after ConnectionLost)
	flow     writeFlow

	fd         int    // the descriptor written to
	onWritable func() // the owner's writeReady, made on first need

	// The flags and the counter share one word: a server holds a transport
	// per connection.
	closing       bool  // Close, WriteEOF (a pipe's), Abort or an error began closing
	lost          bool  // ConnectionLost is scheduled (or done)
	released      bool  // the descriptor is closed and references dropped
	writing       bool  // a writer is registered
	ignoredWrites int32 // writes dropped because the transport was closing or lost (stops counting at the threshold)
}

// writerWatcher is implemented by a transport whose writer goes through an
// fdWatch of its own (a pipe's, which also watches for the reader's close)
// rather than straight to the loop's poller.
type writerWatcher interface {
	writerWatch() *fdWatch
}

// writeOwner is what writeSide needs from the transport that embeds it.
type writeOwner interface {
	BaseTransport // reported to the exception handler and flow control

	// GetWriteBufferSize is the buffered size that flow control measures.
	GetWriteBufferSize() int
	// writeReady is the writer callback: it flushes the buffer.
	writeReady()
	// ignoreWrite counts a write dropped because the transport is closing
	// (with countIgnoredWrite, when the transport counts it).
	ignoreWrite()
	// forceClose drops what is buffered, stops reading and writing and
	// schedules ConnectionLost(err), unless that is already scheduled.
	forceClose(err error)
	// releaseResources closes the descriptor and drops every reference;
	// release calls it once, after ConnectionLost.
	releaseResources()
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

// Abort closes at once, dropping what is buffered; ConnectionLost(nil)
// follows on a later iteration.
func (w *writeSide) Abort() { w.owner.forceClose(nil) }

// ForceClose closes at once with err, as asyncio's _force_close: what is
// buffered is dropped and ConnectionLost(err) follows on a later iteration.
// A nil *Error counts as nil.
func (w *writeSide) ForceClose(err error) { w.owner.forceClose(plainNil(err)) }

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
// buffer (n bytes taken, or err): it returns the rest, to be buffered, after
// starting the writer for it. It returns nil when nothing is left or when a
// fatal error (anything but EAGAIN and EINTR, reported with message) closed
// the transport.
func (w *byteWriteSide) unsent(data []byte, n int, err error, message string) []byte {
	if err != nil {
		if err != unix.EAGAIN && err != unix.EINTR {
			w.fatalError(err, message)
			return nil
		}
		n = 0
	}
	if n == len(data) || !w.waitWritable(message) {
		return nil
	}
	return data[n:]
}

// writelines is Writelines once the transport's own checks have passed: on
// a closing transport it is ignored; with nothing buffered, what it can of
// bufs is written at once, with one writev; the rest is buffered. A fatal
// error is reported with message.
func (w *byteWriteSide) writelines(bufs [][]byte, message string) {
	if w.closing {
		if totalLen(bufs) > 0 {
			w.owner.ignoreWrite()
		}
		return
	}
	if w.buf.len() == 0 {
		n, err := writevPrefix(w.fd, bufs)
		if err != nil {
			if err != unix.EAGAIN && err != unix.EINTR {
				w.fatalError(err, message)
				return
			}
			n = 0
		}
		bufs = skipBytes(bufs, n)
		if totalLen(bufs) == 0 || !w.waitWritable(message) {
			return
		}
	}
	w.buffer(bufs...)
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

// waitWritable starts the writer for data about to be buffered; false after
// a fatal error (reported with message).
func (w *byteWriteSide) waitWritable(message string) bool {
	if err := w.startWriting(); err != nil {
		w.fatalError(err, message)
		return false
	}
	return true
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

// flush is the writer callback's system call: it writes the start of the
// (non-empty) buffer, with write (the transport's own, see byteWriteSide)
// when one chunk waits and with writev when several do, drops what was sent
// and resumes the protocol's writing at the low-water mark. It returns false
// when the callback has nothing more to do: the kernel refused for now
// (EAGAIN, EINTR), or a fatal error (reported with message) dropped the
// buffer and closed the transport.
func (w *byteWriteSide) flush(write func(fd int, p []byte) (int, error), message string) bool {
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
			return false
		}
		w.stopWriting()
		w.buf.reset()
		w.fatalError(err, message)
		return false
	}
	w.buf.consume(n)
	w.flow.maybeResume(w.l, w.buf.len(), w.owner, w.protocol) // may write or close
	return true
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

// ---- closing ----

// closeAfterFlush is Close for a socket transport: reading
// stops at once; ConnectionLost(nil) is scheduled now if nothing waits to
// be written (idle), else the writer callback calls it once the buffer is
// flushed. Closing twice is a no-op. (A pipe's Close is its WriteEOF, which
// keeps watching for the reader's close while it flushes.)
func (w *writeSide) closeAfterFlush(idle bool) {
	if w.closing {
		return
	}
	w.closing = true
	w.l.RemoveReader(w.fd)
	if idle {
		w.stopWriting()
		w.scheduleConnectionLost(nil)
	}
}

// fatalError breaks the connection with err. As CPython 3.14's
// _SelectorTransport._fatal_error and _UnixWritePipeTransport._fatal_error:
// an OSError (ECONNRESET, EPIPE, ...) is reported to the exception handler
// only in debug mode; any other error (a protocol callback's panic, an empty
// get_buffer) always is.
func (w *writeSide) fatalError(err error, message string) {
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
	w.owner.forceClose(e)
}

// scheduleConnectionLost marks ConnectionLost as scheduled and calls it with
// err on a later iteration, as asyncio's call_soon(_call_connection_lost).
func (w *writeSide) scheduleConnectionLost(err error) {
	w.lost = true
	w.l.CallSoon(func() { w.callConnectionLost(err) })
}

// connectionLostAfterFlush ends a Close that waited for the buffer to
// drain: as asyncio's _write_ready, the writer callback calls
// ConnectionLost(nil) at once.
func (w *writeSide) connectionLostAfterFlush() {
	w.lost = true
	w.callConnectionLost(nil)
}

// callConnectionLost calls the protocol's ConnectionLost, then (even if it
// panics) releases the transport.
func (w *writeSide) callConnectionLost(err error) {
	deliverConnectionLost(w.protocol, err, w)
}

// release has the owner close its descriptor and drop every reference,
// once.
func (w *writeSide) release() {
	if w.released {
		return
	}
	w.released = true
	w.owner.releaseResources()
}

// ---- helpers the read pipe transport shares too ----

// releaser is a transport that can close its descriptor and drop its
// references once ConnectionLost has run.
type releaser interface{ release() }

// deliverConnectionLost calls p.ConnectionLost(err) if p is not nil, then
// (even if it panics) r.release().
func deliverConnectionLost(p BaseProtocol, err error, r releaser) {
	defer r.release()
	if p != nil {
		p.ConnectionLost(err)
	}
}

// reprState is the state asyncio's transport reprs show: " closed" once
// released, " closing" while closing, else nothing.
func reprState(released, closing bool) string {
	switch {
	case released:
		return " closed"
	case closing:
		return " closing"
	}
	return ""
}

// reprPolling is how asyncio's transport reprs show a reader or writer:
// "polling" while it is registered, else "idle".
func reprPolling(registered bool) string {
	if registered {
		return "polling"
	}
	return "idle"
}

// plainNil returns nil for a nil *Error (a non-nil error interface that
// holds one), else err: ForceClose treats both as "no error".
func plainNil(err error) error {
	if e, ok := err.(*Error); ok && e == nil {
		return nil
	}
	return err
}
