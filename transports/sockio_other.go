//go:build !linux

package transports

import (
	"net"

	"golang.org/x/sys/unix"
)

// sockRead reads into p from a non-blocking socket.
func sockRead(fd int, p []byte) (int, error) { return unix.Read(fd, p) }

// sockWrite writes p to a non-blocking socket.
func sockWrite(fd int, p []byte) (int, error) { return unix.Write(fd, p) }

// streamSockname returns the local address of a stream socket.
func streamSockname(s *Socket) net.Addr { return s.Getsockname() }
