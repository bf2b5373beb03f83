package transports

import (
	"crypto/tls"
	"fmt"
)

// tlsTransport is the Transport the application gets: asyncio's
// _SSLProtocolTransport.
type tlsTransport struct{ e *tlsLayer }

// String describes the transport.
func (t *tlsTransport) String() string {
	e := t.e
	state := ""
	switch e.state {
	case tlsShuttingDown, tlsClosingPlain:
		state = " closing"
	case tlsLost:
		state = " closed"
	}
	version := ""
	if e.info != nil {
		version = " " + e.info.Version()
	}
	return fmt.Sprintf("<TLS transport%s%s bufsize=%d over %v>", state, version, e.backlog.len(), e.plain)
}

// Close flushes the write buffer, sends close_notify and waits (at most
// ShutdownTimeout) for the peer's; then the plain transport is closed and
// ConnectionLost(nil) follows. No more data is delivered.
func (t *tlsTransport) Close() {
	e := t.e
	if e.state != tlsWrapped {
		return
	}
	e.state = tlsShuttingDown
	e.leftover = nil
	e.shutdownTimer = e.l.CallLater(e.params.shutdownTimeout, e.shutdownTimedOut)
	e.maybeFinishWriting()
	e.maybeFinishShutdown()
	if e.state == tlsShuttingDown {
		e.scheduleRead() // a close_notify may be buffered already
	}
}

// IsClosing reports whether the transport is closing or closed.
func (t *tlsTransport) IsClosing() bool { return t.e.state != tlsWrapped }

// GetExtraInfo returns the TLS keys — "sslcontext" (the *tls.Config given),
// "ssl_object" (*SSLObject), "peercert" (map[string]any, see
// CertificateInfo; an empty map when the certificate was not verified; nil
// when the peer sent none), "cipher" (TLSCipher), "compression" (nil) — and
// the plain transport's keys ("peername", "sockname", "socket", ...).
func (t *tlsTransport) GetExtraInfo(name string) any {
	e := t.e
	switch name {
	case "sslcontext":
		return e.params.userConfig
	case "ssl_object":
		if e.info != nil {
			return e.info
		}
		return nil
	case "peercert":
		if e.info != nil {
			if cert := e.info.PeerCert(); cert != nil {
				return cert
			}
		}
		return nil
	case "cipher":
		if e.info != nil {
			return e.info.Cipher()
		}
		return nil
	case "compression":
		return nil
	}
	if e.plain == nil {
		return nil
	}
	return e.plain.GetExtraInfo(name)
}

// SetProtocol switches the application protocol (a Protocol or a
// BufferedProtocol).
func (t *tlsTransport) SetProtocol(p BaseProtocol) { t.e.setProtocol(p) }

// GetProtocol returns the application protocol (nil after ConnectionLost).
func (t *tlsTransport) GetProtocol() BaseProtocol { return t.e.protocol }

// IsReading reports whether data is being delivered.
func (t *tlsTransport) IsReading() bool { return t.e.state == tlsWrapped && !t.e.readPaused }

// PauseReading stops delivering data until ResumeReading. Ciphertext keeps
// being received until 256 KiB wait; then the plain transport is paused.
func (t *tlsTransport) PauseReading() {
	if t.IsReading() {
		t.e.readPaused = true
	}
}

// ResumeReading resumes delivering, on the next loop iteration.
func (t *tlsTransport) ResumeReading() {
	e := t.e
	if e.state != tlsWrapped || !e.readPaused {
		return
	}
	e.readPaused = false
	e.scheduleRead()
}

// Write encrypts data and hands it to the plain transport, or buffers it
// while that transport has paused writing. Writing to a closing transport
// is ignored.
func (t *tlsTransport) Write(data []byte) error {
	e := t.e
	if e.writeEOF {
		return NewError(KindRuntimeError, "Cannot call write() after write_eof()")
	}
	if len(data) == 0 {
		return nil
	}
	if e.state != tlsWrapped {
		e.ignoreWrite()
		return nil
	}
	e.write(data)
	return nil
}

// Writelines writes the buffers in order; small ones go out as one record.
func (t *tlsTransport) Writelines(bufs [][]byte) error {
	e := t.e
	if e.writeEOF {
		return NewError(KindRuntimeError, "Cannot call writelines() after write_eof()")
	}
	total := totalLen(bufs)
	if total == 0 {
		return nil
	}
	if e.state != tlsWrapped {
		e.ignoreWrite()
		return nil
	}
	if total <= tlsSmallWrites {
		e.scratch = e.scratch[:0]
		for _, b := range bufs {
			e.scratch = append(e.scratch, b...)
		}
		e.write(e.scratch)
		return nil
	}
	for _, b := range bufs {
		if len(b) > 0 && e.state == tlsWrapped {
			e.write(b)
		}
	}
	return nil
}

// WriteEOF flushes the buffer, then sends close_notify and half-closes the
// plain transport; data can still be received. Only TLS 1.3 defines this
// half-close (CanWriteEOF); otherwise it fails with NotImplementedError, as
// asyncio's SSL transport always does.
func (t *tlsTransport) WriteEOF() error {
	e := t.e
	if e.state != tlsWrapped || e.writeEOF {
		return nil
	}
	if !t.CanWriteEOF() {
		return NewError(KindNotImplementedError, "write_eof() needs TLS 1.3 (this connection uses "+e.info.Version()+")")
	}
	e.writeEOF = true
	e.maybeFinishWriting()
	return nil
}

// CanWriteEOF reports true for a TLS 1.3 connection.
func (t *tlsTransport) CanWriteEOF() bool {
	return t.e.info != nil && t.e.info.state.Version == tls.VersionTLS13
}

// Abort closes at once without close_notify, dropping the buffer;
// ConnectionLost(nil) follows.
func (t *tlsTransport) Abort() { t.e.abortPlain(nil) }

// ForceClose closes at once with err, as asyncio's _force_close: the
// buffer is dropped and ConnectionLost(err) follows. A nil *Error counts as
// nil.
func (t *tlsTransport) ForceClose(err error) {
	if e, ok := err.(*Error); ok && e == nil {
		err = nil
	}
	t.e.abortPlain(MapError(err))
}

// GetWriteBufferSize returns the plaintext waiting to be encrypted.
func (t *tlsTransport) GetWriteBufferSize() int { return t.e.backlog.len() }

// GetWriteBufferLimits returns (low, high).
func (t *tlsTransport) GetWriteBufferLimits() (low, high int) { return t.e.flow.limits() }

// SetWriteBufferLimits sets the watermarks and re-checks them at once.
func (t *tlsTransport) SetWriteBufferLimits(high, low *int) error {
	e := t.e
	if err := e.flow.setLimits(high, low); err != nil {
		return err
	}
	e.flow.control(e.l, e.backlog.len(), t, e.protocol)
	return nil
}
