//go:build !linux

package main

import (
	"errors"
	"time"
)

// errNoProc says that the server's CPU and memory figures need Linux's /proc.
var errNoProc = errors.New("reading another process's CPU time and RSS needs Linux /proc")

// processCPU is unavailable without /proc.
func processCPU(pid int) (user, sys time.Duration, err error) { return 0, 0, errNoProc }

// processRSS is unavailable without /proc.
func processRSS(pid int) (int64, error) { return 0, errNoProc }

// machineCPU is unavailable without /proc.
func machineCPU() (busy, softirq time.Duration, err error) { return 0, 0, errNoProc }
