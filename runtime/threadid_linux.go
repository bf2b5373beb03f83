//go:build linux

package runtime

import "golang.org/x/sys/unix"

// threadID identifies the calling thread. A loop's owner goroutine is locked
// to its thread, so on that thread it identifies the loop, much more cheaply
// than goroutineID (one gettid(2)).
func threadID() uint64 { return uint64(unix.Gettid()) }
