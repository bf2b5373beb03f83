package permissions

import (
	"math"

	"golang.org/x/sys/unix"
)

// closeRangeOnExec uses close_range(2) with CLOSE_RANGE_CLOEXEC (Linux 5.11).
func closeRangeOnExec() error {
	return unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
}
