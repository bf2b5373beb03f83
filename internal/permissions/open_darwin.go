package permissions

import "golang.org/x/sys/unix"

// Open opens the resolved path (a result of Resolve) with flags and perm, as
// unix.Open would, but refuses to follow any symbolic link on the way
// (O_NOFOLLOW_ANY): what is opened is what was checked, or the open fails
// with ELOOP. O_CLOEXEC is added.
func Open(resolved string, flags int, perm uint32) (int, error) {
	for {
		fd, err := unix.Open(resolved, flags|unix.O_CLOEXEC|unix.O_NOFOLLOW_ANY, perm)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
