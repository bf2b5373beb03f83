//go:build !linux && !darwin

package runtime

// availableMemory returns 0: unknown on this system.
func availableMemory() uint64 { return 0 }
