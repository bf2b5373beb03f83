package transports

import "net"

// Embeddable bases for Go protocols, as asyncio's Protocol,
// DatagramProtocol and SubprocessProtocol classes are bases whose methods
// do nothing: embed one in a struct and write only the callbacks the
// protocol needs. Each base's ConnectionMade keeps the transport, and
// Transport returns it with the kind's own type, so a protocol never
// asserts it:
//
//	type echo struct{ transports.StreamBase }
//
//	func (e *echo) DataReceived(data []byte) { _ = e.Transport().Write(data) }
//
// A protocol that has its own ConnectionMade calls the base's first, as a
// Python protocol calls super().connection_made(transport):
//
//	func (g *greeter) ConnectionMade(t transports.BaseTransport) {
//		g.StreamBase.ConnectionMade(t)
//		_ = g.Transport().Write([]byte("hello\n"))
//	}
//
// A protocol installed with SetProtocol gets no ConnectionMade (as in
// asyncio), so its Transport is nil until it is given one with
// ConnectionMade by the code that switches protocols.

// StreamBase is an embeddable Protocol whose callbacks do nothing:
// DataReceived drops the data and EOFReceived returns false (the transport
// closes itself), as asyncio.Protocol's defaults. A BufferedProtocol can
// embed it too for ConnectionMade, ConnectionLost, the flow-control
// callbacks and EOFReceived: stream transports prefer GetBuffer and
// BufferUpdated when a protocol has them.
type StreamBase struct{ t BaseTransport }

var (
	_ Protocol           = (*StreamBase)(nil)
	_ DatagramProtocol   = (*DatagramBase)(nil)
	_ SubprocessProtocol = (*SubprocessBase)(nil)
)

// ConnectionMade keeps t for Transport.
func (b *StreamBase) ConnectionMade(t BaseTransport) { b.t = t }

// ConnectionLost does nothing.
func (b *StreamBase) ConnectionLost(error) {}

// PauseWriting does nothing.
func (b *StreamBase) PauseWriting() {}

// ResumeWriting does nothing.
func (b *StreamBase) ResumeWriting() {}

// DataReceived drops data.
func (b *StreamBase) DataReceived([]byte) {}

// EOFReceived returns false: the transport closes itself.
func (b *StreamBase) EOFReceived() bool { return false }

// Transport returns the stream transport ConnectionMade was given (TCP,
// Unix or TLS), or nil before ConnectionMade or when the transport is not
// bidirectional (a read or write pipe: see BaseTransport).
func (b *StreamBase) Transport() Transport {
	t, _ := b.t.(Transport)
	return t
}

// BaseTransport returns the transport ConnectionMade was given, whatever
// its kind (a pipe's ReadTransport or WriteTransport), or nil before.
func (b *StreamBase) BaseTransport() BaseTransport { return b.t }

// DatagramBase is an embeddable DatagramProtocol whose callbacks do
// nothing, as asyncio.DatagramProtocol's defaults.
type DatagramBase struct{ t DatagramTransport }

// ConnectionMade keeps t for Transport.
func (b *DatagramBase) ConnectionMade(t BaseTransport) { b.t, _ = t.(DatagramTransport) }

// ConnectionLost does nothing.
func (b *DatagramBase) ConnectionLost(error) {}

// PauseWriting does nothing.
func (b *DatagramBase) PauseWriting() {}

// ResumeWriting does nothing.
func (b *DatagramBase) ResumeWriting() {}

// DatagramReceived drops the datagram.
func (b *DatagramBase) DatagramReceived([]byte, net.Addr) {}

// ErrorReceived does nothing.
func (b *DatagramBase) ErrorReceived(error) {}

// Transport returns the endpoint ConnectionMade was given, or nil before.
func (b *DatagramBase) Transport() DatagramTransport { return b.t }

// SubprocessBase is an embeddable SubprocessProtocol whose callbacks do
// nothing, as asyncio.SubprocessProtocol's defaults.
type SubprocessBase struct{ t SubprocessTransport }

// ConnectionMade keeps t for Transport.
func (b *SubprocessBase) ConnectionMade(t BaseTransport) { b.t, _ = t.(SubprocessTransport) }

// ConnectionLost does nothing.
func (b *SubprocessBase) ConnectionLost(error) {}

// PauseWriting does nothing.
func (b *SubprocessBase) PauseWriting() {}

// ResumeWriting does nothing.
func (b *SubprocessBase) ResumeWriting() {}

// PipeDataReceived drops the data.
func (b *SubprocessBase) PipeDataReceived(int, []byte) {}

// PipeConnectionLost does nothing.
func (b *SubprocessBase) PipeConnectionLost(int, error) {}

// ProcessExited does nothing.
func (b *SubprocessBase) ProcessExited() {}

// Transport returns the child's transport ConnectionMade was given, or nil
// before.
func (b *SubprocessBase) Transport() SubprocessTransport { return b.t }
