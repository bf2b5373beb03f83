package permissions

import "golang.org/x/sys/unix"

// Open opens the resolved path (a result of Resolve) with flags and perm, as
// unix.Open would, but refuses to follow any symbolic link on the way
// (openat2's RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS): what is opened
// is what was checked, or the open fails with ELOOP. O_CLOEXEC is added.
// On a kernel without openat2 (before Linux 5.6) the last component alone
// is opened with O_NOFOLLOW.
func Open(resolved string, flags int, perm uint32) (int, error) {
	how := &unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	if flags&unix.O_CREAT != 0 {
		how.Mode = uint64(perm)
	}
	for tries := 0; ; tries++ {
		fd, err := unix.Openat2(unix.AT_FDCWD, resolved, how)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN && tries < 16:
			continue // the lookup raced with a rename somewhere: look again
		case err == unix.ENOSYS:
			return openNoFollow(resolved, flags, perm)
		}
		return fd, err
	}
}

// openNoFollow opens path with O_NOFOLLOW (the last component only).
func openNoFollow(path string, flags int, perm uint32) (int, error) {
	for {
		fd, err := unix.Open(path, flags|unix.O_CLOEXEC|unix.O_NOFOLLOW, perm)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
