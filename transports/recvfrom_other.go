//go:build !linux

package transports

import (
	"net"

	"golang.org/x/sys/unix"
)

// datagramSource remembers the source address of the last datagram
// received, so that a peer that stays the same gets the same net.Addr.
type datagramSource struct {
	last unix.Sockaddr
	addr net.Addr
}

// recvfrom receives one datagram into buf and returns its length and source
// (nil for an unbound Unix socket).
func (s *datagramSource) recvfrom(fd int, buf []byte) (int, net.Addr, error) {
	n, from, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return 0, nil, err
	}
	if from == nil {
		return n, nil, nil
	}
	if s.addr == nil || !sameSockaddr(from, s.last) {
		s.last, s.addr = from, sockaddrToAddr(from, unix.SOCK_DGRAM)
	}
	return n, s.addr, nil
}

// sameSockaddr reports whether two kernel addresses are equal.
func sameSockaddr(a, b unix.Sockaddr) bool {
	switch x := a.(type) {
	case *unix.SockaddrInet4:
		y, ok := b.(*unix.SockaddrInet4)
		return ok && x.Port == y.Port && x.Addr == y.Addr
	case *unix.SockaddrInet6:
		y, ok := b.(*unix.SockaddrInet6)
		return ok && x.Port == y.Port && x.Addr == y.Addr && x.ZoneId == y.ZoneId
	case *unix.SockaddrUnix:
		y, ok := b.(*unix.SockaddrUnix)
		return ok && x.Name == y.Name
	}
	return false
}
