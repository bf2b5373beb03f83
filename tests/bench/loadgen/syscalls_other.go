//go:build !linux

package main

import "errors"

// errNoPerf says that counting the server's system calls needs Linux perf.
var errNoPerf = errors.New("syscall counting needs Linux perf")

// perfStat stands for Linux's perf stat, which this system lacks.
type perfStat struct{}

// startPerfStat is unavailable without Linux perf.
func startPerfStat(pid int) (*perfStat, error) { return nil, errNoPerf }

// enable is unavailable without Linux perf.
func (p *perfStat) enable() error { return errNoPerf }

// stop is unavailable without Linux perf.
func (p *perfStat) stop() (uint64, error) { return 0, errNoPerf }

// close has nothing to release without Linux perf.
func (p *perfStat) close() {}
