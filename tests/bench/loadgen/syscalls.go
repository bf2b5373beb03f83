package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// syscallEvent is the tracepoint that -syscalls counts: the kernel hits it
// once on entry to every system call, whichever it is.
const syscallEvent = "raw_syscalls:sys_enter"

// syscallCount counts the server's system calls over the measured window
// when -syscalls asks for it. A nil *syscallCount (not asked for) does
// nothing; once err is set, it does nothing more and err says why there is
// no count.
type syscallCount struct {
	perf *perfStat // the running perf stat, until finish
	n    uint64    // system calls counted, once finish succeeded
	err  error
}

// startSyscallCount starts counting the server's system calls, disabled
// until enable, when cfg asks for it; it returns nil when cfg does not.
// It never fails the run: a count that cannot be made records why.
func startSyscallCount(cfg config) *syscallCount {
	if !cfg.syscalls {
		return nil
	}
	sc := &syscallCount{}
	if cfg.pid <= 0 {
		sc.err = errors.New("server syscalls: no -pid given")
		return sc
	}
	perf, err := startPerfStat(cfg.pid)
	if err != nil {
		sc.err = fmt.Errorf("server syscalls: %w", err)
		return sc
	}
	sc.perf = perf
	return sc
}

// enable starts counting; it returns once perf has enabled its counter.
func (sc *syscallCount) enable() {
	if sc == nil || sc.err != nil {
		return
	}
	if err := sc.perf.enable(); err != nil {
		sc.perf.close()
		sc.err = fmt.Errorf("server syscalls: %w", err)
	}
}

// finish stops counting, ends perf and keeps the count.
func (sc *syscallCount) finish() {
	if sc == nil || sc.err != nil {
		return
	}
	n, err := sc.perf.stop()
	if err != nil {
		sc.err = fmt.Errorf("server syscalls: %w", err)
		return
	}
	sc.n = n
}

// recordSyscalls fills res with the server's system calls per unit of work
// counted by sc, or notes why there is no count.
func recordSyscalls(res *result.Result, sc *syscallCount, units float64, unit string) {
	switch {
	case sc == nil:
	case sc.err != nil:
		res.Notes = append(res.Notes, sc.err.Error())
	case units > 0:
		res.Unit = unit
		res.ServerSyscalls = round2(float64(sc.n) / units)
	}
}

// parsePerfCount returns the count of event in the output of
// "perf stat -x,": the first field of the one line that names the event.
// Comment lines (starting with '#') and empty lines are skipped. An event
// perf could not count ("<not counted>", "<not supported>") is an error.
func parsePerfCount(out, event string) (uint64, error) {
	var field string
	found := 0
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, ",")
		for _, f := range fields[1:] {
			if f == event {
				field = fields[0]
				found++
				break
			}
		}
	}
	switch {
	case found == 0:
		return 0, fmt.Errorf("no %s line in perf's output %q", event, out)
	case found > 1:
		return 0, fmt.Errorf("%d %s lines in perf's output, want one", found, event)
	}
	return parseCount(field, event)
}

// parseCount reads the count field of event's line.
func parseCount(field, event string) (uint64, error) {
	switch field {
	case "<not counted>":
		return 0, fmt.Errorf("%s was not counted (did the process run while counting was enabled?)", event)
	case "<not supported>":
		return 0, fmt.Errorf("%s is not supported here", event)
	}
	v, err := strconv.ParseFloat(field, 64)
	if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%s: count %q is not a number", event, field)
	}
	return uint64(math.Round(v)), nil
}
