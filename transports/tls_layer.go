package transports

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/starnet-dev/starnet/loop"
)

// tlsState is where a TLS layer is in its life.
type tlsState uint8

const (
	// tlsHandshaking: the handshake runs on the helper goroutine.
	tlsHandshaking tlsState = iota
	// tlsWrapped: application data flows both ways.
	tlsWrapped
	// tlsShuttingDown: Close was called; the backlog is flushed, then
	// close_notify sent, then the peer's close_notify (or EOF) awaited.
	tlsShuttingDown
	// tlsClosingPlain: the plain transport is being closed or aborted;
	// nothing more is read or written.
	tlsClosingPlain
	// tlsLost: the plain transport's ConnectionLost ran.
	tlsLost
)

// Sizes of the layer's work.
const (
	// tlsWriteChunk is how much plaintext is encrypted at a time, so that
	// encryption stops soon after the plain transport pauses writing.
	tlsWriteChunk = 64 << 10
	// tlsReadBatch is the largest plaintext batch given to one
	// DataReceived (asyncio's SSLProtocol.max_size).
	tlsReadBatch = 256 << 10
	// tlsSmallWrites is the size up to which Writelines joins its buffers
	// into one record.
	tlsSmallWrites = 16 << 10
)

// plaintextBuffers holds the buffers records are decrypted into. The loop's
// shared read buffer cannot serve: it holds the ciphertext being decrypted.
// The pool is a cache of scratch memory, not state: a buffer is taken for
// one batch and returned once DataReceived has run.
var plaintextBuffers = sync.Pool{New: func() any {
	b := make([]byte, tlsReadBatch)
	return &b
}}

// tlsLayer is one TLS connection: asyncio's SSLProtocol (the protocol of
// the plain transport) and, through its app field, _SSLProtocolTransport
// (the transport the application sees).
//
// Reading: ciphertext from DataReceived is lent to the pipe (copied only if
// crypto/tls leaves some unread), records are decrypted into a pooled buffer
// and the batch is delivered with one DataReceived (or copied into a
// BufferedProtocol's buffers). While the application pauses reading the
// ciphertext waits in the pipe; past tlsReadHighWater the plain transport is
// paused too.
//
// Writing: Write encrypts at once while the plain transport accepts data;
// while it has paused writing, plaintext waits in the backlog, which is the
// TLS transport's write buffer for flow control (the plain transport's
// buffer is its own, as in asyncio).
//
// Closing: Close flushes the backlog, sends close_notify and waits for the
// peer's close_notify or EOF, then closes the plain transport; after
// ShutdownTimeout it aborts instead. Abort and fatal errors abort the plain
// transport. Its ConnectionLost ends the layer and calls the application's
// ConnectionLost once, if it was connected.
type tlsLayer struct {
	l      *loop.Loop
	params tlsParams
	conn   *tls.Conn
	pipe   tlsPipe
	app    tlsTransport

	plain      Transport // the plain transport underneath
	localAddr  net.Addr  // its addresses, fixed for the helper goroutine
	remoteAddr net.Addr

	protocol BaseProtocol
	data     Protocol
	buffered BufferedProtocol

	waiter  *loop.Future // resolved after the handshake, if any
	state   tlsState
	appMade bool  // the application protocol is connected
	ready   bool  // data may be delivered: ConnectionMade and the waiter ran
	failure error // what broke the connection, for ConnectionLost

	readPaused         bool // the application paused reading
	readScheduled      bool
	reading            bool // readRecords is running
	peerEOF            bool // close_notify or the plain transport's EOF was read
	writeEOF           bool // WriteEOF was called
	closeNotifySent    bool
	plainWritingPaused bool // the plain transport called PauseWriting
	plainReadingPaused bool // the layer paused the plain transport's reading
	backlog            writeBuffer
	flow               tlsWriteFlow
	leftover           []byte // decrypted, not yet taken by a BufferedProtocol
	scratch            []byte // Writelines' join buffer
	ignoredWrites      int

	hsTimer       *loop.Handle
	shutdownTimer *loop.Handle
	info          *SSLObject
}

var (
	_ Protocol    = (*tlsLayer)(nil)
	_ Transport   = (*tlsTransport)(nil)
	_ ForceCloser = (*tlsTransport)(nil)
)

