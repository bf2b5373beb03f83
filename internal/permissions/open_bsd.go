//go:build freebsd || netbsd || openbsd || dragonfly

package permissions

import "golang.org/x/sys/unix"

// Open opens the resolved path (a result of Resolve) with flags and perm, as
// unix.Open would, with O_NOFOLLOW: these systems have no flag that refuses
// links on the whole path, so only a link swapped in as the last component
// is refused. O_CLOEXEC is added.
func Open(resolved string, flags int, perm uint32) (int, error) {
	for {
		fd, err := unix.Open(resolved, flags|unix.O_CLOEXEC|unix.O_NOFOLLOW, perm)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
