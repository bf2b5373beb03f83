package transports

import (
	"net"
	"os"
	"time"

	"github.com/starnet-dev/starnet/loop"
)

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
//
// host "" means Python's None (the loopback addresses, ::1 then 127.0.0.1);
// a literal IP address needs no resolver. opts.Check is called for each
// address just before its socket is made. With opts.HappyEyeballsDelay > 0
// the addresses are interleaved by family and each attempt starts after the
// delay or as soon as the previous one fails; otherwise they are tried in
// turn. The first to connect wins and the others are closed. When every
// attempt fails, the error is asyncio's choice: the only one, the first when
// all read alike, else "Multiple exceptions: ..." — of the common kind (e.g.
// ConnectionRefusedError) when all failed the same way, else OSError.
// Cancelling the Future stops the attempts. The pending operation keeps the
// loop alive. The work starts on the next loop iteration: the factory is
// never called during CreateConnection itself, and argument errors fail the
// Future.
func CreateConnection(l *loop.Loop, factory ProtocolFactory, host string, port int, opts DialOptions) *loop.Future {
	return createConnection(l, factory, host, port, opts)
}

// CreateUnixConnection connects to the Unix stream socket at path.
// opts.LocalAddr and opts.HappyEyeballsDelay do not apply; opts.Check is
// called with a *net.UnixAddr.
func CreateUnixConnection(l *loop.Loop, factory ProtocolFactory, path string, opts DialOptions) *loop.Future {
	return createUnixConnection(l, factory, path, opts)
}

// CreateServer listens on host:port and resolves the Future with a *Server.
// host "" means every interface; a name that resolves to several addresses
// gets one socket each; port 0 lets the kernel choose.
//
// As asyncio: host "" binds 0.0.0.0 and :: (the IPv6 socket with
// IPV6_V6ONLY), skipping a family the system lacks or an address it cannot
// assign; SO_REUSEADDR is set unless opts.ReuseAddress is false;
// SO_REUSEPORT only on TCP sockets. opts.Check sees each address (for host
// "" the wildcard ones) before its socket is made. A bind error reads
// "error while attempting to bind on address ('127.0.0.1', 80): ...". The
// sockets are made on the next loop iteration; argument errors fail the
// Future.
func CreateServer(l *loop.Loop, factory ProtocolFactory, host string, port int, opts ListenOptions) *loop.Future {
	return createServer(l, factory, host, port, opts)
}

// CreateUnixServer listens on the Unix socket at path.
// A stale socket file at path is removed first; closing the server removes
// the file.
func CreateUnixServer(l *loop.Loop, factory ProtocolFactory, path string, opts ListenOptions) *loop.Future {
	return createUnixServer(l, factory, path, opts)
}

// ConnectAcceptedSocket wraps an already connected stream socket in a
// transport (asyncio's connect_accepted_socket). The transport takes
// ownership of a duplicate of f.
func ConnectAcceptedSocket(l *loop.Loop, factory ProtocolFactory, f *os.File) *loop.Future {
	return connectAcceptedSocket(l, factory, f)
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
// host "" means Python's None: the loopback addresses.
func GetAddrInfo(l *loop.Loop, host string, port int) *loop.Future {
	return getAddrInfo(l, host, port)
}
