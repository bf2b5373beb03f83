package transports

import (
	"net"
	"os"
	"time"

	"github.com/starnet-dev/starnet/loop"
)

// CONTRACT STUB: the bodies below are being written; the signatures are fixed.

// AddrCheck vets a resolved address before any socket is created for it (or,
// for a server, before it binds). Returning an error fails the operation with
// that error. starlarkbind uses it to enforce --allow-net after name
// resolution. network is "tcp" or "unix"; for "unix", addr is a *net.UnixAddr.
type AddrCheck func(network string, addr net.Addr) error

// DialOptions are create_connection's keyword arguments.
type DialOptions struct {
	// LocalAddr binds the socket before connecting ("host:port"), if set.
	LocalAddr string
	// HappyEyeballsDelay starts the next address's attempt after this delay
	// (RFC 8305) when positive; zero tries the addresses one after another.
	HappyEyeballsDelay time.Duration
	// Check vets each resolved address before connecting to it.
	Check AddrCheck
}

// ListenOptions are create_server's keyword arguments.
type ListenOptions struct {
	// ReuseAddress sets SO_REUSEADDR; nil means true, as asyncio on Unix.
	ReuseAddress *bool
	// ReusePort sets SO_REUSEPORT.
	ReusePort bool
	// Backlog is listen(2)'s backlog; 0 means 100.
	Backlog int
	// DelayServing leaves the server not accepting until StartServing
	// (asyncio's start_serving=False).
	DelayServing bool
	// File serves an already listening socket (asyncio's sock=) instead of
	// host and port. The server takes ownership of a duplicate of it.
	File *os.File
	// Check vets each resolved address before binding.
	Check AddrCheck
}

// CreateConnection resolves host (off the loop thread, the result posted
// back), connects to port, and on success calls factory, makes the transport,
// calls ConnectionMade and resolves the Future with a *Connection. It fails
// the Future with an *Error (ConnectionRefusedError, gaierror, ...).
func CreateConnection(l *loop.Loop, factory ProtocolFactory, host string, port int, opts DialOptions) *loop.Future {
	panic("unimplemented")
}

// CreateUnixConnection connects to the Unix stream socket at path.
func CreateUnixConnection(l *loop.Loop, factory ProtocolFactory, path string, opts DialOptions) *loop.Future {
	panic("unimplemented")
}

// CreateServer listens on host:port and resolves the Future with a *Server.
// host "" means every interface; a name that resolves to several addresses
// gets one socket each; port 0 lets the kernel choose.
func CreateServer(l *loop.Loop, factory ProtocolFactory, host string, port int, opts ListenOptions) *loop.Future {
	panic("unimplemented")
}

// CreateUnixServer listens on the Unix socket at path.
func CreateUnixServer(l *loop.Loop, factory ProtocolFactory, path string, opts ListenOptions) *loop.Future {
	panic("unimplemented")
}

// ConnectAcceptedSocket wraps an already connected stream socket in a
// transport (asyncio's connect_accepted_socket). The transport takes
// ownership of a duplicate of f.
func ConnectAcceptedSocket(l *loop.Loop, factory ProtocolFactory, f *os.File) *loop.Future {
	panic("unimplemented")
}

// AddrInfo is one result of GetAddrInfo, as Python's getaddrinfo tuple.
type AddrInfo struct {
	Family    int
	Type      int
	Proto     int
	Canonname string
	IP        net.IP
	Port      int
}

// GetAddrInfo resolves host off the loop thread; the Future's result is
// []AddrInfo (SOCK_STREAM entries), or a gaierror *Error.
func GetAddrInfo(l *loop.Loop, host string, port int) *loop.Future {
	panic("unimplemented")
}

// Server is a listening server (asyncio.Server).
type Server struct {
	_ int
}

// Close stops listening. Open connections stay open. Idempotent.
func (s *Server) Close() { panic("unimplemented") }

// IsServing reports whether the server is accepting connections.
func (s *Server) IsServing() bool { panic("unimplemented") }

// StartServing starts accepting (after DelayServing). Idempotent.
func (s *Server) StartServing() error { panic("unimplemented") }

// Sockets returns the listening sockets.
func (s *Server) Sockets() []*Socket { panic("unimplemented") }

// Addrs returns the listening addresses.
func (s *Server) Addrs() []net.Addr { panic("unimplemented") }

// WaitClosed returns a Future resolved once the server is closed and every
// connection it accepted has been lost.
func (s *Server) WaitClosed() *loop.Future { panic("unimplemented") }

// CloseClients closes every connection the server accepted.
func (s *Server) CloseClients() { panic("unimplemented") }

// AbortClients aborts every connection the server accepted.
func (s *Server) AbortClients() { panic("unimplemented") }

// Socket describes a socket, as the object get_extra_info("socket") returns
// (asyncio's TransportSocket). It does not own the descriptor.
type Socket struct {
	_ int
}

// Fileno returns the descriptor (-1 once closed).
func (s *Socket) Fileno() int { panic("unimplemented") }

// Family returns AF_INET, AF_INET6 or AF_UNIX.
func (s *Socket) Family() int { panic("unimplemented") }

// Type returns SOCK_STREAM or SOCK_DGRAM.
func (s *Socket) Type() int { panic("unimplemented") }

// Getsockname returns the local address.
func (s *Socket) Getsockname() net.Addr { panic("unimplemented") }

// Getpeername returns the remote address, or nil.
func (s *Socket) Getpeername() net.Addr { panic("unimplemented") }
