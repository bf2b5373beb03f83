package tests

import (
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unclosedReport is what --debug writes when a run ends with
// tests/testdata/debug_unclosed.star's server and both ends of its
// connection open: one ResourceWarning each, sorted.
var unclosedReport = regexp.MustCompile(`^` +
	`ResourceWarning: unclosed server <Server sockets=\(<socket fd=\d+, family=2, type=1, laddr=\('127\.0\.0\.1', \d+\)>\)>\n` +
	`ResourceWarning: unclosed transport <socket transport fd=\d+ read=polling write=<idle, bufsize=0>>\n` +
	`ResourceWarning: unclosed transport <socket transport fd=\d+ read=polling write=<idle, bufsize=0>>\n$`)

// TestDebugUnclosedOnEveryExit: with --debug, every way a run ends —
// exit(), loop.stop(), SIGINT (Ctrl-C), SIGTERM — reports the server and
// the transports the script left open, and nothing when it closed them or
// without --debug.
func TestDebugUnclosedOnEveryExit(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		debug  bool
		how    string
		signal syscall.Signal
		code   int
		warns  bool
	}{
		{"exit", true, "exit", 0, 3, true},
		{"loop.stop", true, "stop", 0, 0, true},
		{"SIGINT", true, "wait", syscall.SIGINT, 130, true},
		{"SIGTERM", true, "wait", syscall.SIGTERM, 143, true},
		{"closed, then exit", true, "closed", 0, 0, false},
		{"SIGINT without --debug", false, "wait", syscall.SIGINT, 130, false},
		{"exit without --debug", false, "exit", 0, 3, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"run", "--allow-net=127.0.0.1"}
			if c.debug {
				args = append(args, "--debug")
			}
			p := startScript(t, append(args, "tests/testdata/debug_unclosed.star", c.how)...)
			p.WaitLine("connected")
			if c.signal != 0 {
				p.Signal(c.signal)
			}
			require.Equal(t, c.code, p.WaitExit(waitTimeout), "exit status; stderr:\n%s", p.Stderr())
			// Only the warnings count: on a loaded machine --debug may add
			// slow-callback reports, which are not what this test is about.
			warnings := resourceWarnings(p.Stderr())
			if c.warns {
				assert.Regexp(t, unclosedReport, warnings, "stderr:\n%s", p.Stderr())
			} else {
				assert.Empty(t, warnings, "warnings")
			}
		})
	}
}

// resourceWarnings returns the ResourceWarning lines of stderr.
func resourceWarnings(stderr string) string {
	var b strings.Builder
	for line := range strings.Lines(stderr) {
		if strings.HasPrefix(line, "ResourceWarning: ") {
			b.WriteString(line)
		}
	}
	return b.String()
}

// TestDebugReportsNameTheScript: the reports of failed callbacks and of
// errors nobody retrieved name the script's functions and lines — with
// --debug, also the handle and where the script scheduled or made it
// (asyncio's source_traceback) — never starnet's Go source.
func TestDebugReportsNameTheScript(t *testing.T) {
	t.Parallel()
	const script = "tests/testdata/debug_reports.star"
	const debug = `Exception in callback fail() at tests/testdata/debug_reports.star:4
Traceback (most recent call last):
  tests/testdata/debug_reports.star:5:11: in fail
Error: floored division by zero
handle: <Handle fail() at tests/testdata/debug_reports.star:4 created at tests/testdata/debug_reports.star:14>
source_traceback: Object created at (most recent call last):
  tests/testdata/debug_reports.star:20:13: in main
  tests/testdata/debug_reports.star:14:19: in schedule
Exception in callback on_done(<Future finished result=1 created at ...) at tests/testdata/debug_reports.star:7
Traceback (most recent call last):
  tests/testdata/debug_reports.star:8:11: in on_done
Error: floored division by zero
source_traceback: Object created at (most recent call last):
  tests/testdata/debug_reports.star:20:13: in main
  tests/testdata/debug_reports.star:16:27: in schedule
Future exception was never retrieved
ValueError: nobody looks
future: <Future finished exception=ValueError: nobody looks created at tests/testdata/debug_reports.star:21>
source_traceback: Object created at (most recent call last):
  tests/testdata/debug_reports.star:21:33: in main
Future exception was never retrieved
Traceback (most recent call last):
  tests/testdata/debug_reports.star:11:11: in task_fail
Error: floored division by zero
future: <Task finished name="failing" created at tests/testdata/debug_reports.star:23>
source_traceback: Object created at (most recent call last):
  tests/testdata/debug_reports.star:23:21: in main
starnet: exit status 1: 3 callback failures reached the default exception handler:
  Exception in callback fail() at tests/testdata/debug_reports.star:4: floored division by zero
  Exception in callback on_done(<Future finished result=1 created at ...) at tests/testdata/debug_reports.star:7: floored division by zero
  Future exception was never retrieved: floored division by zero
`
	const plain = `Exception in callback fail() at tests/testdata/debug_reports.star:4
Traceback (most recent call last):
  tests/testdata/debug_reports.star:5:11: in fail
Error: floored division by zero
Exception in callback on_done() at tests/testdata/debug_reports.star:7
Traceback (most recent call last):
  tests/testdata/debug_reports.star:8:11: in on_done
Error: floored division by zero
Future exception was never retrieved
ValueError: nobody looks
future: <Future finished exception=ValueError: nobody looks>
Future exception was never retrieved
Traceback (most recent call last):
  tests/testdata/debug_reports.star:11:11: in task_fail
Error: floored division by zero
future: <Task finished name="failing">
`
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"--debug", []string{"run", "--debug", script}, debug},
		{"plain", []string{"run", script}, plain},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// The exit status is not this test's business: only the reports.
			_, _, stderr := runScript(t, c.args...)
			assert.Equal(t, c.want, withoutSlowReports(stderr))
		})
	}
}

// withoutSlowReports drops debug mode's slow-callback reports ("Executing
// ... took ..." and its "handle:" line) from stderr: a loaded machine may
// add them, and they are not what the tests that use it are about.
func withoutSlowReports(stderr string) string {
	var b strings.Builder
	skipHandle := false
	for line := range strings.Lines(stderr) {
		if strings.HasPrefix(line, "Executing <") {
			skipHandle = true
			continue
		}
		if skipHandle && strings.HasPrefix(line, "handle: ") {
			skipHandle = false
			continue
		}
		skipHandle = false
		b.WriteString(line)
	}
	return b.String()
}
