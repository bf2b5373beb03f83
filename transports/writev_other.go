//go:build dragonfly || freebsd || netbsd

package transports

import "golang.org/x/sys/unix"

// writev writes the first buffer: these systems lack unix.Writev, and the
// transport calls again for the rest.
func writev(fd int, bufs [][]byte) (int, error) {
	return unix.Write(fd, bufs[0])
}
