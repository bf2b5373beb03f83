//go:build unix

package main

import (
	"fmt"
	"syscall"
	"time"
)

// selfCPU returns the user and system CPU time this process has used.
func selfCPU() (user, sys time.Duration, err error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, fmt.Errorf("client cpu: getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano()), nil
}
