//go:build linux

package transports

import (
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The stream transport's reads and writes on its non-blocking socket never
// block, so on Linux they skip the Go scheduler's bookkeeping around a
// system call that may block (entersyscall, exitsyscall, and the monitor
// thread waking to take the processor back), which costs about as much as
// the rest of the transport's work per message.

// sockRead reads into p from a non-blocking socket.
func sockRead(fd int, p []byte) (int, error) {
	r, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(bufPtr(p)), uintptr(len(p)))
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// sockWrite writes p to a non-blocking socket.
func sockWrite(fd int, p []byte) (int, error) {
	r, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(bufPtr(p)), uintptr(len(p)))
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

// bufPtr returns the address of p's first byte, or nil for an empty p.
func bufPtr(p []byte) unsafe.Pointer {
	if len(p) == 0 {
		return nil
	}
	return unsafe.Pointer(&p[0])
}

// streamSockname returns the local address of a stream socket as
// Socket.Getsockname does, without the garbage of unix.Getsockname for an
// IP address: a server makes one per connection.
func streamSockname(s *Socket) net.Addr {
	var rsa unix.RawSockaddrAny
	n := uint32(unix.SizeofSockaddrAny)
	_, _, errno := unix.RawSyscall(unix.SYS_GETSOCKNAME, uintptr(s.fd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&n)))
	if errno != 0 {
		return nil
	}
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		ip := make(net.IP, net.IPv4len)
		copy(ip, sa.Addr[:])
		return &net.TCPAddr{IP: ip, Port: int(ntohs(sa.Port))}
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		if sa.Scope_id == 0 {
			ip := make(net.IP, net.IPv6len)
			copy(ip, sa.Addr[:])
			return &net.TCPAddr{IP: ip, Port: int(ntohs(sa.Port))}
		}
	}
	return s.Getsockname() // a Unix path, a zone: the general way
}

// ntohs converts a port from network byte order.
func ntohs(port uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&port))
	return uint16(b[0])<<8 | uint16(b[1])
}