// newTLSLayer makes the layer for application protocol p. waiter, if not
// nil, is resolved after the handshake: with the Transport for StartTLS,
// else with a *Connection.
func newTLSLayer(l *loop.Loop, p BaseProtocol, params tlsParams, waiter *loop.Future) *tlsLayer {
	e := &tlsLayer{l: l, params: params, waiter: waiter}
	e.app.e = e
	e.pipe.init(e)
	e.flow.init()
	e.setProtocol(p)
	e.appMade = params.startTLS
	if params.serverSide {
		e.conn = tls.Server(&e.pipe, params.config)
	} else {
		e.conn = tls.Client(&e.pipe, params.config)
	}
	return e
}

func (e *tlsLayer) setProtocol(p BaseProtocol) {
	e.protocol = p
	e.data, e.buffered = nil, nil
	if bp, ok := p.(BufferedProtocol); ok {
		e.buffered = bp
	} else if dp, ok := p.(Protocol); ok {
		e.data = dp
	}
}

// plainAddr returns the plain transport's address by name, as captured
// when the handshake started (the pipe's LocalAddr and RemoteAddr).
func (e *tlsLayer) plainAddr(name string) net.Addr {
	if name == "sockname" {
		return e.localAddr
	}
	return e.remoteAddr
}

// ---- the protocol of the plain transport ----

// ConnectionMade starts the handshake on the helper goroutine.
func (e *tlsLayer) ConnectionMade(t BaseTransport) {
	if e.state != tlsHandshaking {
		t.Close() // cancelled before the handshake began
		return
	}
	plain, ok := t.(Transport)
	if !ok {
		e.failure = NewError(KindTypeError, fmt.Sprintf("TLS needs a stream transport, not %T", t))
		e.state = tlsClosingPlain
		t.Close()
		return
	}
	e.plain = plain
	e.localAddr, _ = plain.GetExtraInfo("sockname").(net.Addr)
	e.remoteAddr, _ = plain.GetExtraInfo("peername").(net.Addr)
	e.hsTimer = e.l.CallLater(e.params.handshakeTimeout, e.handshakeTimedOut)
	if len(e.params.pending) > 0 {
		e.pipe.feed(e.params.pending)
		e.params.pending = nil
	}
	go e.runHandshake()
}

// runHandshake runs on the helper goroutine: the handshake, then its result
// posted to the loop. It ends when the handshake ends, or when the layer
// closes the pipe under it. A panic in a tls.Config callback fails the
// handshake instead of the process.
func (e *tlsLayer) runHandshake() {
	var state tls.ConnectionState
	err := e.handshake()
	if err == nil {
		state = e.conn.ConnectionState()
	}
	e.pipe.handshakeFinished(err, state)
}

func (e *tlsLayer) handshake() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicToError("TLS handshake", r)
		}
	}()
	return e.conn.Handshake()
}

// service runs on the loop for what the helper goroutine posted: the
// ciphertext it wrote, and the handshake's result.
func (e *tlsLayer) service() {
	out, hs := e.pipe.takeEvents()
	if e.state == tlsLost {
		return
	}
	if len(out) > 0 {
		e.writeCiphertext(out)
	}
	if hs.done {
		e.handshakeDone(hs)
	}
	e.controlPlainReading()
}

// handshakeDone handles the handshake's result: the application protocol is
// connected on the next iteration, then the waiter resolved and reading
// started.
func (e *tlsLayer) handshakeDone(hs handshakeEvent) {
	e.cancelHandshakeTimer()
	if e.state != tlsHandshaking {
		return // aborted meanwhile
	}
	if hs.err != nil {
		e.handshakeFailed(hs.err)
		return
	}
	e.state = tlsWrapped
	e.info = newSSLObject(hs.state, e.params.serverSide, e.params.serverHostname, e.params.config)
	if !e.appMade {
		p := e.protocol
		e.l.CallSoon(func() { e.connectApp(p) })
	}
	e.l.CallSoon(e.finishHandshake)
}

// connectApp calls the application's ConnectionMade, unless the connection
// was lost first.
func (e *tlsLayer) connectApp(p BaseProtocol) {
	if e.state == tlsLost {
		return
	}
	e.appMade = true
	p.ConnectionMade(&e.app)
}

