package transports

import (
	"crypto/tls"
	"net"
	"os"
	"time"

	"github.com/starnet-dev/starnet/loop"
)

// AddrCheck vets a resolved address before any socket is created for it (or,
// for a server, before it binds). Returning an error fails the operation with
// that error. starlarkbind uses it to enforce --allow-net after name
// resolution. network is "tcp" or "unix" for stream sockets (for "unix", addr
// is a *net.UnixAddr), "udp" (addr a *net.UDPAddr) or "unixgram" (addr a
// *net.UnixAddr) for datagram endpoints.
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

	// TLS, when set, makes the connection a TLS client (asyncio's ssl=):
	// the Future is resolved once the handshake has completed, with a TLS
	// transport (see tls.go), and fails if it does not (with an
	// SSLCertVerificationError, an SSLError, a ConnectionAbortedError after
	// HandshakeTimeout, ...); the protocol is connected only after a
	// successful handshake. The config is copied for the connection, with
	// renegotiation refused; its callbacks run on the handshake's helper
	// goroutine. A TLS option without TLS is a ValueError.
	TLS *tls.Config
	// ServerHostname is the name sent (SNI) and checked against the
	// server's certificate; "" means the config's ServerName, else the host
	// (asyncio's server_hostname=None). CreateUnixConnection needs one of
	// them.
	ServerHostname string
	// HandshakeTimeout aborts a handshake that takes longer, failing the
	// Future with a ConnectionAbortedError; 0 means 60 s.
	HandshakeTimeout time.Duration
	// ShutdownTimeout aborts the connection when the peer does not answer
	// close_notify in time after Close; 0 means 30 s.
	ShutdownTimeout time.Duration
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

	// TLS, when set, makes every connection the server side of TLS
	// (asyncio's ssl=): the protocol's ConnectionMade is called once the
	// handshake has completed, and never for a connection whose handshake
	// fails (the factory is called at accept, as asyncio does). The config
	// must have a certificate; it is copied when the server is created, so
	// later changes do not apply (rotate certificates with GetCertificate;
	// its callbacks run on the handshake's helper goroutine). A TLS option
	// without TLS is a ValueError.
	TLS *tls.Config
	// HandshakeTimeout aborts a connection whose handshake takes longer;
	// 0 means 60 s.
	HandshakeTimeout time.Duration
	// ShutdownTimeout aborts a closing connection whose peer does not
	// answer close_notify in time; 0 means 30 s.
	ShutdownTimeout time.Duration
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
	if opts.usesTLS() {
		return createTLSConnection(l, factory, host, port, opts)
	}
	return createConnection(l, factory, host, port, opts)
}

// CreateUnixConnection connects to the Unix stream socket at path.
// opts.LocalAddr and opts.HappyEyeballsDelay do not apply; opts.Check is
// called with a *net.UnixAddr.
func CreateUnixConnection(l *loop.Loop, factory ProtocolFactory, path string, opts DialOptions) *loop.Future {
	if opts.usesTLS() {
		return createTLSUnixConnection(l, factory, path, opts)
	}
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
	factory, err := wrapServerTLS(l, factory, opts)
	if err != nil {
		return failedFuture(l, err)
	}
	return createServer(l, factory, host, port, opts)
}

