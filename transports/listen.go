package transports

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// createServer is CreateServer. host "" binds the wildcard addresses of
// both families (0.0.0.0 and ::, the IPv6 socket with IPV6_V6ONLY, as
// asyncio); a family the system lacks is skipped, as is an address that
// cannot be assigned (EADDRNOTAVAIL).
func createServer(l *loop.Loop, factory ProtocolFactory, host string, port int, opts ListenOptions) *loop.Future {
	f := l.NewFuture()
	if opts.File != nil {
		if host != "" || port != 0 {
			_ = f.SetException(NewError(KindValueError, "host/port and sock can not be specified at the same time"))
			return f
		}
		return serveFile(l, factory, opts, f)
	}
	if err := checkPort(port); err != nil {
		_ = f.SetException(err)
		return f
	}
	l.Ref()
	l.CallSoon(func() {
		lookupHost(l, host, true, func(ips []netip.Addr, err error) {
			defer l.Unref()
			if f.Done() {
				return
			}
			if err != nil {
				_ = f.SetException(err)
				return
			}
			srv, err := bindTCP(l, factory, ips, port, opts)
			if err != nil {
				_ = f.SetException(err)
				return
			}
			finishServer(f, srv, opts)
		})
	})
	return f
}

// bindTCP makes a server with one bound socket per address.
func bindTCP(l *loop.Loop, factory ProtocolFactory, ips []netip.Addr, port int, opts ListenOptions) (*Server, error) {
	srv := newServer(l, factory, opts.Backlog)
	reuseAddr := opts.ReuseAddress == nil || *opts.ReuseAddress
	tried := make([]string, 0, len(ips))
	for _, ip := range ips {
		family, sa := ipSockaddr(ip, port)
		addr := ipNetAddr(ip, port)
		tried = append(tried, PyAddr(addr))
		if opts.Check != nil {
			if err := opts.Check("tcp", addr); err != nil {
				srv.Close()
				return nil, MapError(err)
			}
		}
		fd, err := sysSocket(family, unix.SOCK_STREAM, 0)
		if err != nil {
			continue // the family is not supported here, as asyncio skips it
		}
		if e := setListenOptions(fd, family, reuseAddr, opts.ReusePort); e != nil {
			closeFD(fd)
			srv.Close()
			return nil, e
		}
		if err := unix.Bind(fd, sa); err != nil {
			closeFD(fd)
			if err == unix.EADDRNOTAVAIL {
				continue // assume the family is not enabled (bpo-30945)
			}
			srv.Close()
			return nil, bindError(err, addr)
		}
		srv.addListener(fd, family)
	}
	if len(srv.listeners) == 0 {
		srv.Close()
		return nil, NewError(KindOSError, fmt.Sprintf("could not bind on any address out of [%s]", strings.Join(tried, ", ")))
	}
	return srv, nil
}

// setListenOptions sets SO_REUSEADDR, SO_REUSEPORT (TCP only, as Linux
// 6.12.9+ requires) and IPV6_V6ONLY on an IPv6 socket.
func setListenOptions(fd, family int, reuseAddr, reusePort bool) error {
	if reuseAddr {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return MapError(err)
		}
	}
	if reusePort && (family == unix.AF_INET || family == unix.AF_INET6) {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return MapError(err)
		}
	}
	if family == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return MapError(err)
		}
	}
	return nil
}

// finishServer starts serving unless delayed, then resolves f.
func finishServer(f *loop.Future, srv *Server, opts ListenOptions) {
	if f.Done() {
		srv.Close()
		return
	}
	if !opts.DelayServing {
		if err := srv.StartServing(); err != nil {
			srv.Close()
			_ = f.SetException(err)
			return
		}
	}
	_ = f.SetResult(srv)
}

// createUnixServer is CreateUnixServer. As asyncio: a stale socket file at
// path is removed before binding (only if it is a socket), binding to a path
// in use is "Address '...' is already in use", and closing the server
// removes the file if it is still the one the server bound. A path starting
// with "@" or NUL is a Linux abstract socket and has no file.
func createUnixServer(l *loop.Loop, factory ProtocolFactory, path string, opts ListenOptions) *loop.Future {
	f := l.NewFuture()
	if opts.File != nil {
		if path != "" {
			_ = f.SetException(NewError(KindValueError, "path and sock can not be specified at the same time"))
			return f
		}
		return serveFile(l, factory, opts, f)
	}
	if path == "" {
		_ = f.SetException(NewError(KindValueError, "path was not specified, and no sock specified"))
		return f
	}
	l.Ref()
	l.CallSoon(func() {
		defer l.Unref()
		if f.Done() {
			return
		}
		srv, err := bindUnix(l, factory, path, opts)
		if err != nil {
			_ = f.SetException(err)
			return
		}
		finishServer(f, srv, opts)
	})
	return f
}

