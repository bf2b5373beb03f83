//go:build !linux

package runtime

// threadID identifies the calling loop goroutine where the system offers no
// cheap thread id: it is the goroutine's id.
func threadID() uint64 { return goroutineID() }