// CreateUnixServer listens on the Unix socket at path.
// A stale socket file at path is removed first; closing the server removes
// the file.
func CreateUnixServer(l *loop.Loop, factory ProtocolFactory, path string, opts ListenOptions) *loop.Future {
	factory, err := wrapServerTLS(l, factory, opts)
	if err != nil {
		return failedFuture(l, err)
	}
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

// DatagramOptions are create_datagram_endpoint's keyword arguments.
type DatagramOptions struct {
	// Network is "udp" (the default: IPv4 or IPv6, as the addresses
	// resolve), "udp4" or "udp6" (one family: asyncio's family=), or "unix"
	// (a Unix datagram socket; the addresses are paths, "@name" for a Linux
	// abstract socket).
	Network string
	// LocalAddr binds the socket: "host:port" ("" host: every interface;
	// port 0: the kernel chooses) or a path. A stale Unix socket file at the
	// path is removed first.
	LocalAddr string
	// RemoteAddr connects the socket to "host:port" or a path: SendTo with a
	// nil address sends there, any other address is a ValueError, and only
	// its datagrams are received. With AllowBroadcast the socket is not
	// connected, but the address is still the default destination.
	RemoteAddr string
	// ReusePort sets SO_REUSEPORT (UDP only).
	ReusePort bool
	// AllowBroadcast sets SO_BROADCAST (UDP only).
	AllowBroadcast bool
	// Check vets the local and remote addresses before the socket is made,
	// and every destination given to SendTo, with network "udp" or
	// "unixgram". A SendTo that Check refuses fails with its error.
	Check AddrCheck
}

// CreateDatagramEndpoint makes a datagram endpoint (asyncio's
// create_datagram_endpoint) and resolves the Future with a *Connection whose
// Transport is a DatagramTransport. The factory must return a
// DatagramProtocol.
//
// UDP addresses are resolved (off the loop thread for names); the local and
// remote addresses are paired by family and each family that has both (when
// both are given) is tried in turn; the first socket that binds and connects
// wins, else the first error fails the Future. The socket is made on the
// next loop iteration; argument errors fail the Future.
//
// The transport receives each datagram whole (up to 256 KiB; UDP's maximum
// is 65,507 bytes) and calls DatagramReceived(data, addr) with addr a
// *net.UDPAddr, a *net.UnixAddr, or nil for an unbound Unix sender. Receive
// and send errors go to ErrorReceived (a connected endpoint gets a
// ConnectionRefusedError after an ICMP port unreachable) and the endpoint
// stays open; a panic in DatagramReceived is reported to the exception
// handler and the endpoint keeps serving. SendTo queues what the kernel
// refuses; the queue's size (each datagram's length plus 8, as asyncio
// counts) drives PauseWriting and ResumeWriting like a stream's write
// buffer, with the same default limits. The concrete transport also has
// GetWriteBufferLimits and SetWriteBufferLimits. Close sends the queue, then
// ConnectionLost(nil); Abort drops it.
func CreateDatagramEndpoint(l *loop.Loop, factory ProtocolFactory, opts DatagramOptions) *loop.Future {
	return createDatagramEndpoint(l, factory, opts)
}

// ConnectReadPipe wraps the read end of a pipe (or a FIFO, a socket, a
// character device or a regular file) in a ReadTransport, as asyncio's
// connect_read_pipe, and resolves the Future with a *Connection. The
// transport takes ownership of f: it makes it non-blocking and closes it
// after ConnectionLost. The protocol must be a Protocol: DataReceived gets
// what is read; at EOF EOFReceived is called (its result is ignored) and
// then ConnectionLost(nil). PauseReading and ResumeReading work as on a
// stream. A regular file is read to its end, one chunk per loop iteration.
// GetExtraInfo("pipe") returns f.
func ConnectReadPipe(l *loop.Loop, factory ProtocolFactory, f *os.File) *loop.Future {
	return connectPipe(l, factory, f, false)
}

// ConnectWritePipe wraps the write end of a pipe (or a FIFO, a socket, a
// character device or a regular file) in a WriteTransport, as asyncio's
// connect_write_pipe, and resolves the Future with a *Connection. The
// transport takes ownership of f: it makes it non-blocking and closes it
// after ConnectionLost.
//
// Write tries the system call at once and buffers the rest, with the stream
// transport's flow control. Close and WriteEOF are the same: flush, then
// close the pipe and call ConnectionLost(nil). When the reader goes away the
// transport learns it from the kernel: ConnectionLost(nil) if nothing was
// buffered, else ConnectionLost with a BrokenPipeError, as a write that
// fails with EPIPE also gives. Writes to a closing transport are ignored. A
// regular file is never refused by the kernel, so each Write completes at
// once (waiting for the disk as a blocking write would).
// GetExtraInfo("pipe") returns f.
func ConnectWritePipe(l *loop.Loop, factory ProtocolFactory, f *os.File) *loop.Future {
	return connectPipe(l, factory, f, true)
}

// StdioKind says what one of a child's standard descriptors is connected to.
type StdioKind int

// The kinds of Stdio, asyncio's subprocess.PIPE, DEVNULL, STDOUT, None and
// a file.
const (
	// StdioPipe is a pipe to the parent, with its own pipe transport (the
	// zero value, asyncio's default).
	StdioPipe StdioKind = iota
	// StdioDevNull is /dev/null.
	StdioDevNull
	// StdioStdout, for stderr only, sends it where stdout goes.
	StdioStdout
	// StdioInherit is the parent's own descriptor (asyncio's None).
	StdioInherit
	// StdioFile is Stdio.File's descriptor.
	StdioFile
)

// Stdio is what a child's stdin, stdout or stderr is connected to. The zero
// value is a pipe.
type Stdio struct {
	Kind StdioKind
	// File is the file for StdioFile. The child gets its descriptor as is
	// (a non-blocking file stays non-blocking); the caller keeps it.
	File *os.File
}

// SubprocessOptions are subprocess_exec's keyword arguments.
type SubprocessOptions struct {
	// Stdin, Stdout and Stderr connect the child's descriptors 0, 1 and 2;
	// the zero values are pipes.
	Stdin, Stdout, Stderr Stdio
	// Dir is the child's working directory ("": the parent's).
	Dir string
	// Env is the child's whole environment ("KEY=value" strings); nil
	// means the parent's. The program is looked up in this environment's
	// PATH, as Python does.
	Env []string
	// Check vets the program before anything starts: argv[0] as given to
	// SubprocessExec, "/bin/sh" for SubprocessShell. Its error fails the
	// Future.
	Check func(program string) error
	// Limit, when not nil, caps the children running at once (see
	// ChildLimit): a call past it fails with BlockingIOError.
	Limit *ChildLimit

	// sigchld makes the child watched through SIGCHLD even where pidfds
	// work (tests).
	sigchld bool
}

// SubprocessExec starts argv[0] (looked up in PATH unless it has a slash)
// with the arguments argv[1:], as asyncio's subprocess_exec, and resolves the
// Future with a *Connection whose Transport is a SubprocessTransport, once
// the protocol's ConnectionMade has run.
//
// The child is started with syscall.ForkExec: it inherits no descriptor but
// its three standard ones, since every descriptor starnet opens is
// close-on-exec. Each PIPE fd gets a pipe transport (GetPipeTransport): fd 0
// a write pipe transport (Write, flow control forwarded to the protocol's
// PauseWriting and ResumeWriting, WriteEOF to close the child's stdin), fd 1
// and 2 read pipe transports (PauseReading and ResumeReading). The loop
// itself sees the child exit (a pidfd in its poller on Linux 5.3+, else
// SIGCHLD) and reaps it, so no zombie is left even if the pipes are never
// read; each running child keeps the loop alive.
//
// The protocol, best a SubprocessProtocol, gets PipeDataReceived(fd, data),
// PipeConnectionLost(fd, err), ProcessExited() and, once the child has
// exited and every pipe is lost, ConnectionLost(nil) on a later iteration.
// Writing to a child that has exited ends its stdin transport with a
// BrokenPipeError (PipeConnectionLost(0, BrokenPipeError)) and affects
// nothing else. Close kills a child that still runs (SIGKILL) and closes the
// pipes; SendSignal, Terminate and Kill fail with ProcessLookupError once
// the child has been reaped. GetExtraInfo("subprocess") is the pid.
//
// Argument errors, opts.Check's refusal and start failures (a missing
// program is FileNotFoundError "[Errno 2] No such file or directory:
// 'prog'") fail the Future; the child is started on the next iteration.
func SubprocessExec(l *loop.Loop, factory ProtocolFactory, argv []string, opts SubprocessOptions) *loop.Future {
	return subprocessExec(l, factory, argv, opts)
}

// SubprocessShell runs cmd with /bin/sh -c, as asyncio's subprocess_shell;
// otherwise it is SubprocessExec.
func SubprocessShell(l *loop.Loop, factory ProtocolFactory, cmd string, opts SubprocessOptions) *loop.Future {
	return subprocessExec(l, factory, []string{"/bin/sh", "-c", cmd}, opts)
}

// Sendfile sends count bytes of f from offset (count <= 0: to the end of
// the file) through t, as asyncio's loop.sendfile, and resolves the Future
// with the number of bytes sent (int64). Afterwards f's position is just
// after the last byte sent. t must not be closing (RuntimeError).
//
// On a TCP or Unix stream transport the write buffer is flushed first, then
// the file goes out with sendfile(2) (Linux; elsewhere, or for a file the
// kernel cannot send, by reading and writing) each time the socket is
// writable, without blocking the loop. Meanwhile reading is paused and
// Write fails with a RuntimeError, as in asyncio; Close and WriteEOF wait
// for the file as they wait for the buffer, and Abort or a connection error
// fails the Future (a ConnectionError, or the error). On any other
// WriteTransport (a write pipe, ...) chunks of the file are written with
// Write while the transport's flow control lets them, the protocol being
// replaced meanwhile (GetProtocol shows the replacement) so that it sees
// no PauseWriting or ResumeWriting of the sendfile's own.
func Sendfile(l *loop.Loop, t WriteTransport, f *os.File, offset int64, count int64) *loop.Future {
	return sendfile(l, t, f, offset, count)
}