// finishHandshake resolves the waiter and starts delivering data.
func (e *tlsLayer) finishHandshake() {
	if e.state == tlsLost {
		return // ConnectionLost failed the waiter
	}
	if e.state == tlsClosingPlain && e.failure != nil {
		return // ConnectionMade failed: ConnectionLost fails the waiter with it, as asyncio's
	}
	if w := e.waiter; w != nil {
		e.waiter = nil
		switch {
		case w.Done(): // cancelled
			e.app.Close()
		case e.params.startTLS:
			_ = w.SetResult(Transport(&e.app))
		default:
			_ = w.SetResult(&Connection{Transport: &e.app, Protocol: e.protocol})
		}
	}
	// Deliver data only after the waiter's callbacks, which were scheduled
	// first: a StartTLS caller learns the new transport before its data.
	e.l.CallSoon(e.startReading)
}

// startReading delivers what arrived during and after the handshake.
func (e *tlsLayer) startReading() {
	if e.state == tlsLost {
		return
	}
	e.ready = true
	e.readRecords()
	e.controlPlainReading()
}

// handshakeFailed aborts the connection with the handshake's error.
func (e *tlsLayer) handshakeFailed(err error) {
	var mapped *Error
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		mapped = &Error{Kind: KindConnectionResetError, Message: "Connection lost during SSL handshake", Err: err}
	} else {
		mapped = MapError(err)
	}
	message := "SSL handshake failed"
	if mapped.Kind == KindSSLCertVerifyError {
		message = "SSL handshake failed on verifying the certificate"
	}
	e.fatal(mapped, message)
}

// handshakeTimedOut aborts a handshake that took too long.
func (e *tlsLayer) handshakeTimedOut() {
	e.hsTimer = nil
	if e.state == tlsHandshaking {
		e.fatal(handshakeTimeoutError(e.params.handshakeTimeout), "SSL handshake timed out")
	}
}

// waiterCancelled handles the cancellation of the Future: during the
// handshake the plain transport is closed (asyncio closes it too).
func (e *tlsLayer) waiterCancelled() {
	if e.state != tlsHandshaking {
		return
	}
	e.cancelHandshakeTimer()
	e.state = tlsClosingPlain
	e.pipe.close()
	if e.plain != nil {
		e.plain.Close()
	}
}

// DataReceived takes ciphertext from the plain transport.
func (e *tlsLayer) DataReceived(data []byte) {
	switch {
	case e.state == tlsLost || e.state == tlsClosingPlain:
		return
	case e.state == tlsHandshaking || !e.ready:
		e.pipe.feed(data)
	default:
		e.pipe.lend(data)
		e.readRecords()
		e.pipe.unlend()
	}
	e.controlPlainReading()
}

// EOFReceived records the plain transport's EOF. The layer keeps the plain
// transport open: it closes it itself once the records before the EOF are
// delivered and the TLS shutdown is done.
func (e *tlsLayer) EOFReceived() bool {
	if e.state == tlsLost {
		return false
	}
	e.pipe.feedEOF()
	e.readRecords()
	return true
}

// PauseWriting stops encrypting: plaintext waits in the backlog.
func (e *tlsLayer) PauseWriting() { e.plainWritingPaused = true }

// ResumeWriting encrypts the backlog.
func (e *tlsLayer) ResumeWriting() {
	e.plainWritingPaused = false
	e.flushBacklog()
}

// ConnectionLost ends the layer: the helper goroutine (if any) ends, the
// waiter fails if it is still pending, and the application protocol, if it
// was connected, gets ConnectionLost with the error that broke the
// connection (nil after a clean close or an abort).
func (e *tlsLayer) ConnectionLost(err error) {
	if e.state == tlsLost {
		return
	}
	e.state = tlsLost
	e.pipe.close()
	e.cancelHandshakeTimer()
	if e.shutdownTimer != nil {
		e.shutdownTimer.Cancel()
		e.shutdownTimer = nil
	}
	e.backlog.reset()
	e.leftover = nil
	reason := err
	if e.failure != nil {
		reason = e.failure
	}
	if w := e.waiter; w != nil {
		e.waiter = nil
		if !w.Done() {
			_ = w.SetException(handshakeLostError(reason))
		}
	}
	p := e.protocol
	made := e.appMade
	e.appMade = false
	e.protocol, e.data, e.buffered = nil, nil, nil
	if made && p != nil {
		p.ConnectionLost(reason)
	}
}

// handshakeLostError is the waiter's error when the connection ended before
// the handshake completed.
func handshakeLostError(reason error) error {
	if reason != nil {
		return reason
	}
	return NewError(KindConnectionResetError, "Connection lost during SSL handshake")
}

