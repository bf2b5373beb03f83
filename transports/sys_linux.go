//go:build linux

package transports

import "golang.org/x/sys/unix"

// sysSocket creates a non-blocking, close-on-exec socket in one system call.
func sysSocket(family, sotype, proto int) (int, error) {
	for {
		fd, err := unix.Socket(family, sotype|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// sysAccept accepts a connection as a non-blocking, close-on-exec socket.
func sysAccept(fd int) (int, unix.Sockaddr, error) {
	for {
		nfd, sa, err := unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != unix.EINTR {
			return nfd, sa, err
		}
	}
}
