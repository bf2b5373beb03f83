package main

import (
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// perfOutput is what "perf stat -x, -o FILE" writes: a comment naming the
// start time, an empty line, then one line per event (count, unit, event,
// run time, percentage enabled, metric value, metric unit).
const perfOutput = `# started on Sun Nov 22 03:08:27 2026

27664,,raw_syscalls:sys_enter,277132321,100.00,,
`

func TestParsePerfCount(t *testing.T) {
	n, err := parsePerfCount(perfOutput, syscallEvent)
	if err != nil || n != 27664 {
		t.Fatalf("parsePerfCount = %d, %v; want 27664", n, err)
	}
	twoEvents := "# started on Sun Nov 22 03:08:27 2026\n\n" +
		"1520.75,msec,task-clock,1520750000,100.00,0.304,CPUs utilized\r\n" +
		"# a comment naming raw_syscalls:sys_enter,\n" +
		"1234567,,raw_syscalls:sys_enter,1520750000,100.00,,\r\n"
	if n, err := parsePerfCount(twoEvents, syscallEvent); err != nil || n != 1234567 {
		t.Fatalf("with another event and CRLF: %d, %v; want 1234567", n, err)
	}
	bad := map[string]string{
		"not counted":   "# started on Sun Nov 22 03:08:17 2026\n\n<not counted>,,raw_syscalls:sys_enter,0,100.00,,\n",
		"not supported": "<not supported>,,raw_syscalls:sys_enter,0,100.00,,\n",
		"no line":       "# started on Sun Nov 22 03:08:17 2026\n\n",
		"empty":         "",
		"other event":   "12,,raw_syscalls:sys_exit,5,100.00,,\n",
		"two lines":     "12,,raw_syscalls:sys_enter,5,100.00,,\n13,,raw_syscalls:sys_enter,5,100.00,,\n",
		"garbage count": "12k,,raw_syscalls:sys_enter,5,100.00,,\n",
		"negative":      "-1,,raw_syscalls:sys_enter,5,100.00,,\n",
	}
	for name, out := range bad {
		if n, err := parsePerfCount(out, syscallEvent); err == nil {
			t.Errorf("%s: parsePerfCount = %d, want an error", name, n)
		}
	}
	_, err = parsePerfCount(strings.Replace(perfOutput, "27664", "<not counted>", 1), syscallEvent)
	if err == nil || !strings.Contains(err.Error(), "not counted") {
		t.Errorf("want a 'not counted' error, got %v", err)
	}
}

func TestSyscallsWithoutPidIsNoted(t *testing.T) {
	cfg := testConfig(serveEcho(t, echo), result.ModePingPong)
	cfg.pid, cfg.syscalls = 0, true
	res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.ServerSyscalls != 0 || !hasNote(res, "server syscalls: no -pid given") {
		t.Fatalf("want no figure and a note, got %v, notes %q", res.ServerSyscalls, res.Notes)
	}
}

func TestSyscallsWithoutPerfIsNoted(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	cfg := testConfig(serveEcho(t, echo), result.ModeStream)
	cfg.syscalls = true
	res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.ServerSyscalls != 0 || !hasNote(res, "server syscalls: ") {
		t.Fatalf("want no figure and a note, got %v, notes %q", res.ServerSyscalls, res.Notes)
	}
}

func TestIdleIgnoresSyscalls(t *testing.T) {
	cfg := testConfig(serveEcho(t, echo), result.ModeIdle)
	cfg.hold, cfg.syscalls = 0, true
	res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.ServerSyscalls != 0 || !hasNote(res, "not counted in idle mode") {
		t.Fatalf("want the flag noted and ignored, got %v, notes %q", res.ServerSyscalls, res.Notes)
	}
}

func TestRecordSyscalls(t *testing.T) {
	var res result.Result
	recordSyscalls(&res, nil, 100, result.UnitRequest)
	if res.ServerSyscalls != 0 || res.Notes != nil {
		t.Fatalf("not asked for, yet recorded: %+v", res)
	}
	recordSyscalls(&res, &syscallCount{n: 2345}, 1000, result.UnitRequest)
	if res.ServerSyscalls != 2.35 || res.Unit != result.UnitRequest {
		t.Fatalf("want 2.35 per req, got %v per %q", res.ServerSyscalls, res.Unit)
	}
}

// hasNote reports whether one of res's notes contains s.
func hasNote(res *result.Result, s string) bool {
	for _, n := range res.Notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
