package transports

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Socket describes a socket, as the object get_extra_info("socket") returns
// (asyncio's TransportSocket). It does not own the descriptor: the transport
// or server that made it closes the descriptor, after which Fileno returns -1
// and the address methods return nil.
type Socket struct {
	fd     int
	family int
	typ    int
}

// newSocket describes fd, a socket of the given family and type.
func newSocket(fd, family, typ int) *Socket {
	return &Socket{fd: fd, family: family, typ: typ}
}

// markClosed records that the owner closed the descriptor.
func (s *Socket) markClosed() { s.fd = -1 }

// Fileno returns the descriptor (-1 once closed).
func (s *Socket) Fileno() int { return s.fd }

// Family returns AF_INET, AF_INET6 or AF_UNIX.
func (s *Socket) Family() int { return s.family }

// Type returns SOCK_STREAM or SOCK_DGRAM.
func (s *Socket) Type() int { return s.typ }

// Getsockname returns the local address, or nil once the socket is closed.
func (s *Socket) Getsockname() net.Addr {
	if s.fd < 0 {
		return nil
	}
	sa, err := unix.Getsockname(s.fd)
	if err != nil {
		return nil
	}
	return sockaddrToAddr(sa, s.typ)
}

// Getpeername returns the remote address, or nil when the socket is not
// connected or is closed.
func (s *Socket) Getpeername() net.Addr {
	if s.fd < 0 {
		return nil
	}
	sa, err := unix.Getpeername(s.fd)
	if err != nil {
		return nil
	}
	return sockaddrToAddr(sa, s.typ)
}

// String reads like Python's repr of a socket:
// "<socket fd=7, family=2, type=1, laddr=('127.0.0.1', 8080)>".
func (s *Socket) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<socket fd=%d, family=%d, type=%d", s.fd, s.family, s.typ)
	if a := s.Getsockname(); a != nil {
		b.WriteString(", laddr=" + PyAddr(a))
	}
	if a := s.Getpeername(); a != nil {
		b.WriteString(", raddr=" + PyAddr(a))
	}
	b.WriteString(">")
	return b.String()
}

// PyAddr formats addr as Python shows a socket address: ('127.0.0.1', 80)
// for IPv4, ('::1', 80, 0, 0) for IPv6, and the quoted path for a Unix
// socket.
func PyAddr(addr net.Addr) string {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return pyIPAddr(a.IP, a.Port, a.Zone)
	case *net.UDPAddr:
		return pyIPAddr(a.IP, a.Port, a.Zone)
	case *net.UnixAddr:
		return "'" + a.Name + "'"
	case nil:
		return "None"
	}
	return addr.String()
}

func pyIPAddr(ip net.IP, port int, zone string) string {
	if ip.To4() != nil {
		return "('" + ip.String() + "', " + strconv.Itoa(port) + ")"
	}
	host := ip.String()
	if zone != "" {
		host += "%" + zone
	}
	return "('" + host + "', " + strconv.Itoa(port) + ", 0, 0)"
}

// sockaddrToAddr converts a kernel socket address to a net.Addr of the kind
// matching the socket type: *net.TCPAddr or *net.UnixAddr for a stream
// socket, *net.UDPAddr or a "unixgram" *net.UnixAddr for a datagram socket.
func sockaddrToAddr(sa unix.Sockaddr, sotype int) net.Addr {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		ip := net.IPv4(a.Addr[0], a.Addr[1], a.Addr[2], a.Addr[3]).To4()
		if sotype == unix.SOCK_DGRAM {
			return &net.UDPAddr{IP: ip, Port: a.Port}
		}
		return &net.TCPAddr{IP: ip, Port: a.Port}
	case *unix.SockaddrInet6:
		ip := make(net.IP, net.IPv6len)
		copy(ip, a.Addr[:])
		zone := zoneName(a.ZoneId)
		if sotype == unix.SOCK_DGRAM {
			return &net.UDPAddr{IP: ip, Port: a.Port, Zone: zone}
		}
		return &net.TCPAddr{IP: ip, Port: a.Port, Zone: zone}
	case *unix.SockaddrUnix:
		if sotype == unix.SOCK_DGRAM {
			return &net.UnixAddr{Name: a.Name, Net: "unixgram"}
		}
		return &net.UnixAddr{Name: a.Name, Net: "unix"}
	}
	return nil
}

// zoneName returns the interface name for an IPv6 zone index.
func zoneName(index uint32) string {
	if index == 0 {
		return ""
	}
	if ifi, err := net.InterfaceByIndex(int(index)); err == nil {
		return ifi.Name
	}
	return strconv.Itoa(int(index))
}

// zoneIndex returns the interface index for an IPv6 zone name.
func zoneIndex(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if n, err := strconv.Atoi(zone); err == nil {
		return uint32(n)
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}

// ipSockaddr returns the address family and kernel address for ip:port.
// An IPv4 address uses AF_INET, anything else AF_INET6.
func ipSockaddr(ip netip.Addr, port int) (int, unix.Sockaddr) {
	if ip.Is4() {
		return unix.AF_INET, &unix.SockaddrInet4{Port: port, Addr: ip.As4()}
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Port: port, Addr: ip.As16(), ZoneId: zoneIndex(ip.Zone())}
}

// ipNetAddr returns ip:port as a *net.TCPAddr.
func ipNetAddr(ip netip.Addr, port int) *net.TCPAddr {
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(port)))
}

// socketFamilyType returns the family and type of an open socket.
func socketFamilyType(fd int) (family, sotype int, err error) {
	sotype, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return 0, 0, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, 0, err
	}
	switch sa.(type) {
	case *unix.SockaddrInet4:
		family = unix.AF_INET
	case *unix.SockaddrInet6:
		family = unix.AF_INET6
	case *unix.SockaddrUnix:
		family = unix.AF_UNIX
	default:
		return 0, 0, errors.New("unsupported socket family")
	}
	return family, sotype, nil
}

// closeFD closes fd, ignoring the error: a descriptor is released by close(2)
// even when it reports one.
func closeFD(fd int) {
	if fd >= 0 {
		_ = unix.Close(fd)
	}
}

// setNoDelay turns off Nagle's algorithm on a TCP socket, as asyncio does for
// every stream transport.
func setNoDelay(fd, family int) {
	if family == unix.AF_INET || family == unix.AF_INET6 {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
}

// dupSocket duplicates fd with close-on-exec set, for a transport or server
// that takes ownership of a copy of a caller's file.
func dupSocket(fd int) (int, error) {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("dup socket: %w", err)
	}
	return nfd, nil
}
