// Package transports holds asyncio's transport and protocol hierarchy for Go
// (BaseTransport … SubprocessTransport, BaseProtocol … SubprocessProtocol) and
// the concrete transports that implement it on a loop.Loop: TCP and Unix
// stream sockets and their servers, UDP and Unix datagram endpoints, read
// and write pipes, subprocesses, sendfile, and TLS (a layer over a stream
// transport, with start_tls). It also maps OS errors to asyncio's exception
// names.
//
// Every method of every transport must be called on its loop's goroutine;
// every protocol callback is called there.
//
// This package imports only package loop, the standard library and
// golang.org/x/sys/unix. It must never import Starlark.
package transports

import "net"

// BaseTransport is the base of every transport (asyncio.BaseTransport).
type BaseTransport interface {
	// Close closes the transport. Buffered data is flushed asynchronously;
	// then the protocol's ConnectionLost(nil) is called on a later loop
	// iteration. No more data is received. Closing twice is a no-op.
	Close()
	// IsClosing reports whether the transport is closing or closed.
	IsClosing() bool
	// GetExtraInfo returns transport information by name ("peername",
	// "sockname", "socket", ...), or nil when there is none.
	GetExtraInfo(name string) any
	// SetProtocol switches the protocol that receives the callbacks. A
	// stream transport may switch between a Protocol and a BufferedProtocol.
	SetProtocol(p BaseProtocol)
	// GetProtocol returns the current protocol.
	GetProtocol() BaseProtocol
}

// ReadTransport is the read side (asyncio.ReadTransport).
type ReadTransport interface {
	BaseTransport
	// IsReading reports whether the transport is receiving data.
	IsReading() bool
	// PauseReading stops calling DataReceived until ResumeReading. It is
	// idempotent, and honoured even when called inside ConnectionMade.
	PauseReading()
	// ResumeReading resumes receiving. It is idempotent.
	ResumeReading()
}

// WriteTransport is the write side (asyncio.WriteTransport).
type WriteTransport interface {
	BaseTransport
	// Write sends data without blocking: the system call is tried at once
	// and only what the kernel refused is buffered. Writing to a closing
	// transport is ignored. The transport does not keep a reference to data.
	Write(data []byte) error
	// Writelines writes each buffer in turn, as one write.
	Writelines(data [][]byte) error
	// WriteEOF closes the write end after the buffer is flushed; data may
	// still be received. Calling it twice is a no-op.
	WriteEOF() error
	// CanWriteEOF reports whether WriteEOF is supported.
	CanWriteEOF() bool
	// Abort closes the transport at once, dropping buffered data; the
	// protocol's ConnectionLost(nil) is called on a later iteration.
	Abort()
	// GetWriteBufferSize returns the number of bytes buffered for writing.
	GetWriteBufferSize() int
	// GetWriteBufferLimits returns the flow-control watermarks.
	GetWriteBufferLimits() (low, high int)
	// SetWriteBufferLimits sets the watermarks as asyncio does: nil high
	// and low mean 64 KiB and 16 KiB (512 KiB and 128 KiB over TLS); only
	// high given → low = high/4; only low given → high = 4*low; high < low
	// or negatives → a ValueError. Flow control is re-checked at once.
	SetWriteBufferLimits(high, low *int) error
}

// Transport is a bidirectional stream transport (TCP, Unix, TLS).
type Transport interface {
	ReadTransport
	WriteTransport
}

// DatagramTransport is a datagram endpoint (asyncio.DatagramTransport).
type DatagramTransport interface {
	BaseTransport
	// SendTo sends one datagram to addr (nil for a connected endpoint).
	SendTo(data []byte, addr net.Addr) error
	// Abort closes at once, dropping queued datagrams.
	Abort()
	// GetWriteBufferSize returns the number of bytes queued.
	GetWriteBufferSize() int
}

