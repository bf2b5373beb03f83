package main

import (
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// perfOutput is what "perf stat -x, -o FILE" writes: a comment naming the
// start time, an empty line, then one line per event (count, unit, event,
// run time, percentage enabled, metric value, metric unit).
const perfOutput = `# started on Sun Nov 22 03:08:27 2026

27664,,raw_syscalls:sys_enter,277132321,100.00,,
`

// TestParsePerfCount: the count of the event is read from perf stat's CSV
// output; anything else is an error.
func TestParsePerfCount(t *testing.T) {
	t.Parallel()
	n, err := parsePerfCount(perfOutput, syscallEvent)
	require.NoError(t, err)
	require.Equal(t, uint64(27664), n)
	twoEvents := "# started on Sun Nov 22 03:08:27 2026\n\n" +
		"1520.75,msec,task-clock,1520750000,100.00,0.304,CPUs utilized\r\n" +
		"# a comment naming raw_syscalls:sys_enter,\n" +
		"1234567,,raw_syscalls:sys_enter,1520750000,100.00,,\r\n"
	n, err = parsePerfCount(twoEvents, syscallEvent)
	require.NoError(t, err, "with another event and CRLF")
	require.Equal(t, uint64(1234567), n, "with another event and CRLF")
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
		n, err := parsePerfCount(out, syscallEvent)
		assert.Error(t, err, "%s: parsePerfCount = %d, want an error", name, n)
	}
	_, err = parsePerfCount(strings.Replace(perfOutput, "27664", "<not counted>", 1), syscallEvent)
	assert.ErrorContains(t, err, "not counted")
}

// TestSyscallsWithoutPidIsNoted: -syscalls without -pid is a note, not a
// figure.
func TestSyscallsWithoutPidIsNoted(t *testing.T) {
	t.Parallel()
	cfg := testConfig(serveEcho(t, echo), result.ModePingPong)
	cfg.pid, cfg.syscalls = 0, true
	res, err := run(cfg)
	require.NoError(t, err)
	require.Zero(t, res.ServerSyscalls, "want no figure")
	require.True(t, hasNote(res, "server syscalls: no -pid given"), "want a note, got %q", res.Notes)
}

// TestSyscallsWithoutPerfIsNoted: without perf on PATH, -syscalls is a
// note. It sets PATH: not parallel.
func TestSyscallsWithoutPerfIsNoted(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	cfg := testConfig(serveEcho(t, echo), result.ModeStream)
	cfg.syscalls = true
	res, err := run(cfg)
	require.NoError(t, err)
	require.Zero(t, res.ServerSyscalls, "want no figure")
	require.True(t, hasNote(res, "server syscalls: "), "want a note, got %q", res.Notes)
}

// TestIdleIgnoresSyscalls: idle mode notes and ignores -syscalls.
func TestIdleIgnoresSyscalls(t *testing.T) {
	t.Parallel()
	cfg := testConfig(serveEcho(t, echo), result.ModeIdle)
	cfg.hold, cfg.syscalls = 0, true
	res, err := run(cfg)
	require.NoError(t, err)
	require.Zero(t, res.ServerSyscalls, "want the flag ignored")
	require.True(t, hasNote(res, "not counted in idle mode"), "want the flag noted, got %q", res.Notes)
}

// TestRecordSyscalls: the count is recorded per unit, rounded to two
// decimals, only when asked for.
func TestRecordSyscalls(t *testing.T) {
	t.Parallel()
	var res result.Result
	recordSyscalls(&res, nil, 100, result.UnitRequest)
	require.Zero(t, res.ServerSyscalls, "not asked for, yet recorded: %+v", res)
	require.Nil(t, res.Notes, "not asked for, yet noted: %+v", res)
	recordSyscalls(&res, &syscallCount{n: 2345}, 1000, result.UnitRequest)
	require.Equal(t, 2.35, res.ServerSyscalls, "per request")
	require.Equal(t, result.UnitRequest, res.Unit)
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
