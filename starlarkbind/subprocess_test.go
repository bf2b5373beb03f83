package starlarkbind

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunRules checks how --allow-run entries match programs: by name, by
// path, through PATH, and not through a PATH the script gives the child.
func TestRunRules(t *testing.T) {
	catPath, err := exec.LookPath("cat")
	if err != nil {
		t.Fatalf("cat: %v", err)
	}
	catPath, _ = filepath.Abs(catPath)
	// A directory with its own "cat", first on a PATH the script could give.
	dir := t.TempDir()
	fake := filepath.Join(dir, "cat")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		entries []string
		program string
		env     []string
		cwd     string
		allowed bool
	}{
		{nil, "cat", nil, "", false},
		{[]string{"*"}, "anything", nil, "", true},
		{[]string{"cat"}, "cat", nil, "", true},
		{[]string{"cat"}, catPath, nil, "", true}, // a name entry allows its path
		{[]string{catPath}, "cat", nil, "", true}, // a path entry allows the name that finds it
		{[]string{catPath}, catPath, nil, "", true},
		{[]string{"cat"}, "tac", nil, "", false},
		{[]string{"cat"}, fake, nil, "", false},                      // same name, another file
		{[]string{"cat"}, "cat", []string{"PATH=" + dir}, "", false}, // PATH override
		{[]string{fake}, "cat", []string{"PATH=" + dir}, "", true},
		{[]string{fake}, "./cat", nil, dir, true}, // relative to cwd
		{[]string{fake}, "./cat", nil, "", false},
		{[]string{"cat"}, "cat", []string{"HOME=/"}, "", true},    // no PATH: /bin:/usr/bin
		{[]string{"no-such-prog"}, "no-such-prog", nil, "", true}, // fails later: FileNotFoundError
		{[]string{" cat "}, "cat", nil, "", true},
	}
	for _, c := range cases {
		p := compilePermissions(Permissions{Run: c.entries})
		err := p.checkRun(c.program, c.env, c.cwd)
		if (err == nil) != c.allowed {
			t.Errorf("%q: run %q (env %q, cwd %q): allowed = %v, want %v (%v)", c.entries, c.program, c.env, c.cwd, err == nil, c.allowed, err)
		}
	}
}

func TestRunDeniedMessages(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "ls")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := compilePermissions(Permissions{Run: []string{"cat"}})
	for _, c := range []struct {
		err  error
		want string
	}{
		{p.checkRun("ls", nil, ""), `PermissionError: run access to "ls" denied; run with --allow-run=ls`},
		{p.checkRun("/bin/true", nil, ""), `PermissionError: run access to "/bin/true" denied; run with --allow-run=/bin/true`},
		// The child's PATH finds another ls: the message names that file.
		{p.checkRun("ls", []string{"PATH=" + dir}, ""), `PermissionError: run access to "ls" denied; run with --allow-run=` + fake},
		{p.checkShell(), `PermissionError: run access to "sh" denied; run with --allow-run=sh`},
	} {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("got %v\nwant %s", c.err, c.want)
		}
	}
	for _, entries := range [][]string{{"sh"}, {"/bin/sh"}, {"*"}} {
		if err := compilePermissions(Permissions{Run: entries}).checkShell(); err != nil {
			t.Errorf("%q: shell denied: %v", entries, err)
		}
	}
	if err := compilePermissions(Permissions{Run: []string{"bash", "cat"}}).checkShell(); err == nil {
		t.Errorf("shell allowed by bash, cat")
	}
}

// TestSubprocessPermissionFailsFuture checks that a denied program fails
// the Future (not the call) with the PermissionError, and that nothing runs.
func TestSubprocessPermissionFailsFuture(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	// Another "cat", which a PATH given to the child would find.
	if err := os.WriteFile(filepath.Join(dir, "cat"), []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	te := newTestEnv(t, Options{Permissions: Permissions{Run: []string{"cat"}}, MaxSteps: 1_000_000})
	g := te.exec(`
P = protocol("P")
denied = [
    loop.subprocess_exec(P, "touch", "` + marker + `"),
    loop.subprocess_shell(P, "touch ` + marker + `"),
    loop.subprocess_exec(P, "cat", env = {"PATH": "` + dir + `"}),
]
results = loop.run_until_complete(loop.gather(return_exceptions = True, *denied))
kinds = [r.kind for r in results]
messages = [r.message for r in results]
`)
	te.run()
	if got := g["kinds"].String(); got != `["PermissionError", "PermissionError", "PermissionError"]` {
		t.Errorf("kinds = %s", got)
	}
	msgs := g["messages"].String()
	for _, want := range []string{`run access to \"touch\" denied; run with --allow-run=touch`, `run access to \"sh\" denied; run with --allow-run=sh`, `run access to \"cat\" denied`} {
		if !strings.Contains(msgs, want) {
			t.Errorf("messages %s lack %s", msgs, want)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a denied program ran")
	}
}

// TestSubprocessCallbackFailure checks that a failing pipe_data_received is
// reported and changes nothing else: the rest of the output still comes,
// and connection_lost follows.
func TestSubprocessCallbackFailure(t *testing.T) {
	te := newTestEnv(t, Options{Permissions: Permissions{Run: []string{"sh"}}, MaxSteps: 1_000_000})
	g := te.exec(`
got = []
lost = []
def data(self, fd, data):
    got.append(data)
    if len(got) == 1:
        # The child prints "two" only once it reads this line: a second read.
        self.transport.get_pipe_transport(0).write(b"b\n")
        fail("first chunk fails")
def made(self, t):
    self.transport = t
    t.get_pipe_transport(0).write(b"a\n")
P = protocol("P", connection_made = made, pipe_data_received = data,
             connection_lost = lambda self, exc: lost.append(exc))
loop.run_until_complete(loop.subprocess_shell(P, "read x; echo one; read y; echo two"))
`)
	te.run()
	if got := g["got"].String(); got != `[b"one\n", b"two\n"]` {
		t.Errorf("output = %s", got)
	}
	if got := g["lost"].String(); got != "[None]" {
		t.Errorf("connection_lost: %s", got)
	}
	if report := te.stderr.String(); !strings.Contains(report, "P.pipe_data_received() failed") || !strings.Contains(report, "first chunk fails") {
		t.Errorf("report:\n%s", report)
	}
}
