package transports

import (
	"fmt"
	"os"

	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// Pipe transports: asyncio's _UnixReadPipeTransport and
// _UnixWritePipeTransport (unix_events.py). They drive a non-blocking pipe,
// FIFO, socket or character device through the loop, without goroutines.
//
// Regular files are accepted too, unlike asyncio (which raises ValueError):
// the kernel reports a regular file as always ready and epoll refuses to
// watch one, so the transport reads or writes it once per loop iteration
// until done (see fdWatch). Reading returns the file's bytes, then EOF;
// writing never meets EAGAIN, so each Write reaches the kernel at once and
// waits for the disk as a blocking write would.

// pipeEnd is the descriptor of a pipe transport.
type pipeEnd struct {
	file *os.File // the owner of fd, closed at the end (nil: close fd itself)
	fd   int
	mode uint32 // the S_IFMT bits of its fstat mode
}

// isRegular reports whether the descriptor is a regular file.
func (e pipeEnd) isRegular() bool { return e.mode == unix.S_IFREG }

// watchesClose reports whether a write transport on this descriptor can
// learn that the reader went away by watching it for reading, as asyncio
// does for pipes and sockets.
func (e pipeEnd) watchesClose() bool { return e.mode == unix.S_IFIFO || e.mode == unix.S_IFSOCK }

// close releases the descriptor.
func (e pipeEnd) close() {
	if e.file != nil {
		_ = e.file.Close()
		return
	}
	closeFD(e.fd)
}

// adoptPipe takes ownership of f for a pipe transport: it checks that f is a
// pipe, FIFO, socket, character device or regular file and makes it
// non-blocking. The descriptor is read without os.File.Fd, which would make
// it blocking again.
func adoptPipe(f *os.File) (pipeEnd, error) {
	if f == nil {
		return pipeEnd{}, NewError(KindTypeError, "pipe must be a file, not nil")
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return pipeEnd{}, MapError(fmt.Errorf("pipe %s: %w", f.Name(), err))
	}
	fd := -1
	if err := rc.Control(func(p uintptr) { fd = int(p) }); err != nil {
		return pipeEnd{}, MapError(fmt.Errorf("pipe %s: %w", f.Name(), err))
	}
	end, e := describePipe(fd)
	if e != nil {
		return pipeEnd{}, e
	}
	end.file = f
	return end, nil
}

// describePipe checks fd's type and makes it non-blocking.
func describePipe(fd int) (pipeEnd, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return pipeEnd{}, MapError(err)
	}
	mode := uint32(st.Mode) & unix.S_IFMT
	switch mode {
	case unix.S_IFIFO, unix.S_IFSOCK, unix.S_IFCHR, unix.S_IFREG:
	default:
		return pipeEnd{}, NewError(KindValueError, "Pipe transport is only for pipes, sockets, character devices and regular files")
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		return pipeEnd{}, MapError(err)
	}
	return pipeEnd{fd: fd, mode: mode}, nil
}

// connectPipe is ConnectReadPipe and ConnectWritePipe: f is adopted at once;
// the protocol and the transport are made on the next iteration.
func connectPipe(l *loop.Loop, factory ProtocolFactory, f *os.File, write bool) *loop.Future {
	fut := l.NewFuture()
	end, e := adoptPipe(f)
	if e != nil {
		_ = fut.SetException(e)
		return fut
	}
	l.CallSoon(func() {
		if fut.Done() { // cancelled
			end.close()
			return
		}
		p, err := callFactory(factory)
		if err != nil {
			end.close()
			_ = fut.SetException(err)
			return
		}
		if write {
			newWritePipeTransport(l, end, p, fut)
		} else {
			newReadPipeTransport(l, end, p, fut)
		}
	})
	return fut
}

// resolveWaiter schedules the Future's result once ConnectionMade has run;
// a Future cancelled meanwhile closes the transport.
func resolveWaiter(l *loop.Loop, waiter *loop.Future, t BaseTransport, p BaseProtocol) {
	if waiter == nil {
		return
	}
	l.CallSoon(func() {
		if waiter.Done() {
			t.Close()
			return
		}
		_ = waiter.SetResult(&Connection{Transport: t, Protocol: p})
	})
}

// connectSoon starts a new transport t as asyncio's pipe and datagram
// transports do: it takes a loop reference for t and schedules
// ConnectionMade, then start (reading or watching; none if nil), then the
// waiter's result.
func connectSoon(l *loop.Loop, t BaseTransport, p BaseProtocol, start func(), waiter *loop.Future) {
	l.Ref()
	l.CallSoon(func() { p.ConnectionMade(t) })
	if start != nil {
		l.CallSoon(start)
	}
	resolveWaiter(l, waiter, t, p)
}

