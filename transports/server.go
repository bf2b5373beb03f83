package transports

import (
	"net"
	"time"

	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// AcceptRetryDelay is how long a server stops accepting after accept(2) ran
// out of descriptors or memory (asyncio's constants.ACCEPT_RETRY_DELAY).
const AcceptRetryDelay = time.Second

// defaultBacklog is listen(2)'s backlog when ListenOptions.Backlog is 0.
const defaultBacklog = 100

// Server is a listening server (asyncio.Server). It tracks the connections it
// accepted: WaitClosed waits for all of them, CloseClients and AbortClients
// act on all of them. While serving it keeps its loop alive.
type Server struct {
	l         *loop.Loop
	factory   ProtocolFactory
	listeners []*listener
	backlog   int
	closed    bool
	serving   bool
	clients   map[*socketTransport]struct{}
	waiters   []*loop.Future
	woken     bool // WaitClosed's condition has been met
}

// listener is one listening socket of a Server.
type listener struct {
	srv     *Server
	fd      int
	family  int
	sock    *Socket
	path    string // Unix socket file to remove on close, if any
	ino     uint64 // its inode, so a replaced file is left alone
	retry   *loop.Handle
	onReady func()
}

func newServer(l *loop.Loop, factory ProtocolFactory, backlog int) *Server {
	if backlog <= 0 {
		backlog = defaultBacklog
	}
	return &Server{l: l, factory: factory, backlog: backlog, clients: make(map[*socketTransport]struct{})}
}

// addListener adds a bound socket that the server now owns.
func (s *Server) addListener(fd, family int) *listener {
	ln := &listener{srv: s, fd: fd, family: family, sock: newSocket(fd, family, unix.SOCK_STREAM)}
	ln.onReady = ln.acceptReady
	s.listeners = append(s.listeners, ln)
	return ln
}

// String describes the server as asyncio's repr does.
func (s *Server) String() string {
	out := "<Server sockets=("
	for i, ln := range s.listeners {
		if i > 0 {
			out += ", "
		}
		out += ln.sock.String()
	}
	return out + ")>"
}

// Close stops listening and closes the listening sockets (removing a Unix
// socket's file). Connections already accepted stay open. Idempotent.
func (s *Server) Close() {
	if s.closed {
		return
	}
	s.closed = true
	for _, ln := range s.listeners {
		ln.close()
	}
	s.listeners = nil
	if s.serving {
		s.serving = false
		s.l.Unref()
	}
	if len(s.clients) == 0 {
		s.wakeup()
	}
}

// IsServing reports whether the server is accepting connections.
func (s *Server) IsServing() bool { return s.serving }

// StartServing starts accepting (after DelayServing): the sockets start
// listening, as with asyncio where a server created with
// start_serving=False refuses connections until then. Idempotent; a
// RuntimeError once the server is closed.
func (s *Server) StartServing() error {
	if s.serving {
		return nil
	}
	if s.closed {
		return NewError(KindRuntimeError, "server is closed")
	}
	for _, ln := range s.listeners {
		if err := unix.Listen(ln.fd, s.backlog); err != nil {
			return MapError(err)
		}
	}
	for _, ln := range s.listeners {
		if err := ln.startAccepting(); err != nil {
			for _, other := range s.listeners {
				s.l.RemoveReader(other.fd)
			}
			return MapError(err)
		}
	}
	s.serving = true
	s.l.Ref()
	return nil
}

// Sockets returns the listening sockets (none once closed).
func (s *Server) Sockets() []*Socket {
	socks := make([]*Socket, 0, len(s.listeners))
	for _, ln := range s.listeners {
		socks = append(socks, ln.sock)
	}
	return socks
}

// Addrs returns the listening addresses (none once closed).
func (s *Server) Addrs() []net.Addr {
	addrs := make([]net.Addr, 0, len(s.listeners))
	for _, ln := range s.listeners {
		if a := ln.sock.Getsockname(); a != nil {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// WaitClosed returns a Future resolved once the server is closed and every
// connection it accepted has been lost, in either order (asyncio 3.12.1+).
func (s *Server) WaitClosed() *loop.Future {
	f := s.l.NewFuture()
	if s.woken {
		_ = f.SetResult(nil)
		return f
	}
	s.waiters = append(s.waiters, f)
	return f
}

// CloseClients closes every connection the server accepted.
func (s *Server) CloseClients() {
	for _, t := range s.clientList() {
		t.Close()
	}
}

// AbortClients aborts every connection the server accepted.
func (s *Server) AbortClients() {
	for _, t := range s.clientList() {
		t.Abort()
	}
}

func (s *Server) clientList() []*socketTransport {
	list := make([]*socketTransport, 0, len(s.clients))
	for t := range s.clients {
		list = append(list, t)
	}
	return list
}

// attach records a connection the server accepted.
func (s *Server) attach(t *socketTransport) { s.clients[t] = struct{}{} }

// detach forgets a connection once its ConnectionLost has run.
func (s *Server) detach(t *socketTransport) {
	delete(s.clients, t)
	if len(s.clients) == 0 && s.closed {
		s.wakeup()
	}
}

// wakeup resolves the WaitClosed futures, once.
func (s *Server) wakeup() {
	if s.woken {
		return
	}
	s.woken = true
	waiters := s.waiters
	s.waiters = nil
	for _, w := range waiters {
		if !w.Done() {
			_ = w.SetResult(nil)
		}
	}
}

// ---- accepting ----

func (ln *listener) startAccepting() error {
	return ln.srv.l.AddReader(ln.fd, ln.onReady)
}

// acceptReady accepts up to backlog connections per readiness event, as
// asyncio does. When the process runs out of descriptors or memory, the
// error is reported and accepting pauses for AcceptRetryDelay: the listener
// stays open and pending connections wait in the kernel's queue.
func (ln *listener) acceptReady() {
	s := ln.srv
	for i := 0; i < s.backlog && s.serving; i++ {
		fd, sa, err := sysAccept(ln.fd)
		if err != nil {
			ln.acceptFailed(err)
			return
		}
		s.acceptConnection(ln, fd, sa)
	}
}

func (ln *listener) acceptFailed(err error) {
	s := ln.srv
	switch err {
	case unix.EAGAIN, unix.EINTR, unix.ECONNABORTED:
		return
	case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
		s.l.CallExceptionHandler(loop.ErrorContext{
			Message: "socket.accept() out of system resource",
			Err:     MapError(err),
			Extra:   map[string]any{"socket": ln.sock},
		})
		s.l.RemoveReader(ln.fd)
		ln.retry = s.l.CallLater(AcceptRetryDelay, ln.retryAccept)
	default:
		s.l.CallExceptionHandler(loop.ErrorContext{
			Message: "socket.accept() failed",
			Err:     MapError(err),
			Extra:   map[string]any{"socket": ln.sock},
		})
	}
}

func (ln *listener) retryAccept() {
	ln.retry = nil
	if ln.srv.serving {
		if err := ln.startAccepting(); err != nil {
			ln.srv.l.CallExceptionHandler(loop.ErrorContext{
				Message: "cannot resume accepting",
				Err:     MapError(err),
				Extra:   map[string]any{"socket": ln.sock},
			})
		}
	}
}

// acceptConnection makes a protocol and a transport for an accepted socket.
// A factory that panics or returns nil gets the connection closed and the
// error reported.
func (s *Server) acceptConnection(ln *listener, fd int, sa unix.Sockaddr) {
	p, err := callFactory(s.factory)
	if err != nil {
		closeFD(fd)
		s.l.CallExceptionHandler(loop.ErrorContext{
			Message: "Error on transport creation for incoming connection",
			Err:     err,
			Extra:   withSocket(panicExtra(err), ln.sock),
		})
		return
	}
	var peer net.Addr
	if sa != nil {
		peer = sockaddrToAddr(sa, unix.SOCK_STREAM)
	}
	newSocketTransport(s.l, fd, ln.family, p, s, peer, nil)
}

// close stops accepting and closes the socket; a Unix socket's file is
// removed if it is still the one this server bound.
func (ln *listener) close() {
	if ln.retry != nil {
		ln.retry.Cancel()
		ln.retry = nil
	}
	ln.srv.l.RemoveReader(ln.fd)
	closeFD(ln.fd)
	ln.sock.markClosed()
	if ln.path != "" {
		var st unix.Stat_t
		if unix.Stat(ln.path, &st) == nil && uint64(st.Ino) == ln.ino {
			_ = unix.Unlink(ln.path)
		}
	}
}

// callFactory calls a protocol factory: the one place factories are called.
// Its error is returned as is; a nil protocol becomes an error, and a panic
// (host Go code's bug, the safety net) becomes one too.
func callFactory(factory ProtocolFactory) (p BaseProtocol, err error) {
	if factory == nil {
		return nil, NewError(KindTypeError, "protocol factory is nil")
	}
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, panicToError("protocol factory", r)
		}
	}()
	p, err = factory()
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, NewError(KindTypeError, "protocol factory returned nil")
	}
	return p, nil
}

// withSocket adds the "socket" key to an exception handler's extra keys.
func withSocket(extra map[string]any, sock *Socket) map[string]any {
	if extra == nil {
		extra = make(map[string]any, 1)
	}
	extra["socket"] = sock
	return extra
}
