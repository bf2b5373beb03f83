//go:build !unix

package main

import (
	"errors"
	"time"
)

// selfCPU is unavailable without getrusage.
func selfCPU() (user, sys time.Duration, err error) {
	return 0, 0, errors.New("client cpu: getrusage is not available on this system")
}