// ---- read pipe ----

// readPipeTransport is the read end of a pipe, asyncio's
// _UnixReadPipeTransport: a ReadTransport that calls DataReceived with what
// it reads, then at EOF EOFReceived (its result is ignored) and
// ConnectionLost(nil).
type readPipeTransport struct {
	l        *loop.Loop
	end      pipeEnd
	watch    *fdWatch
	protocol BaseProtocol
	data     Protocol // protocol as a Protocol, or nil

	closing  bool // Close, EOF or an error began closing
	paused   bool // PauseReading is in effect
	lost     bool // ConnectionLost is scheduled (or done)
	released bool

	onReadable func()
}

var (
	_ ReadTransport = (*readPipeTransport)(nil)
	_ ForceCloser   = (*readPipeTransport)(nil)
)

// newReadPipeTransport wraps end and takes ownership of it.
func newReadPipeTransport(l *loop.Loop, end pipeEnd, p BaseProtocol, waiter *loop.Future) *readPipeTransport {
	t := &readPipeTransport{l: l, end: end, watch: newFDWatch(l, end.fd, end.isRegular())}
	t.onReadable = t.readReady
	t.SetProtocol(p)
	connectSoon(l, t, p, t.startReading, waiter)
	return t
}

// String describes the transport as asyncio's repr does.
func (t *readPipeTransport) String() string {
	return fmt.Sprintf("<read pipe transport%s fd=%d %s>", reprState(t.released, t.closing), t.end.fd, reprPolling(t.IsReading()))
}

// Close stops reading; ConnectionLost(nil) follows on a later iteration.
func (t *readPipeTransport) Close() {
	if !t.closing {
		t.closeWith(nil)
	}
}

// ForceClose closes at once with err, as asyncio's _close(exc). A nil
// *Error counts as nil.
func (t *readPipeTransport) ForceClose(err error) { t.closeWith(plainNil(err)) }

// IsClosing reports whether the transport is closing or closed.
func (t *readPipeTransport) IsClosing() bool { return t.closing }

// GetExtraInfo returns "pipe": the *os.File (the one given to
// ConnectReadPipe); nil for any other name.
func (t *readPipeTransport) GetExtraInfo(name string) any {
	if name == "pipe" && t.end.file != nil {
		return t.end.file
	}
	return nil
}

// SetProtocol switches the protocol.
func (t *readPipeTransport) SetProtocol(p BaseProtocol) {
	t.protocol = p
	t.data, _ = p.(Protocol)
}

// GetProtocol returns the current protocol (nil after ConnectionLost).
func (t *readPipeTransport) GetProtocol() BaseProtocol { return t.protocol }

// IsReading reports whether the transport is receiving data.
func (t *readPipeTransport) IsReading() bool { return !t.paused && !t.closing }

// PauseReading stops reading until ResumeReading.
func (t *readPipeTransport) PauseReading() {
	if !t.IsReading() {
		return
	}
	t.paused = true
	t.watch.removeReader()
}

// ResumeReading resumes reading.
func (t *readPipeTransport) ResumeReading() {
	if t.closing || !t.paused {
		return
	}
	t.paused = false
	t.startReading()
}

func (t *readPipeTransport) startReading() {
	if !t.IsReading() {
		return
	}
	if err := t.watch.addReader(t.onReadable); err != nil {
		t.fatalError(err, "Fatal error on pipe transport")
	}
}

// readReady reads once (up to the loop's read buffer) per readiness event.
func (t *readPipeTransport) readReady() {
	if t.lost {
		return
	}
	buf := t.l.ReadBuffer()
	n, err := unix.Read(t.end.fd, buf)
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
	case err != nil:
		t.fatalError(err, "Fatal read error on pipe transport")
	case n == 0:
		t.eofReceived()
	default:
		t.deliverData(buf[:n])
	}
}

// eofReceived handles the writer's close, as asyncio: EOFReceived and then
// ConnectionLost(nil), each on the next iteration.
func (t *readPipeTransport) eofReceived() {
	t.closing = true
	t.lost = true
	t.watch.removeReader()
	t.l.CallSoon(t.callEOFReceived)
	t.l.CallSoon(func() { deliverConnectionLost(t.protocol, nil, t) })
}

