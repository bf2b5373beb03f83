//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package transports

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// sysSocket creates a non-blocking, close-on-exec socket. The fork lock keeps
// a concurrent fork from inheriting the descriptor before FD_CLOEXEC is set.
func sysSocket(family, sotype, proto int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(family, sotype, proto)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	return fd, finishNonblock(fd)
}

// sysAccept accepts a connection as a non-blocking, close-on-exec socket.
func sysAccept(fd int) (int, unix.Sockaddr, error) {
	syscall.ForkLock.RLock()
	nfd, sa, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, nil, err
	}
	return nfd, sa, finishNonblock(nfd)
}

// finishNonblock sets O_NONBLOCK and SO_NOSIGPIPE (where the platform has
// it), closing fd on failure.
func finishNonblock(fd int) error {
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return err
	}
	setNoSigpipe(fd)
	return nil
}
