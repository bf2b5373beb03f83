package transports

import (
	"fmt"
	"net"

	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// logThresholdForConnLostWrites is how many writes to a lost connection are
// dropped silently before each further one is reported (asyncio's
// LOG_THRESHOLD_FOR_CONNLOST_WRITES).
const logThresholdForConnLostWrites = 5

// socketTransport is a TCP or Unix stream socket transport, asyncio's
// _SelectorSocketTransport. It owns its non-blocking descriptor and drives it
// through the loop's reader and writer callbacks; it never starts a
// goroutine.
//
// Lifecycle: the constructor schedules ConnectionMade, then the start of
// reading (so PauseReading inside ConnectionMade is honoured), then the
// waiter. Close, Abort, ForceClose and fatal errors end in exactly one
// ConnectionLost, on a later iteration, after which the descriptor is
// closed, the protocol dropped and the loop reference released.
type socketTransport struct {
	// byteWriteSide holds the loop, the descriptor, the protocol (a
	// BufferedProtocol, a Protocol, or neither: a fatal error), the write
	// buffer, flow control and the closing state; its writer goes to the
	// loop's poller.
	byteWriteSide

	sock     *Socket
	peername net.Addr
	sockname net.Addr // read on first need, and at the latest when the socket closes
	server   *Server

	paused   bool // PauseReading is in effect
	readEOF  bool // the peer half-closed; reading has stopped for good
	writeEOF bool // WriteEOF was called

	sendfile *sendfileJob // the Sendfile in progress, if any

	onReadable func()
}

var (
	_ Transport   = (*socketTransport)(nil)
	_ ForceCloser = (*socketTransport)(nil)
)

// newSocketTransport wraps fd, a connected non-blocking stream socket of the
// given family, and takes ownership of it. peer is the peer address when the
// caller knows it (from accept), else nil. waiter, if not nil, receives a
// *Connection once ConnectionMade has run.
func newSocketTransport(l *loop.Loop, fd, family int, p BaseProtocol, server *Server, peer net.Addr, waiter *loop.Future) *socketTransport {
	t := &socketTransport{sock: newSocket(fd, family, unix.SOCK_STREAM), server: server}
	t.writeSide.init(t, l, fd)
	t.onReadable = t.readReady
	setNoDelay(fd, family)
	if peer == nil {
		peer = t.sock.Getpeername()
	}
	t.peername = peer
	t.SetProtocol(p)
	l.Ref()
	if server != nil {
		server.attach(t)
	}
	l.CallSoon(func() { t.begin(p, waiter) })
	return t
}

// begin does in one callback what asyncio schedules as three in a row:
// ConnectionMade, the start of reading, and the waiter's result. A panic
// in ConnectionMade does not stop the other two (the loop reports it once
// they are done), as it would not stop the next callbacks. One callback
// instead of three spares a server two handles and closures per
// connection.
func (t *socketTransport) begin(p BaseProtocol, waiter *loop.Future) {
	defer t.started(p, waiter)
	p.ConnectionMade(t)
}

// started starts reading and resolves the waiter, if any.
func (t *socketTransport) started(p BaseProtocol, waiter *loop.Future) {
	t.startReading()
	if waiter == nil {
		return
	}
	if waiter.Done() { // cancelled while connecting
		t.Close()
		return
	}
	_ = waiter.SetResult(&Connection{Transport: t, Protocol: p})
}

// String describes the transport as asyncio's repr does.
func (t *socketTransport) String() string {
	return fmt.Sprintf("<socket transport%s fd=%d read=%s write=<%s, bufsize=%d>>",
		reprState(t.released, t.closing), t.sock.Fileno(),
		reprPolling(t.IsReading() && !t.readEOF), reprPolling(t.writing), t.buf.len())
}

// ---- BaseTransport ----

// Close stops reading at once; ConnectionLost(nil) is scheduled now if
// nothing waits to be written, else writeReady calls it once the buffer is
// flushed (and a Sendfile done). Closing twice is a no-op.
func (t *socketTransport) Close() {
	if t.closing {
		return
	}
	t.closing = true
	t.l.RemoveReader(t.fd)
	if t.buf.len() == 0 && t.sendfile == nil {
		t.stopWriting()
		t.scheduleConnectionLost(t.l, t, nil)
	}
}

// Abort closes at once, dropping what is buffered; ConnectionLost(nil)
// follows on a later iteration.
func (t *socketTransport) Abort() { t.ForceClose(nil) }

// GetExtraInfo returns "peername", "sockname" (net.Addr) or "socket"
// (*Socket); nil for any other name or an unknown address.
func (t *socketTransport) GetExtraInfo(name string) any {
	switch name {
	case "peername":
		if t.peername != nil {
			return t.peername
		}
	case "sockname":
		if t.sockname == nil && !t.released {
			t.sockname = streamSockname(t.sock)
		}
		if t.sockname != nil {
			return t.sockname
		}
	case "socket":
		return t.sock
	}
	return nil
}

// SetProtocol switches the protocol. A BufferedProtocol is read into its own
// buffer, anything else that is a Protocol gets DataReceived; the choice is
// made again for every read.
func (t *socketTransport) SetProtocol(p BaseProtocol) {
	t.protocol = p
}

// ---- ReadTransport ----

// IsReading reports whether the transport is receiving data.
func (t *socketTransport) IsReading() bool { return !t.closing && !t.paused }

// PauseReading stops reading until ResumeReading.
func (t *socketTransport) PauseReading() {
	if !t.IsReading() {
		return
	}
	t.paused = true
	t.l.RemoveReader(t.fd)
}

// ResumeReading resumes reading.
func (t *socketTransport) ResumeReading() {
	if t.closing || !t.paused {
		return
	}
	t.paused = false
	t.startReading()
}

// startReading registers the reader if the transport should be reading.
// After the peer's EOF there is nothing more to read, so it stays off.
func (t *socketTransport) startReading() {
	if !t.IsReading() || t.readEOF {
		return
	}
	if err := t.l.AddReader(t.fd, t.onReadable); err != nil {
		t.fatalError(err, "Fatal error on socket transport")
	}
}

// readReady is the reader callback: one read per readiness event, into the
// protocol's own buffer or the loop's shared one.
func (t *socketTransport) readReady() {
	if t.lost {
		return
	}
	switch p := t.protocol.(type) {
	case BufferedProtocol:
		t.readIntoProtocolBuffer(p)
	case Protocol:
		t.readIntoLoopBuffer(p)
	default:
		t.readIntoLoopBuffer(nil) // DataReceived cannot be called: fatal
	}
}

func (t *socketTransport) readIntoLoopBuffer(dp Protocol) {
	buf := t.l.ReadBuffer()
	if n, ok := t.read(buf); ok {
		t.deliverData(dp, buf[:n])
	}
}

func (t *socketTransport) readIntoProtocolBuffer(bp BufferedProtocol) {
	buf, ok := t.getBuffer(bp)
	if !ok || t.lost {
		return // a failed get_buffer closed the transport: nothing is read
	}
	if n, ok := t.read(buf); ok {
		t.bufferUpdated(bp, n)
	}
}

// read reads once into buf and returns how many bytes came; false when
// none did: a spurious wakeup is ignored, the peer's EOF is handled
// (eofReceived), and any other error breaks the connection.
func (t *socketTransport) read(buf []byte) (int, bool) {
	n, err := sockRead(t.fd, buf)
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
		return 0, false
	case err != nil:
		t.fatalError(err, "Fatal read error on socket transport")
		return 0, false
	case n == 0:
		t.eofReceived()
		return 0, false
	}
	return n, true
}