// callEOFReceived calls EOFReceived; a panic there is reported.
func (t *readPipeTransport) callEOFReceived() {
	p := t.protocol
	defer recoverAndReport(t.l, t, p, callbackEOFReceived)
	if t.data != nil {
		t.data.EOFReceived()
	}
}

// deliverData calls DataReceived; a panic there is a fatal error, as for a
// stream transport.
func (t *readPipeTransport) deliverData(data []byte) {
	const name = callbackDataReceived
	defer recoverFatal(name, t.fatalError, nil)
	if t.data == nil {
		t.fatalError(NewError(KindTypeError, fmt.Sprintf("protocol %T is not a Protocol", t.protocol)), fatalMessage(name))
		return
	}
	t.data.DataReceived(data)
}

// fatalError closes with err. As asyncio's read pipe, every error is
// reported except EIO (what a pseudo-terminal gives once its other side is
// gone), which is reported in debug mode only.
func (t *readPipeTransport) fatalError(err error, message string) {
	e := MapError(err)
	if e.Errno != unix.EIO || t.l.GetDebug() {
		t.l.CallExceptionHandler(loop.ErrorContext{
			Message:   message,
			Err:       e,
			Transport: t,
			Protocol:  t.protocol,
			Extra:     panicExtra(e),
		})
	}
	t.closeWith(e)
}

// closeWith stops reading and schedules ConnectionLost(err), once.
func (t *readPipeTransport) closeWith(err error) {
	t.closing = true
	if t.lost {
		return
	}
	t.lost = true
	t.watch.removeReader()
	t.l.CallSoon(func() { deliverConnectionLost(t.protocol, err, t) })
}

// release closes the descriptor and drops every reference, once.
func (t *readPipeTransport) release() {
	if t.released {
		return
	}
	t.released = true
	t.watch.stop()
	t.end.close()
	t.protocol, t.data = nil, nil
	t.l.Unref()
}

// ---- write pipe ----

// writePipeTransport is the write end of a pipe, asyncio's
// _UnixWritePipeTransport: the stream transport's write path (try the system
// call first, buffer the rest, flow control), where Close and WriteEOF both
// flush and then close. For a pipe or a socket, the descriptor is also
// watched for reading: that is how the transport learns that the reader went
// away — ConnectionLost(nil) if nothing was buffered, else
// ConnectionLost(BrokenPipeError). A write that fails with EPIPE ends in
// ConnectionLost(BrokenPipeError) as well.
type writePipeTransport struct {
	// byteWriteSide holds the loop, the protocol, the write buffer, flow
	// control and the closing state; its writer goes through watch.
	byteWriteSide

	end   pipeEnd
	watch *fdWatch // end.fd's, for the writer and the reader's close

	onReadable func()
}

var (
	_ WriteTransport = (*writePipeTransport)(nil)
	_ ForceCloser    = (*writePipeTransport)(nil)
)

// newWritePipeTransport wraps end and takes ownership of it.
func newWritePipeTransport(l *loop.Loop, end pipeEnd, p BaseProtocol, waiter *loop.Future) *writePipeTransport {
	t := &writePipeTransport{end: end, watch: newFDWatch(l, end.fd, end.isRegular())}
	t.writeSide.init(t, l, end.fd)
	t.protocol = p
	t.onReadable = t.readerGone
	var watchReader func()
	if end.watchesClose() {
		watchReader = t.watchReader
	}
	connectSoon(l, t, p, watchReader, waiter)
	return t
}

// String describes the transport as asyncio's repr does.
func (t *writePipeTransport) String() string {
	return fmt.Sprintf("<write pipe transport%s fd=%d %s bufsize=%d>", reprState(t.released, t.closing), t.end.fd, reprPolling(t.writing), t.buf.len())
}

// writerWatch makes the pipe a writerWatcher: its writer goes through watch.
func (t *writePipeTransport) writerWatch() *fdWatch { return t.watch }

// watchReader starts watching for the reader's close (asyncio's reader
// trick), unless the transport is already closing.
func (t *writePipeTransport) watchReader() {
	if t.closing {
		return
	}
	if err := t.watch.addReader(t.onReadable); err != nil {
		t.fatalError(err, "Fatal error on pipe transport")
	}
}

// readerGone is called when the write end reports readable: the reader
// closed its end.
func (t *writePipeTransport) readerGone() {
	if t.lost {
		return
	}
	if t.buf.len() > 0 {
		// asyncio's BrokenPipeError() here has no errno.
		t.ForceClose(&Error{Kind: KindBrokenPipeError, Err: unix.EPIPE})
		return
	}
	t.ForceClose(nil)
}

