package starlarkbind

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// newPipe makes a pipe whose ends are close-on-exec and blocking (a pipe
// transport makes its end non-blocking; a child given an end gets it
// blocking, as children expect).
func newPipe() (r, w *os.File, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, fmt.Errorf("pipe2: %w", err)
	}
	return os.NewFile(uintptr(p[0]), "<pipe>"), os.NewFile(uintptr(p[1]), "<pipe>"), nil
}

// reopenStdio returns a new descriptor for the process's fd 0, 1 or 2 (a
// pipe transport takes it). A pipe, FIFO or terminal is opened anew through
// /proc/self/fd, so that the transport's O_NONBLOCK stays on its own open
// file description; anything else, or a FIFO that cannot be opened so (a
// write end whose reader is gone), is duplicated.
func reopenStdio(fd int, write bool) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("fstat %d: %w", fd, err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFCHR:
	default:
		return dupStdio(fd)
	}
	flags := unix.O_RDONLY
	if write {
		flags = unix.O_WRONLY
	}
	nfd, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), flags|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return dupStdio(fd)
	}
	return newBlockingFile(nfd, stdioFile(fd).Name())
}
