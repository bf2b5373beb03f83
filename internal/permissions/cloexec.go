package permissions

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// CloseInheritedOnExec marks every descriptor from 3 up close-on-exec, so
// that children get only what they are explicitly given. Everything Go and
// starnet open is close-on-exec already; what is not is what the process
// inherited from its own parent (a shell's or a supervisor's descriptors),
// which a child would otherwise inherit in turn without the script ever
// owning them. The process itself keeps using them (os.listen_fds sockets
// included). The starnet command calls it at start-up; an embedding host
// decides for itself.
func CloseInheritedOnExec() error {
	if err := closeRangeOnExec(); err == nil {
		return nil
	}
	return markListedOnExec()
}

// markListedOnExec sets FD_CLOEXEC on each descriptor ≥ 3 that the
// system lists for the process (/proc/self/fd or /dev/fd).
func markListedOnExec() error {
	dir := "/proc/self/fd"
	if _, err := os.Stat(dir); err != nil {
		dir = "/dev/fd"
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < 3 {
			continue
		}
		// The directory's own descriptor is listed too, and already closed
		// by now: EBADF is expected.
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC); err != nil && err != unix.EBADF {
			return err
		}
	}
	return nil
}
