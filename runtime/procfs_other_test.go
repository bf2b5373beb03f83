//go:build !linux

package runtime

import "testing"

// listeningInode reports ok false: without /proc, a test cannot find the
// socket listening on a port.
func listeningInode(t *testing.T, port int) (inode string, ok bool) { return "", false }

// holdsSocket is not called without /proc.
func holdsSocket(t *testing.T, inode string) bool { panic("holdsSocket needs /proc") }
