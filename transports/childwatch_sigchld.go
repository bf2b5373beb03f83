package transports

import (
	"sync"

	"github.com/starnet-dev/starnet/loop"
	"golang.org/x/sys/unix"
)

// The SIGCHLD child watcher: where the kernel has no pidfd (macOS, the BSDs,
// Linux before 5.3), a loop handles SIGCHLD (loop.AddSignalHandler) while it
// has children, and on each signal polls every child it started with
// wait4(pid, WNOHANG), as asyncio's SafeChildWatcher. Pids that are not its
// own are never waited for, so other code's children (os/exec, other loops)
// are left alone. Signals coalesce, hence the poll of every child.
//
// Limitation: the loop has one handler per signal, so a script that
// installs its own SIGCHLD handler on the same loop replaces this one.

// sigchldWatcher is one loop's SIGCHLD watcher. It is used only on its
// loop's goroutine.
type sigchldWatcher struct {
	l        *loop.Loop
	children map[int]func(returncode int)
}

// sigchldWatchers finds a loop's watcher. A loop has no place of its own for
// it, so this registry (the package's only shared state) holds a watcher
// while its loop has children, and drops it with the last child.
var sigchldWatchers = struct {
	sync.Mutex
	m map[*loop.Loop]*sigchldWatcher
}{m: map[*loop.Loop]*sigchldWatcher{}}

// watchSigchld calls onExit on l with the child's return code once pid has
// exited and has been reaped.
func watchSigchld(l *loop.Loop, pid int, onExit func(int)) error {
	sigchldWatchers.Lock()
	w := sigchldWatchers.m[l]
	if w == nil {
		w = &sigchldWatcher{l: l, children: map[int]func(int){}}
		if err := l.AddSignalHandler(unix.SIGCHLD, w.reapAll); err != nil {
			sigchldWatchers.Unlock()
			return err
		}
		sigchldWatchers.m[l] = w
	}
	sigchldWatchers.Unlock()
	w.children[pid] = onExit
	// The child may have exited before the handler was installed.
	l.CallSoon(func() { w.reap(pid) })
	return nil
}

// reapAll polls every child of the loop.
func (w *sigchldWatcher) reapAll() {
	for pid := range w.children {
		w.reap(pid)
	}
}

// reap reaps pid if it has exited and reports its return code. A child that
// someone else reaped is reported with 255, as asyncio does.
func (w *sigchldWatcher) reap(pid int) {
	onExit, ok := w.children[pid]
	if !ok {
		return
	}
	code, done := waitNoHang(pid)
	if !done {
		return
	}
	delete(w.children, pid)
	if len(w.children) == 0 {
		sigchldWatchers.Lock()
		delete(sigchldWatchers.m, w.l)
		sigchldWatchers.Unlock()
		w.l.RemoveSignalHandler(unix.SIGCHLD)
	}
	onExit(code)
}

// waitNoHang reaps pid if it has exited: done reports whether it has (or is
// gone: ECHILD gives 255).
func waitNoHang(pid int) (code int, done bool) {
	var ws unix.WaitStatus
	for {
		wpid, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 255, true
		case wpid == 0:
			return 0, false
		}
		return exitCode(ws), true
	}
}
