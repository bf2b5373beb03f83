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
