//go:build !linux

package transports

import "github.com/starnet-dev/starnet/loop"

// watchChild calls onExit on l with the child's return code once pid has
// exited, and reaps it. Without pidfds, SIGCHLD is watched.
func watchChild(l *loop.Loop, pid int, onExit func(int), _ bool) error {
	return watchSigchld(l, pid, onExit)
}
