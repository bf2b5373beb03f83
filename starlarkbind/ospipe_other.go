//go:build !linux

package starlarkbind

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// newPipe makes a pipe whose ends are close-on-exec and blocking (a pipe
// transport makes its end non-blocking; a child given an end gets it
// blocking, as children expect).
func newPipe() (r, w *os.File, err error) {
	var p [2]int
	syscall.ForkLock.RLock()
	err = unix.Pipe(p[:])
	if err == nil {
		unix.CloseOnExec(p[0])
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, fmt.Errorf("pipe: %w", err)
	}
	return os.NewFile(uintptr(p[0]), "<pipe>"), os.NewFile(uintptr(p[1]), "<pipe>"), nil
}

// reopenStdio returns a duplicate of the process's fd 0, 1 or 2 (a pipe
// transport takes it). It shares the O_NONBLOCK flag with the original.
func reopenStdio(fd int, write bool) (*os.File, error) {
	return dupStdio(fd)
}