// deliverData calls DataReceived; a panic there is a fatal error.
func (t *socketTransport) deliverData(dp Protocol, data []byte) {
	const name = callbackDataReceived
	defer recoverFatal(name, t.fatalError, nil)
	if dp == nil {
		t.fatalError(t.notAStreamProtocol(), fatalMessage(name))
		return
	}
	dp.DataReceived(data)
}

// getBuffer asks a BufferedProtocol for a buffer; an empty one or a panic
// is a fatal error.
func (t *socketTransport) getBuffer(bp BufferedProtocol) (buf []byte, ok bool) {
	const name = callbackGetBuffer
	defer recoverFatal(name, t.fatalError, &ok)
	buf = bp.GetBuffer(-1)
	if len(buf) == 0 {
		t.fatalError(NewError(KindRuntimeError, "get_buffer() returned an empty buffer"), fatalMessage(name))
		return nil, false
	}
	return buf, true
}

// bufferUpdated calls BufferUpdated; a panic there is a fatal error.
func (t *socketTransport) bufferUpdated(bp BufferedProtocol, n int) {
	const name = callbackBufferUpdated
	defer recoverFatal(name, t.fatalError, nil)
	bp.BufferUpdated(n)
}

// eofReceived handles the peer's half-close: EOFReceived returning true
// keeps the transport open for writing, false closes it.
func (t *socketTransport) eofReceived() {
	t.readEOF = true
	keepOpen, ok := t.callEOFReceived()
	if !ok {
		return
	}
	if keepOpen {
		t.l.RemoveReader(t.fd)
	} else {
		t.Close()
	}
}

