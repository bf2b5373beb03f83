//go:build darwin || linux || openbsd

package transports

import "golang.org/x/sys/unix"

// writev writes bufs with one system call.
func writev(fd int, bufs [][]byte) (int, error) {
	return unix.Writev(fd, bufs)
}
