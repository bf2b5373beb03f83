//go:build linux

package transports

import "golang.org/x/sys/unix"

// sysPipe makes a close-on-exec pipe in one system call: p[0] reads, p[1]
// writes.
func sysPipe() ([2]int, error) {
	var p [2]int
	err := unix.Pipe2(p[:], unix.O_CLOEXEC)
	return p, err
}