// Close flushes the buffer, then closes (as WriteEOF).
func (t *writePipeTransport) Close() { _ = t.WriteEOF() }

// Abort closes at once, dropping what is buffered; ConnectionLost(nil)
// follows on a later iteration.
func (t *writePipeTransport) Abort() { t.ForceClose(nil) }

// GetExtraInfo returns "pipe": the *os.File (the one given to
// ConnectWritePipe); nil for any other name.
func (t *writePipeTransport) GetExtraInfo(name string) any {
	if name == "pipe" && t.end.file != nil {
		return t.end.file
	}
	return nil
}

// SetProtocol switches the protocol.
func (t *writePipeTransport) SetProtocol(p BaseProtocol) { t.protocol = p }

// Write writes data at once if nothing is buffered and buffers (a copy of)
// what the kernel refused. Writing to a closing transport is ignored, as is
// writing after WriteEOF (asyncio's pipe transports do not raise).
func (t *writePipeTransport) Write(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	if t.closing {
		t.ignoreWrite()
		return nil
	}
	if t.buf.len() > 0 {
		t.buffer(data)
		return nil
	}
	n, err := unix.Write(t.end.fd, data)
	if failed := t.unsent(data, n, err, "Fatal write error on pipe transport"); failed != nil {
		t.ForceClose(failed)
	}
	return nil
}

// Writelines writes the buffers in order, as one write; on a closing pipe
// they are dropped, as Write's.
func (t *writePipeTransport) Writelines(bufs [][]byte) error {
	if t.closing {
		if totalLen(bufs) > 0 {
			t.ignoreWrite()
		}
		return nil
	}
	if failed := t.writelines(bufs, "Fatal write error on pipe transport"); failed != nil {
		t.ForceClose(failed)
	}
	return nil
}

// writeReady drains the buffer; once it is empty it resumes the protocol's
// writing and finishes a pending close.
func (t *writePipeTransport) writeReady() {
	if t.lost {
		return
	}
	if t.buf.len() == 0 {
		t.stopWriting()
		return
	}
	switch res, failed := t.flush(unix.Write, "Fatal write error on pipe transport"); res {
	case flushFailed:
		t.ForceClose(failed)
	case flushed:
		t.stopWriting()
		if t.closing {
			t.watch.removeReader()
			t.connectionLostNow(t)
		}
	}
}

// WriteEOF closes the pipe once the buffer is flushed: for a pipe, that is
// all EOF means. Calling it again is a no-op.
func (t *writePipeTransport) WriteEOF() error {
	if t.closing {
		return nil
	}
	t.closing = true
	if t.buf.len() == 0 {
		t.watch.removeReader()
		t.scheduleConnectionLost(t.l, t, nil)
	}
	return nil
}

// CanWriteEOF reports true.
func (t *writePipeTransport) CanWriteEOF() bool { return true }

// IsClosing, GetProtocol, GetWriteBufferSize, GetWriteBufferLimits and
// SetWriteBufferLimits come from the embedded byteWriteSide
// (writeside.go). The transport owns its close (closing.go).

// ignoreWrite counts a write to a closing or lost pipe (asyncio's pipe
// counts from 0, the loss not included); from the sixth on each is
// reported.
func (t *writePipeTransport) ignoreWrite() {
	t.countIgnoredWrite("pipe closed by peer or os.write(pipe, data) raised exception.", 0)
}

// ForceClose closes at once with err, as asyncio's _force_close: it drops
// the buffer, stops watching and schedules ConnectionLost(err), once. It
// stops watching for the reader's close even when closing has begun:
// WriteEOF keeps that watch while it flushes. A nil *Error counts as nil.
func (t *writePipeTransport) ForceClose(err error) {
	err = plainNil(err)
	t.closing = true
	if t.lost {
		return
	}
	t.stopWriting()
	t.buf.reset()
	t.watch.removeReader()
	t.scheduleConnectionLost(t.l, t, err)
}

// fatalError breaks the connection with err: reported, then closed at once.
func (t *writePipeTransport) fatalError(err error, message string) {
	t.ForceClose(t.reportFatal(err, message))
}

// releaseResources closes the descriptor and drops every reference
// (closeState calls it once, after ConnectionLost).
func (t *writePipeTransport) releaseResources() {
	t.writing = false
	t.watch.stop()
	t.end.close()
	t.buf = nil
	t.protocol = nil
	t.l.Unref()
}