func (t *socketTransport) callEOFReceived() (keepOpen, ok bool) {
	const name = callbackEOFReceived
	defer recoverFatal(name, t.fatalError, &ok)
	switch p := t.protocol.(type) {
	case BufferedProtocol:
		return p.EOFReceived(), true
	case Protocol:
		return p.EOFReceived(), true
	}
	t.fatalError(t.notAStreamProtocol(), fatalMessage(name))
	return false, false
}

func (t *socketTransport) notAStreamProtocol() error {
	return NewError(KindTypeError, fmt.Sprintf("protocol %T is neither a Protocol nor a BufferedProtocol", t.protocol))
}

// ---- WriteTransport ----

// Write sends data, trying the system call at once when nothing is buffered
// and buffering (a copy of) only what the kernel refused.
func (t *socketTransport) Write(data []byte) error {
	if t.writeEOF {
		return NewError(KindRuntimeError, "Cannot call write() after write_eof()")
	}
	if t.sendfile != nil {
		return errSendfileInProgress("write")
	}
	if len(data) == 0 {
		return nil
	}
	if t.lost {
		t.ignoreWrite()
		return nil
	}
	// Closing but not lost: data is still buffered, and this joins it
	// (asyncio's write checks _conn_lost, not _closing).
	if t.buf.len() > 0 {
		t.buffer(data)
		return nil
	}
	n, err := sockWrite(t.fd, data)
	if err == nil && n == len(data) {
		return nil // all sent: the common case
	}
	if failed := t.unsent(data, n, err, "Fatal write error on socket transport"); failed != nil {
		t.ForceClose(failed)
	}
	return nil
}

// Writelines writes the buffers in order as one write: with one writev when
// nothing is buffered.
func (t *socketTransport) Writelines(bufs [][]byte) error {
	if t.writeEOF {
		return NewError(KindRuntimeError, "Cannot call writelines() after write_eof()")
	}
	if t.sendfile != nil {
		return errSendfileInProgress("writelines")
	}
	switch {
	case t.lost:
		if totalLen(bufs) > 0 {
			t.ignoreWrite()
		}
	case t.closing:
		t.buffer(bufs...) // joins what a Close still flushes, as Write does
	default:
		if failed := t.writelines(bufs, "Fatal write error on socket transport"); failed != nil {
			t.ForceClose(failed)
		}
	}
	return nil
}