// ---- reading ----

// readRecords decrypts what is buffered and delivers it, until crypto/tls
// needs more ciphertext, the application pauses or closes, or EOF. It never
// runs nested: a call made while it runs (from a callback) returns at once,
// and the running loop sees the change.
func (e *tlsLayer) readRecords() {
	if e.reading {
		return
	}
	e.reading = true
	defer func() { e.reading = false }()
	for e.canRead() {
		if err := e.readOnce(); err != nil {
			e.readFailed(err)
			return
		}
	}
}

// canRead reports whether records should be read now: while the connection
// is up and the application reads, and during the shutdown (to find the
// peer's close_notify, discarding data).
func (e *tlsLayer) canRead() bool {
	if !e.ready || e.peerEOF {
		return false
	}
	return e.state == tlsWrapped && !e.readPaused || e.state == tlsShuttingDown
}

// readOnce delivers one batch.
func (e *tlsLayer) readOnce() error {
	if left := e.leftover; len(left) > 0 && e.state == tlsWrapped {
		e.leftover = nil
		e.deliver(left)
		return nil
	}
	bp := plaintextBuffers.Get().(*[]byte)
	defer plaintextBuffers.Put(bp)
	buf := *bp
	n := 0
	var err error
	for n < len(buf) && err == nil {
		var k int
		k, err = e.conn.Read(buf[n:])
		n += k
	}
	if n > 0 && e.state == tlsWrapped {
		e.deliver(buf[:n])
	}
	return err
}

// readFailed handles the error that ended a batch.
func (e *tlsLayer) readFailed(err error) {
	switch {
	case errors.Is(err, errWouldBlock), errors.Is(err, net.ErrClosed):
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		if e.canRead() {
			e.eofReceived(errors.Is(err, io.EOF)) // crypto/tls: io.EOF is close_notify
		}
	default:
		if e.state == tlsWrapped || e.state == tlsShuttingDown {
			e.fatal(err, "Fatal error on SSL protocol")
		}
	}
}

// deliver hands a batch of plaintext to the application protocol.
func (e *tlsLayer) deliver(data []byte) {
	if bp := e.buffered; bp != nil {
		e.deliverBuffered(bp, data)
		return
	}
	e.deliverData(data)
}

// deliverData calls DataReceived; a panic there is a fatal error.
func (e *tlsLayer) deliverData(data []byte) {
	const name = callbackDataReceived
	defer recoverFatal(name, e.fatal, nil)
	if e.data == nil {
		e.fatal(e.notAStreamProtocol(), fatalMessage(name))
		return
	}
	e.data.DataReceived(data)
}

// deliverBuffered copies data into the protocol's buffers. What is left
// when the application pauses or switches protocol waits in leftover.
func (e *tlsLayer) deliverBuffered(bp BufferedProtocol, data []byte) {
	for len(data) > 0 {
		if e.state != tlsWrapped || e.readPaused || e.buffered != bp {
			if e.state == tlsWrapped {
				e.leftover = append(e.leftover[:0:0], data...)
			}
			return
		}
		buf, ok := e.getBuffer(bp, len(data))
		if !ok {
			return
		}
		n := copy(buf, data)
		data = data[n:]
		if !e.bufferUpdated(bp, n) {
			return
		}
	}
}

// getBuffer asks a BufferedProtocol for a buffer; an empty one or a panic
// is a fatal error.
func (e *tlsLayer) getBuffer(bp BufferedProtocol, sizehint int) (buf []byte, ok bool) {
	const name = callbackGetBuffer
	defer recoverFatal(name, e.fatal, &ok)
	buf = bp.GetBuffer(sizehint)
	if len(buf) == 0 {
		e.fatal(NewError(KindRuntimeError, "get_buffer() returned an empty buffer"), fatalMessage(name))
		return nil, false
	}
	return buf, true
}

// bufferUpdated calls BufferUpdated; a panic there is a fatal error.
func (e *tlsLayer) bufferUpdated(bp BufferedProtocol, n int) (ok bool) {
	const name = callbackBufferUpdated
	defer recoverFatal(name, e.fatal, &ok)
	bp.BufferUpdated(n)
	return true
}

