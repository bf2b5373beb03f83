package transports

import "golang.org/x/sys/unix"

// setNoSigpipe makes writes to a broken connection fail with EPIPE instead of
// raising SIGPIPE.
func setNoSigpipe(fd int) {
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_NOSIGPIPE, 1)
}