// writeReady is the writer callback: it drains the buffer (with writev when
// several chunks wait), resumes the protocol's writing at the low-water mark,
// and once the buffer is empty finishes a pending Close or WriteEOF.
func (t *socketTransport) writeReady() {
	if t.lost {
		return
	}
	if t.buf.len() == 0 {
		if t.sendfile != nil {
			t.sendfileReady()
			return
		}
		t.stopWriting()
		return
	}
	res, failed := t.flush(sockWrite, "Fatal write error on socket transport")
	switch {
	case res == flushFailed:
		t.ForceClose(failed)
	case res == flushed && t.sendfile == nil: // a sendfile runs on the next writable event
		t.flushedAll()
	}
}

// flushedAll goes on once the buffer is empty (and no Sendfile holds the
// transport): the writer stops, and a Close or WriteEOF that waited
// completes.
func (t *socketTransport) flushedAll() {
	t.stopWriting()
	switch {
	case t.closing:
		t.connectionLostNow(t)
	case t.writeEOF:
		t.shutdownWrite()
	}
}

// WriteEOF half-closes after the buffer is flushed.
func (t *socketTransport) WriteEOF() error {
	if t.closing || t.writeEOF {
		return nil
	}
	t.writeEOF = true
	if t.buf.len() == 0 && t.sendfile == nil {
		if err := unix.Shutdown(t.fd, unix.SHUT_WR); err != nil {
			return MapError(err)
		}
	}
	return nil
}

// shutdownWrite sends the deferred EOF once the buffer has drained.
func (t *socketTransport) shutdownWrite() {
	if err := unix.Shutdown(t.fd, unix.SHUT_WR); err != nil && err != unix.ENOTCONN {
		t.fatalError(err, "Fatal error on socket transport")
	}
}

// CanWriteEOF reports true: stream sockets can half-close.
func (t *socketTransport) CanWriteEOF() bool { return true }

// IsClosing, GetProtocol, GetWriteBufferSize, GetWriteBufferLimits and
// SetWriteBufferLimits come from the embedded byteWriteSide
// (writeside.go).

// ---- closing (the transport owns it: closing.go) ----

// ignoreWrite counts a write to a lost connection (losing it counted as
// the first, as asyncio's _conn_lost); from the fifth on each is reported.
// A write to a transport that is closing but still flushing is not
// dropped: it joins the buffer.
func (t *socketTransport) ignoreWrite() {
	if t.lost {
		t.countIgnoredWrite("socket.send() raised exception.", 1)
	}
}

// ForceClose closes at once with err, as asyncio's _force_close: it drops
// the buffer, stops reading, fails a running Sendfile and schedules
// ConnectionLost(err), unless that is already scheduled. A nil *Error
// counts as nil.
func (t *socketTransport) ForceClose(err error) {
	err = plainNil(err)
	if t.lost {
		return
	}
	if t.buf.len() > 0 {
		t.buf.reset()
	}
	t.stopWriting()
	if !t.closing {
		t.closing = true
		t.l.RemoveReader(t.fd)
	}
	t.abortSendfile(err)
	t.scheduleConnectionLost(t.l, t, err)
}

// fatalError breaks the connection with err: reported (writeSide.reportFatal),
// then closed at once.
func (t *socketTransport) fatalError(err error, message string) {
	t.ForceClose(t.reportFatal(err, message))
}

// releaseResources closes the descriptor, detaches from the server, drops
// the protocol and the loop reference (closeState calls it once, after
// ConnectionLost).
func (t *socketTransport) releaseResources() {
	t.l.RemoveReader(t.fd)
	t.stopWriting()
	if t.sockname == nil { // asyncio keeps it for after the close
		t.sockname = streamSockname(t.sock)
	}
	closeFD(t.fd)
	t.sock.markClosed()
	t.buf = nil
	t.protocol = nil
	if s := t.server; s != nil {
		t.server = nil
		s.detach(t)
	}
	t.l.Unref()
}

// totalLen returns the total length of bufs.
func totalLen(bufs [][]byte) int {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	return n
}

// skipBytes returns bufs without its first n bytes.
func skipBytes(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if n > 0 {
		rest := make([][]byte, len(bufs))
		copy(rest, bufs)
		rest[0] = rest[0][n:]
		bufs = rest
	}
	return bufs
}