// eofReceived handles the peer's close_notify or the plain transport's EOF,
// once the data before it is delivered. EOFReceived returning true keeps
// the TLS transport open for writing (a TLS 1.3 half-close); false closes it.
// While our Close shuts down, the peer's close_notify (closeNotify) still
// calls EOFReceived, once, before ConnectionLost, as asyncio's _do_shutdown.
func (e *tlsLayer) eofReceived(closeNotify bool) {
	already := e.peerEOF
	e.peerEOF = true
	if e.state == tlsShuttingDown {
		if closeNotify && !already && e.appMade {
			e.callEOFReceived() // what it returns does not matter: we are closing
		}
		e.maybeFinishShutdown()
		return
	}
	keepOpen, ok := e.callEOFReceived()
	if ok && !keepOpen {
		e.app.Close()
	}
}

func (e *tlsLayer) callEOFReceived() (keepOpen, ok bool) {
	const name = callbackEOFReceived
	defer recoverFatal(name, e.fatal, &ok)
	switch {
	case e.buffered != nil:
		return e.buffered.EOFReceived(), true
	case e.data != nil:
		return e.data.EOFReceived(), true
	}
	e.fatal(e.notAStreamProtocol(), fatalMessage(name))
	return false, false
}

func (e *tlsLayer) notAStreamProtocol() error {
	return NewError(KindTypeError, fmt.Sprintf("protocol %T is neither a Protocol nor a BufferedProtocol", e.protocol))
}

// scheduleRead runs readRecords on the next iteration (after ResumeReading
// or Close, which may be called from inside another connection's callback).
func (e *tlsLayer) scheduleRead() {
	if e.readScheduled {
		return
	}
	e.readScheduled = true
	e.l.CallSoon(func() {
		e.readScheduled = false
		e.readRecords()
		e.controlPlainReading()
	})
}

// controlPlainReading pauses the plain transport while too much ciphertext
// waits, and resumes it once enough was decrypted (asyncio's
// _control_ssl_reading).
func (e *tlsLayer) controlPlainReading() {
	if e.plain == nil || e.state >= tlsClosingPlain {
		return
	}
	n := e.pipe.buffered()
	switch {
	case !e.plainReadingPaused && n >= tlsReadHighWater:
		e.plainReadingPaused = true
		e.plain.PauseReading()
	case e.plainReadingPaused && n <= tlsReadLowWater:
		e.plainReadingPaused = false
		e.plain.ResumeReading()
	}
}

// ---- writing ----

// writeCiphertext hands ciphertext to the plain transport.
func (e *tlsLayer) writeCiphertext(b []byte) {
	if e.plain == nil || e.state >= tlsClosingPlain {
		return
	}
	if err := e.plain.Write(b); err != nil {
		e.fatal(err, "Fatal error on SSL protocol")
	}
}

// write encrypts data at once while the plain transport takes it; the rest
// waits in the backlog. Flow control is checked after every write, as
// asyncio's SSLProtocol does.
func (e *tlsLayer) write(data []byte) {
	if !e.plainWritingPaused && e.backlog.len() == 0 {
		data = e.encrypt(data)
	}
	if e.state != tlsWrapped {
		return
	}
	if len(data) > 0 {
		e.backlog.append(data)
	}
	e.flow.control(e.l, e.backlog.len(), &e.app, e.protocol)
}

// encrypt encrypts data a chunk at a time until the plain transport pauses
// writing, and returns the rest.
func (e *tlsLayer) encrypt(data []byte) []byte {
	for len(data) > 0 && !e.plainWritingPaused && e.canWrite() {
		n := min(len(data), tlsWriteChunk)
		if _, err := e.conn.Write(data[:n]); err != nil {
			e.fatal(err, "Fatal error on SSL protocol")
			return nil
		}
		data = data[n:]
	}
	return data
}

// canWrite reports whether records may still be written.
func (e *tlsLayer) canWrite() bool {
	return (e.state == tlsWrapped || e.state == tlsShuttingDown) && !e.closeNotifySent
}

// flushBacklog encrypts the backlog while the plain transport takes it,
// resumes the application's writing at the low-water mark, and finishes a
// pending WriteEOF or Close once the backlog is empty.
func (e *tlsLayer) flushBacklog() {
	for e.backlog.len() > 0 && !e.plainWritingPaused && e.canWrite() {
		chunk := e.backlog.vectors()[0]
		n := min(len(chunk), tlsWriteChunk)
		if _, err := e.conn.Write(chunk[:n]); err != nil {
			e.fatal(err, "Fatal error on SSL protocol")
			return
		}
		e.backlog.consume(n)
	}
	if e.state == tlsWrapped || e.state == tlsShuttingDown {
		e.flow.control(e.l, e.backlog.len(), &e.app, e.protocol) // may write or close
	}
	e.maybeFinishWriting()
}

