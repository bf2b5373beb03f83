//go:build linux

package runtime

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// listeningInode returns the inode of the IPv4 TCP socket listening on
// 127.0.0.1:port, as /proc/net/tcp lists it; ok is true (this is Linux).
// The test must hold that listener, so that the port is its alone.
func listeningInode(t *testing.T, port int) (inode string, ok bool) {
	t.Helper()
	data, err := os.ReadFile("/proc/net/tcp")
	require.NoError(t, err)
	local := fmt.Sprintf("0100007F:%04X", port)
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && f[1] == local && f[3] == "0A" { // 0A: LISTEN
			return f[9], true
		}
	}
	require.Failf(t, "no listener", "no socket listens on %s in /proc/net/tcp", local)
	return "", true
}

// holdsSocket reports whether one of this process's file descriptors is the
// socket with the given inode.
func holdsSocket(t *testing.T, inode string) bool {
	t.Helper()
	fds, err := filepath.Glob("/proc/self/fd/*")
	require.NoError(t, err)
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && target == "socket:["+inode+"]" {
			return true
		}
	}
	return false
}
