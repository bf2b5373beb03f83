//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package transports

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// sysPipe makes a close-on-exec pipe: p[0] reads, p[1] writes. The fork
// lock keeps a concurrent fork from inheriting it before FD_CLOEXEC is set.
func sysPipe() ([2]int, error) {
	var p [2]int
	syscall.ForkLock.RLock()
	err := unix.Pipe(p[:])
	if err == nil {
		unix.CloseOnExec(p[0])
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	return p, err
}