// maybeFinishWriting sends close_notify once the backlog is empty after
// WriteEOF or Close: after WriteEOF the plain transport is half-closed too
// (when it can be); after Close the shutdown goes on.
func (e *tlsLayer) maybeFinishWriting() {
	if e.backlog.len() > 0 || e.closeNotifySent || !e.canWrite() {
		return
	}
	if !e.writeEOF && e.state != tlsShuttingDown {
		return
	}
	e.closeNotifySent = true
	if err := e.conn.CloseWrite(); err != nil {
		e.fatal(err, "Fatal error on SSL protocol")
		return
	}
	if e.state == tlsShuttingDown {
		e.maybeFinishShutdown()
		return
	}
	if !e.plain.CanWriteEOF() {
		return // close_notify alone ends the stream (TLS over TLS 1.2)
	}
	if err := e.plain.WriteEOF(); err != nil {
		e.fatal(err, "Fatal error on SSL protocol")
	}
}

// maybeFinishShutdown closes the plain transport once close_notify is sent
// and the peer's close_notify or EOF has been read (or the plain transport
// reached EOF).
func (e *tlsLayer) maybeFinishShutdown() {
	if e.state != tlsShuttingDown || !e.closeNotifySent {
		return
	}
	if !e.peerEOF && !e.pipe.sawEOF() {
		return
	}
	e.state = tlsClosingPlain
	e.pipe.close()
	e.plain.Close() // the shutdown timer still bounds the flush
}

// shutdownTimedOut aborts a shutdown the peer did not answer.
func (e *tlsLayer) shutdownTimedOut() {
	e.shutdownTimer = nil
	if e.state == tlsShuttingDown || e.state == tlsClosingPlain {
		e.abortPlain(NewError(KindTimeoutError, "SSL shutdown timed out"))
	}
}

// ---- failing ----

// fatal breaks the connection with err. As asyncio's SSLProtocol: an
// OSError (SSLError, ConnectionResetError, ...) is reported to the
// exception handler only in debug mode, anything else always.
func (e *tlsLayer) fatal(err error, message string) {
	if e.state == tlsLost {
		return
	}
	mapped := MapError(err)
	if !IsOSError(mapped) || e.l.GetDebug() {
		var tr any = e.plain
		if e.appMade {
			tr = &e.app
		}
		e.l.CallExceptionHandler(loop.ErrorContext{
			Message:   message,
			Err:       mapped,
			Transport: tr,
			Protocol:  e.protocol,
			Extra:     panicExtra(mapped),
		})
	}
	e.abortPlain(mapped)
}

// abortPlain aborts the plain transport with err (nil for Abort): the
// application's ConnectionLost gets err, or the first failure recorded.
func (e *tlsLayer) abortPlain(err error) {
	if e.state == tlsLost {
		return
	}
	if e.failure == nil && err != nil {
		e.failure = err
	}
	e.cancelHandshakeTimer()
	e.state = tlsClosingPlain
	e.backlog.reset()
	e.pipe.close()
	switch p := e.plain.(type) {
	case nil:
	case ForceCloser:
		p.ForceClose(err)
	default:
		p.Abort()
	}
}

func (e *tlsLayer) cancelHandshakeTimer() {
	if e.hsTimer != nil {
		e.hsTimer.Cancel()
		e.hsTimer = nil
	}
}

// ignoreWrite counts a write dropped because the transport is closing or
// lost, as asyncio's SSLProtocol counts _conn_lost (the loss of the plain
// transport counted as one more); from the fifth count on, each dropped
// write is reported, in every mode, as asyncio warns "SSL connection is
// closed".
func (e *tlsLayer) ignoreWrite() {
	var lost int
	if e.state == tlsLost {
		lost = 1
	}
	if e.ignoredWrites+lost < logThresholdForConnLostWrites {
		e.ignoredWrites++
		return
	}
	e.l.CallExceptionHandler(loop.ErrorContext{Message: "SSL connection is closed", Transport: &e.app})
}
