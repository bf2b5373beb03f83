//go:build !linux

package permissions

import "golang.org/x/sys/unix"

// closeRangeOnExec: only Linux has close_range with CLOSE_RANGE_CLOEXEC;
// elsewhere the listing is used.
func closeRangeOnExec() error { return unix.ENOSYS }
