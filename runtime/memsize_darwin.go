package runtime

import "golang.org/x/sys/unix"

// availableMemory returns the machine's physical memory, 0 if unknown.
func availableMemory() uint64 {
	n, err := unix.SysctlUint64("hw.memsize")
	if err != nil {
		return 0
	}
	return n
}
