//go:build linux

package transports

import (
	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// watchChild calls onExit on l with the child's return code once pid has
// exited, and reaps it. On Linux 5.3 and later a pidfd, which becomes
// readable when the child exits, is watched by the loop's poller; elsewhere
// (or with forceSigchld, for tests) SIGCHLD is.
func watchChild(l *loop.Loop, pid int, onExit func(int), forceSigchld bool) error {
	if !forceSigchld {
		fd, err := unix.PidfdOpen(pid, 0) // close-on-exec by definition
		if err == nil {
			return watchPidfd(l, pid, fd, onExit)
		}
	}
	return watchSigchld(l, pid, onExit)
}

// watchPidfd watches the pidfd fd of pid: when it is readable the child has
// exited, and is reaped.
func watchPidfd(l *loop.Loop, pid, fd int, onExit func(int)) error {
	ready := func() {
		code, done := waitNoHang(pid)
		if !done {
			return
		}
		l.RemoveReader(fd)
		closeFD(fd)
		onExit(code)
	}
	if err := l.AddReader(fd, ready); err != nil {
		closeFD(fd)
		return watchSigchld(l, pid, onExit)
	}
	return nil
}
