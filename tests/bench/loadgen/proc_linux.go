//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat. Linux fixes
// USER_HZ at 100 for every architecture's user-space ABI.
const clockTick = 10 * time.Millisecond

// processCPU returns the user and system CPU time that process pid (all its
// threads) has used, from fields 14 and 15 of /proc/PID/stat.
func processCPU(pid int) (user, sys time.Duration, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("server cpu: %w", err)
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// the remaining fields start after the last ')'.
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, 0, fmt.Errorf("server cpu: /proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(string(data[end+1:]))
	// fields[0] is field 3 (state): utime is field 14, stime field 15.
	const utimeIndex, stimeIndex = 14 - 3, 15 - 3
	if len(fields) <= stimeIndex {
		return 0, 0, fmt.Errorf("server cpu: /proc/%d/stat: only %d fields", pid, len(fields)+2)
	}
	utime, err := strconv.ParseUint(fields[utimeIndex], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("server cpu: utime: %w", err)
	}
	stime, err := strconv.ParseUint(fields[stimeIndex], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("server cpu: stime: %w", err)
	}
	return time.Duration(utime) * clockTick, time.Duration(stime) * clockTick, nil
}

// processRSS returns the resident set size (VmRSS) of process pid in KiB,
// from /proc/PID/status.
func processRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("server rss: %w", err)
	}
	for line := range strings.Lines(string(data)) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("server rss: VmRSS %q: %w", strings.TrimSpace(rest), err)
		}
		return kib, nil
	}
	return 0, fmt.Errorf("server rss: /proc/%d/status has no VmRSS line", pid)
}

// machineCPU returns the CPU time all cores have spent busy (user, nice,
// system, irq, softirq, steal) and in softirq alone, from /proc/stat.
func machineCPU() (busy, softirq time.Duration, err error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("machine cpu: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	// cpu user nice system idle iowait irq softirq steal ...
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("machine cpu: unexpected /proc/stat line %q", line)
	}
	var ticks [8]uint64
	for i := range ticks {
		if ticks[i], err = strconv.ParseUint(fields[i+1], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("machine cpu: field %d: %w", i+1, err)
		}
	}
	const user, nice, system, irq, soft, steal = 0, 1, 2, 5, 6, 7
	sum := ticks[user] + ticks[nice] + ticks[system] + ticks[irq] + ticks[soft] + ticks[steal]
	return time.Duration(sum) * clockTick, time.Duration(ticks[soft]) * clockTick, nil
}
