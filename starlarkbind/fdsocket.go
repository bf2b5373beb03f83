package starlarkbind

import (
	"net"

	"golang.org/x/sys/unix"
)

// fdSocket describes a socket descriptor the host handed over
// (os.listen_fds()). It never closes the descriptor: it belongs to the
// process, and every loop may use it.
type fdSocket struct {
	fd, family, typ int
}

// newFDSocket describes fd, or reports false when fd is not a socket.
func newFDSocket(fd int) (*fdSocket, bool) {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return nil, false
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, false
	}
	return &fdSocket{fd: fd, family: sockaddrFamily(sa), typ: typ}, true
}

func sockaddrFamily(sa unix.Sockaddr) int {
	switch sa.(type) {
	case *unix.SockaddrInet4:
		return unix.AF_INET
	case *unix.SockaddrInet6:
		return unix.AF_INET6
	case *unix.SockaddrUnix:
		return unix.AF_UNIX
	}
	return unix.AF_UNSPEC
}

func (s *fdSocket) Fileno() int { return s.fd }
func (s *fdSocket) Family() int { return s.family }
func (s *fdSocket) Type() int   { return s.typ }

func (s *fdSocket) Getsockname() net.Addr {
	sa, err := unix.Getsockname(s.fd)
	if err != nil {
		return nil
	}
	return sockaddrToAddr(sa, s.typ)
}

func (s *fdSocket) Getpeername() net.Addr {
	sa, err := unix.Getpeername(s.fd)
	if err != nil {
		return nil
	}
	return sockaddrToAddr(sa, s.typ)
}

// sockaddrToAddr converts a kernel address to a net.Addr.
func sockaddrToAddr(sa unix.Sockaddr, typ int) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		ip := net.IP(append([]byte(nil), a.Addr[:]...))
		if typ == unix.SOCK_DGRAM {
			return &net.UDPAddr{IP: ip, Port: a.Port}
		}
		return &net.TCPAddr{IP: ip, Port: a.Port}
	case *unix.SockaddrInet6:
		ip := net.IP(append([]byte(nil), a.Addr[:]...))
		if typ == unix.SOCK_DGRAM {
			return &net.UDPAddr{IP: ip, Port: a.Port}
		}
		return &net.TCPAddr{IP: ip, Port: a.Port}
	case *unix.SockaddrUnix:
		if typ == unix.SOCK_DGRAM {
			return &net.UnixAddr{Name: a.Name, Net: "unixgram"}
		}
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	}
	return nil
}

// dupCloexec duplicates fd with close-on-exec set.
func dupCloexec(fd int) (int, error) {
	return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
}
