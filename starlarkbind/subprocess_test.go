package starlarkbind

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunRules checks how --allow-run entries match programs: by name, by
// path, through PATH, and not through a PATH the script gives the child.
func TestRunRules(t *testing.T) {
	t.Parallel()
	catPath, err := exec.LookPath("cat")
	require.NoError(t, err, "cat")
	catPath, _ = filepath.Abs(catPath)
	// A directory with its own "cat", first on a PATH the script could give.
	dir := t.TempDir()
	fake := filepath.Join(dir, "cat")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755))
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
		assert.Equalf(t, c.allowed, err == nil, "%q: run %q (env %q, cwd %q): allowed (%v)", c.entries, c.program, c.env, c.cwd, err)
	}
}

// TestRunDeniedMessages checks the messages of denied --allow-run access,
// and which entries allow the shell.
func TestRunDeniedMessages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fake := filepath.Join(dir, "ls")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755))
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
		assert.EqualError(t, c.err, c.want)
	}
	for _, entries := range [][]string{{"sh"}, {"/bin/sh"}, {"*"}} {
		assert.NoErrorf(t, compilePermissions(Permissions{Run: entries}).checkShell(), "%q: shell denied", entries)
	}
	assert.Error(t, compilePermissions(Permissions{Run: []string{"bash", "cat"}}).checkShell(), "shell allowed by bash, cat")
}

// TestSubprocessPermissionFailsFuture checks that a denied program fails
// the Future (not the call) with the PermissionError, and that nothing runs.
func TestSubprocessPermissionFailsFuture(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	// Another "cat", which a PATH given to the child would find.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cat"), []byte("#!/bin/sh\ntouch "+marker+"\n"), 0o755))
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
	assert.Equal(t, `["PermissionError", "PermissionError", "PermissionError"]`, g["kinds"].String(), "kinds")
	msgs := g["messages"].String()
	for _, want := range []string{`run access to \"touch\" denied; run with --allow-run=touch`, `run access to \"sh\" denied; run with --allow-run=sh`, `run access to \"cat\" denied`} {
		assert.Contains(t, msgs, want, "messages")
	}
	assert.NoFileExists(t, marker, "a denied program ran")
}

// TestSubprocessCallbackFailure checks that a failing pipe_data_received is
// reported and changes nothing else: the rest of the output still comes,
// and connection_lost follows.
func TestSubprocessCallbackFailure(t *testing.T) {
	t.Parallel()
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
	assert.Equal(t, `[b"one\n", b"two\n"]`, g["got"].String(), "output")
	assert.Equal(t, "[None]", g["lost"].String(), "connection_lost")
	report := te.stderr.String()
	assert.Contains(t, report, "P.pipe_data_received() failed", "report")
	assert.Contains(t, report, "first chunk fails", "report")
}
