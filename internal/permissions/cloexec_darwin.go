package permissions

import "golang.org/x/sys/unix"

// closeRangeOnExec: macOS has no close_range; the listing is used.
func closeRangeOnExec() error { return unix.ENOSYS }