// SubprocessTransport controls a child process (asyncio.SubprocessTransport).
type SubprocessTransport interface {
	BaseTransport
	// GetPid returns the child's process id.
	GetPid() int
	// GetReturncode returns the exit status, and false while the child runs.
	// A child killed by a signal has the negative signal number.
	GetReturncode() (int, bool)
	// GetPipeTransport returns the transport for fd 0, 1 or 2, or nil when
	// that fd is not a pipe.
	GetPipeTransport(fd int) BaseTransport
	// SendSignal sends sig to the child: nothing once it has exited,
	// ProcessLookupError after ConnectionLost.
	SendSignal(sig int) error
	// Terminate sends SIGTERM.
	Terminate() error
	// Kill sends SIGKILL.
	Kill() error
}

// BaseProtocol receives the callbacks every transport makes.
type BaseProtocol interface {
	// ConnectionMade is called once, before any data, with the transport.
	ConnectionMade(t BaseTransport)
	// ConnectionLost is called exactly once, with nil after a clean close or
	// abort, or with the error that broke the connection.
	ConnectionLost(err error)
	// PauseWriting is called when the write buffer goes strictly over the
	// high-water mark.
	PauseWriting()
	// ResumeWriting is called when the write buffer drains to the
	// low-water mark or below, after a PauseWriting.
	ResumeWriting()
}

// Protocol is a stream protocol (asyncio.Protocol).
type Protocol interface {
	BaseProtocol
	// DataReceived is called with each chunk received. data is valid only
	// during the call: copy what must be kept.
	DataReceived(data []byte)
	// EOFReceived is called when the peer half-closes. Returning true keeps
	// the transport open for writing; false closes it.
	EOFReceived() bool
}

// BufferedProtocol is a stream protocol that owns its receive buffer
// (asyncio.BufferedProtocol). The transport reads straight into it.
type BufferedProtocol interface {
	BaseProtocol
	// GetBuffer returns a buffer to read into, of any non-zero length;
	// sizehint is advisory. An empty buffer is a fatal error.
	GetBuffer(sizehint int) []byte
	// BufferUpdated says that n bytes were written at the buffer's start.
	BufferUpdated(n int)
	// EOFReceived is as Protocol's.
	EOFReceived() bool
}

// DatagramProtocol receives datagrams (asyncio.DatagramProtocol).
type DatagramProtocol interface {
	BaseProtocol
	// DatagramReceived is called with each datagram; data is valid only
	// during the call.
	DatagramReceived(data []byte, addr net.Addr)
	// ErrorReceived is called with an error from a previous send or receive
	// (an ICMP refusal, for example); the endpoint stays open.
	ErrorReceived(err error)
}

// SubprocessProtocol receives a child's output and exit (asyncio.SubprocessProtocol).
type SubprocessProtocol interface {
	BaseProtocol
	// PipeDataReceived is called with data the child wrote to fd 1 or 2.
	PipeDataReceived(fd int, data []byte)
	// PipeConnectionLost is called when one of the child's pipes closes.
	PipeConnectionLost(fd int, err error)
	// ProcessExited is called when the child exits.
	ProcessExited()
}

// ProtocolFactory makes a new protocol for each connection. An error fails
// only the connection it was called for: a server closes that socket,
// reports the error to the exception handler and keeps serving; the Future
// of a call that makes one connection (CreateConnection, ConnectReadPipe,
// SubprocessExec, ...) fails with it. A panic is treated as an error too,
// but only as a safety net for host Go code: factories report failure by
// returning it.
type ProtocolFactory func() (BaseProtocol, error)

// ForceCloser is implemented by transports that can be closed at once with an
// error, as asyncio's _force_close: the buffer is dropped and
// ConnectionLost(err) follows on a later iteration. A protocol adapter uses it
// when a callback fails.
type ForceCloser interface {
	ForceClose(err error)
}

// Connection is the result of the Futures returned by CreateConnection and
// friends: asyncio's (transport, protocol) pair.
type Connection struct {
	Transport BaseTransport
	Protocol  BaseProtocol
}
