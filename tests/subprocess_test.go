package tests

import (
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runProgram runs scripts/run_program.star with the given --allow-run
// value and program arguments.
func runProgram(t *testing.T, allow string, argv ...string) (code int, stdout, stderr string) {
	t.Helper()
	args := []string{"run"}
	if allow != "" {
		args = append(args, "--allow-run="+allow)
	}
	args = append(append(args, "scripts/run_program.star"), argv...)
	return runScript(t, args...)
}

// TestRunProgramOutputAndStatus: run_program.star relays the child's
// stdout and stderr lines (a last one without a newline too) and exits
// with the child's status.
func TestRunProgramOutputAndStatus(t *testing.T) {
	t.Parallel()
	code, out, stderr := runProgram(t, "sh", "sh", "-c", `echo one; echo two >&2; echo three; printf "no newline"; exit 7`)
	require.Equal(t, 7, code, "exit status\n%s%s", out, stderr)
	// stdout and stderr are separate pipes: only each one's order is fixed.
	var outLines, errLines []string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "out: "):
			outLines = append(outLines, line)
		case strings.HasPrefix(line, "err: "):
			errLines = append(errLines, line)
		default:
			t.Errorf("unexpected line %q", line)
		}
	}
	assert.Equal(t, []string{"out: one", "out: three", "out: no newline"}, outLines, "stdout lines")
	assert.Equal(t, []string{"err: two"}, errLines, "stderr lines")
}

// TestRunProgramLargeOutput: 200,000 lines a child writes as fast as it
// can all come through, in order of their pipe.
func TestRunProgramLargeOutput(t *testing.T) {
	t.Parallel()
	// yes writes as fast as it can; head stops it after 200000 lines.
	code, out, stderr := runProgram(t, "sh", "sh", "-c", "yes 0123456789 | head -n 200000")
	require.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
	n := strings.Count(out, "out: 0123456789\n")
	assert.True(t, n == 200000 && len(out) == 200000*len("out: 0123456789\n"), "got %d lines (%d bytes), want 200000", n, len(out))
}

// TestRunProgramStdinInherited: the child reads starnet's own stdin.
func TestRunProgramStdinInherited(t *testing.T) {
	t.Parallel()
	p := startScript(t, "run", "--allow-run=cat", "scripts/run_program.star", "cat")
	_, err := io.WriteString(p.Stdin, "first\nsecond\n")
	require.NoError(t, err)
	p.WaitLine("out: second")
	require.NoError(t, p.Stdin.Close())
	require.Equal(t, 0, p.WaitExit(waitTimeout), "exit status; stderr:\n%s", p.Stderr())
	assert.Equal(t, "out: first\nout: second\n", p.Stdout(), "output")
}

// TestRunProgramKilledBySignal: a child killed by SIGTERM makes starnet
// exit 128+15, as a shell does.
func TestRunProgramKilledBySignal(t *testing.T) {
	t.Parallel()
	code, _, stderr := runProgram(t, "sh", "sh", "-c", "kill -TERM $$")
	assert.Equal(t, 128+15, code, "exit status; stderr:\n%s", stderr)
}

// TestRunProgramSIGTERM stops starnet while its child runs: the default
// handling closes the subprocess transport, which kills the child, and
// starnet exits 143 without leaving the child behind.
func TestRunProgramSIGTERM(t *testing.T) {
	t.Parallel()
	p := startScript(t, "run", "--allow-run=sh", "scripts/run_program.star", "sh", "-c", "echo $$; exec sleep 60")
	pid, err := strconv.Atoi(strings.TrimPrefix(p.WaitLine("out: "), "out: "))
	require.NoError(t, err)
	p.Signal(syscall.SIGTERM)
	assert.Equal(t, 143, p.WaitExit(waitTimeout), "exit status; stderr:\n%s", p.Stderr())
	// The child was killed; once starnet is gone, init reaps it if starnet
	// did not. No event tells when: poll.
	gone := func() bool { return syscall.Kill(pid, 0) != nil }
	if !assert.Eventually(t, gone, waitTimeout, 20*time.Millisecond, "child %d still runs after starnet exited", pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// TestRunProgramPermissions: --allow-run names programs as the script
// spells them or by their path, and nothing else runs.
func TestRunProgramPermissions(t *testing.T) {
	t.Parallel()
	lsPath, err := exec.LookPath("ls")
	require.NoError(t, err)
	dir := t.TempDir()
	cases := []struct {
		allow string
		argv  []string
		want  string // in stderr; "" when the program must run
	}{
		{"", []string{"ls", dir}, `PermissionError: run access to "ls" denied; run with --allow-run=ls`},
		{"cat,echo", []string{"ls", dir}, `PermissionError: run access to "ls" denied; run with --allow-run=ls`},
		{"ls", []string{lsPath, dir}, ""},
		{lsPath, []string{"ls", dir}, ""},
		{"cat", []string{lsPath, dir}, fmt.Sprintf(`PermissionError: run access to %q denied; run with --allow-run=%s`, lsPath, lsPath)},
		{"ls", []string{"./ls", dir}, `PermissionError: run access to "./ls" denied`},
	}
	for _, c := range cases {
		code, out, stderr := runProgram(t, c.allow, c.argv...)
		if c.want == "" {
			assert.Equal(t, 0, code, "--allow-run=%s %q: exit status; stderr:\n%s", c.allow, c.argv, stderr)
			continue
		}
		assert.Equal(t, 1, code, "--allow-run=%s %q: exit status", c.allow, c.argv)
		assert.Empty(t, out, "--allow-run=%s %q: stdout", c.allow, c.argv)
		assert.Contains(t, stderr, c.want, "--allow-run=%s %q: stderr", c.allow, c.argv)
	}
}

// TestSubprocessShellNeedsShell checks that subprocess_shell needs the
// shell itself allowed, whatever the command line runs.
func TestSubprocessShellNeedsShell(t *testing.T) {
	t.Parallel()
	script := filepath.Join("tests", "testdata", "shell.star")
	code, out, stderr := runScript(t, "run", "--allow-run=echo", script, "echo hi")
	assert.Equal(t, 1, code, "exit status; stdout %q", out)
	assert.Contains(t, stderr, `PermissionError: run access to "sh" denied; run with --allow-run=sh`)
	for _, allow := range []string{"sh", "/bin/sh"} {
		code, out, stderr = runScript(t, "run", "--allow-run="+allow, script, "echo hi; exit 3")
		assert.Equal(t, 3, code, "--allow-run=%s: exit status; stderr:\n%s", allow, stderr)
		assert.Equal(t, "hi\n", out, "--allow-run=%s: stdout", allow)
	}
}

// TestRunProgramMissing checks the error of a program that does not exist.
func TestRunProgramMissing(t *testing.T) {
	t.Parallel()
	code, _, stderr := runProgram(t, "starnet-no-such-program", "starnet-no-such-program")
	assert.Equal(t, 1, code, "exit status")
	assert.Contains(t, stderr, "FileNotFoundError: [Errno 2] No such file or directory: 'starnet-no-such-program'")
}
