//go:build linux

package transports

import (
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// datagramSource is the raw source address of the last datagram received,
// kept in the transport so that receiving allocates nothing while the peer
// stays the same (x/sys's Recvfrom allocates two objects per call).
type datagramSource struct {
	raw     unix.RawSockaddrAny
	rawLen  uint32
	last    unix.RawSockaddrAny
	lastLen uint32
	addr    net.Addr // last, converted
}

// recvfrom receives one datagram into buf and returns its length and source
// (nil for an unbound Unix socket).
func (s *datagramSource) recvfrom(fd int, buf []byte) (int, net.Addr, error) {
	s.rawLen = uint32(unsafe.Sizeof(s.raw))
	var p unsafe.Pointer
	if len(buf) > 0 {
		p = unsafe.Pointer(&buf[0])
	}
	r, _, errno := unix.Syscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(p), uintptr(len(buf)), 0,
		uintptr(unsafe.Pointer(&s.raw)), uintptr(unsafe.Pointer(&s.rawLen)))
	if errno != 0 {
		return 0, nil, errno
	}
	return int(r), s.source(), nil
}

// source converts the raw address, or returns the previous conversion when
// the bytes are the same.
func (s *datagramSource) source() net.Addr {
	n := min(s.rawLen, uint32(unsafe.Sizeof(s.raw)))
	if n == 0 {
		return nil
	}
	cur := unsafe.Slice((*byte)(unsafe.Pointer(&s.raw)), n)
	if s.addr != nil && s.lastLen == n && string(cur) == string(unsafe.Slice((*byte)(unsafe.Pointer(&s.last)), n)) {
		return s.addr
	}
	sa, err := anyToSockaddr(&s.raw, n)
	if err != nil {
		return nil
	}
	s.last, s.lastLen = s.raw, n
	s.addr = sockaddrToAddr(sa, unix.SOCK_DGRAM)
	return s.addr
}

// anyToSockaddr converts a raw address of length n.
func anyToSockaddr(rsa *unix.RawSockaddrAny, n uint32) (unix.Sockaddr, error) {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		pp := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		port := (*[2]byte)(unsafe.Pointer(&pp.Port))
		return &unix.SockaddrInet4{Port: int(port[0])<<8 | int(port[1]), Addr: pp.Addr}, nil
	case unix.AF_INET6:
		pp := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		port := (*[2]byte)(unsafe.Pointer(&pp.Port))
		return &unix.SockaddrInet6{Port: int(port[0])<<8 | int(port[1]), ZoneId: pp.Scope_id, Addr: pp.Addr}, nil
	case unix.AF_UNIX:
		pp := (*unix.RawSockaddrUnix)(unsafe.Pointer(rsa))
		const pathOffset = uint32(unsafe.Offsetof(pp.Path))
		if n <= pathOffset {
			return nil, unix.EAFNOSUPPORT // unbound: no address
		}
		path := unsafe.Slice((*byte)(unsafe.Pointer(&pp.Path[0])), n-pathOffset)
		if path[0] == 0 {
			// An abstract address: shown with "@", as x/sys does.
			b := append([]byte("@"), path[1:]...)
			return &unix.SockaddrUnix{Name: string(b)}, nil
		}
		end := 0
		for end < len(path) && path[end] != 0 {
			end++
		}
		return &unix.SockaddrUnix{Name: string(path[:end])}, nil
	}
	return nil, unix.EAFNOSUPPORT
}
