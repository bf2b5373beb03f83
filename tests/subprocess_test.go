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

func TestRunProgramOutputAndStatus(t *testing.T) {
	code, out, stderr := runProgram(t, "sh", "sh", "-c", `echo one; echo two >&2; echo three; printf "no newline"; exit 7`)
	if code != 7 {
		t.Fatalf("exit %d, want 7\n%s%s", code, out, stderr)
	}
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
	if got, want := strings.Join(outLines, "|"), "out: one|out: three|out: no newline"; got != want {
		t.Errorf("stdout lines %q, want %q", got, want)
	}
	if got, want := strings.Join(errLines, "|"), "err: two"; got != want {
		t.Errorf("stderr lines %q, want %q", got, want)
	}
}

func TestRunProgramLargeOutput(t *testing.T) {
	// yes writes as fast as it can; head stops it after 200000 lines.
	code, out, stderr := runProgram(t, "sh", "sh", "-c", "yes 0123456789 | head -n 200000")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if n := strings.Count(out, "out: 0123456789\n"); n != 200000 || len(out) != 200000*len("out: 0123456789\n") {
		t.Errorf("got %d lines (%d bytes), want 200000", n, len(out))
	}
}

func TestRunProgramStdinInherited(t *testing.T) {
	p := startScript(t, "run", "--allow-run=cat", "scripts/run_program.star", "cat")
	if _, err := io.WriteString(p.stdin, "first\nsecond\n"); err != nil {
		t.Fatal(err)
	}
	p.waitLine("out: second")
	_ = p.stdin.Close()
	if code := p.waitExit(waitTimeout); code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr.String())
	}
	if out := p.stdout(); out != "out: first\nout: second\n" {
		t.Errorf("output %q", out)
	}
}

func TestRunProgramKilledBySignal(t *testing.T) {
	code, _, stderr := runProgram(t, "sh", "sh", "-c", "kill -TERM $$")
	if code != 128+15 {
		t.Errorf("exit %d, want %d: %s", code, 128+15, stderr)
	}
}

// TestRunProgramSIGTERM stops starnet while its child runs: the default
// handling closes the subprocess transport, which kills the child, and
// starnet exits 143 without leaving the child behind.
func TestRunProgramSIGTERM(t *testing.T) {
	p := startScript(t, "run", "--allow-run=sh", "scripts/run_program.star", "sh", "-c", "echo $$; exec sleep 60")
	pid, err := strconv.Atoi(strings.TrimPrefix(p.waitLine("out: "), "out: "))
	if err != nil {
		t.Fatal(err)
	}
	p.signal(syscall.SIGTERM)
	if code := p.waitExit(waitTimeout); code != 143 {
		t.Errorf("exit %d, want 143: %s", code, p.stderr.String())
	}
	// The child was killed; once starnet is gone, init reaps it if starnet
	// did not. No event tells when: poll.
	deadline := time.Now().Add(waitTimeout)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d still runs after starnet exited", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunProgramPermissions(t *testing.T) {
	lsPath, err := exec.LookPath("ls")
	if err != nil {
		t.Fatal(err)
	}
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
			if code != 0 {
				t.Errorf("--allow-run=%s %q: exit %d: %s", c.allow, c.argv, code, stderr)
			}
			continue
		}
		if code != 1 || out != "" || !strings.Contains(stderr, c.want) {
			t.Errorf("--allow-run=%s %q: exit %d, stdout %q, stderr %q; want 1 and %q", c.allow, c.argv, code, out, stderr, c.want)
		}
	}
}

// TestSubprocessShellNeedsShell checks that subprocess_shell needs the
// shell itself allowed, whatever the command line runs.
func TestSubprocessShellNeedsShell(t *testing.T) {
	script := filepath.Join("tests", "testdata", "shell.star")
	code, out, stderr := runScript(t, "run", "--allow-run=echo", script, "echo hi")
	if want := `PermissionError: run access to "sh" denied; run with --allow-run=sh`; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and %q", code, out, stderr, want)
	}
	for _, allow := range []string{"sh", "/bin/sh"} {
		code, out, stderr = runScript(t, "run", "--allow-run="+allow, script, "echo hi; exit 3")
		if code != 3 || out != "hi\n" {
			t.Errorf("--allow-run=%s: exit %d, stdout %q, stderr %q", allow, code, out, stderr)
		}
	}
}

// TestRunProgramMissing checks the error of a program that does not exist.
func TestRunProgramMissing(t *testing.T) {
	code, _, stderr := runProgram(t, "starnet-no-such-program", "starnet-no-such-program")
	if want := "FileNotFoundError: [Errno 2] No such file or directory: 'starnet-no-such-program'"; code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