func bindUnix(l *loop.Loop, factory ProtocolFactory, path string, opts ListenOptions) (*Server, error) {
	if opts.Check != nil {
		if err := opts.Check("unix", &net.UnixAddr{Name: path, Net: "unix"}); err != nil {
			return nil, MapError(err)
		}
	}
	abstract := path[0] == 0 || path[0] == '@'
	if !abstract {
		removeStaleSocket(path)
	}
	fd, err := sysSocket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return nil, MapError(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		closeFD(fd)
		if err == unix.EADDRINUSE {
			return nil, newErrnoError(unix.EADDRINUSE, fmt.Sprintf("Address '%s' is already in use", path))
		}
		return nil, MapError(err)
	}
	srv := newServer(l, factory, opts.Backlog)
	ln := srv.addListener(fd, unix.AF_UNIX)
	if !abstract {
		var st unix.Stat_t
		if unix.Stat(path, &st) == nil {
			ln.path, ln.ino = path, uint64(st.Ino)
		}
	}
	return srv, nil
}

// removeStaleSocket removes the file at path if it is a socket, as asyncio
// does before binding a Unix server.
func removeStaleSocket(path string) {
	var st unix.Stat_t
	if unix.Stat(path, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK {
		_ = unix.Unlink(path)
	}
}

// serveFile makes a server on a duplicate of an already bound socket
// (asyncio's sock=).
func serveFile(l *loop.Loop, factory ProtocolFactory, opts ListenOptions, f *loop.Future) *loop.Future {
	fd, family, err := adoptStreamSocket(opts.File)
	if err != nil {
		_ = f.SetException(err)
		return f
	}
	l.Ref()
	l.CallSoon(func() {
		defer l.Unref()
		if f.Done() {
			closeFD(fd)
			return
		}
		srv := newServer(l, factory, opts.Backlog)
		srv.addListener(fd, family)
		finishServer(f, srv, opts)
	})
	return f
}

// connectAcceptedSocket is ConnectAcceptedSocket.
func connectAcceptedSocket(l *loop.Loop, factory ProtocolFactory, file *os.File) *loop.Future {
	f := l.NewFuture()
	fd, family, err := adoptStreamSocket(file)
	if err != nil {
		_ = f.SetException(err)
		return f
	}
	l.Ref()
	l.CallSoon(func() {
		defer l.Unref()
		if f.Done() {
			closeFD(fd)
			return
		}
		p, err := callFactory(factory)
		if err != nil {
			closeFD(fd)
			_ = f.SetException(err)
			return
		}
		newSocketTransport(l, fd, family, p, nil, nil, f)
	})
	return f
}

// adoptStreamSocket duplicates file's descriptor, checks that it is a stream
// socket and makes the duplicate non-blocking. (The original shares the
// open file description, so it becomes non-blocking too, as with asyncio's
// sock.setblocking(False).)
func adoptStreamSocket(file *os.File) (fd, family int, e error) {
	if file == nil {
		return -1, 0, NewError(KindTypeError, "sock must be a socket file, not nil")
	}
	fd, err := dupFile(file)
	if err != nil {
		return -1, 0, MapError(err)
	}
	family, sotype, err := socketFamilyType(fd)
	if err != nil {
		closeFD(fd)
		return -1, 0, MapError(fmt.Errorf("sock %s: %w", file.Name(), err))
	}
	if sotype != unix.SOCK_STREAM {
		e := NewError(KindValueError, fmt.Sprintf("A Stream Socket was expected, got %s", newSocket(fd, family, sotype)))
		closeFD(fd)
		return -1, 0, e
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		closeFD(fd)
		return -1, 0, MapError(err)
	}
	return fd, family, nil
}

// dupFile duplicates the descriptor of file without changing its mode (as
// os.File.Fd would).
func dupFile(file *os.File) (int, error) {
	rc, err := file.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("sock %s: %w", file.Name(), err)
	}
	nfd, derr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) { nfd, derr = dupSocket(int(fd)) }); err != nil {
		return -1, fmt.Errorf("sock %s: %w", file.Name(), err)
	}
	return nfd, derr
}
