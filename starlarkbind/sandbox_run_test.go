package starlarkbind

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// shScript runs `/bin/sh -c cmd` with the given env (None or a dict) and
// stdin, waits for it to exit, and sets err to the error message or None.
const shScript = `
done = loop.create_future()
P = protocol("P", process_exited = lambda self: done.set_result(None))
def run():
    loop.run_until_complete(loop.subprocess_exec(P, "/bin/sh", "-c", cmd, env = env, stdin = stdin,
                                                 stdout = subprocess.DEVNULL, stderr = subprocess.DEVNULL))
    loop.run_until_complete(done)
err = catch(run)
`

// runSh runs shScript under perms and returns err.
func runSh(t *testing.T, perms Permissions, cmd string, env, stdin starlark.Value) starlark.Value {
	t.Helper()
	te := newTestEnv(t, Options{Permissions: perms})
	te.e.Predeclare("cmd", starlark.String(cmd))
	te.e.Predeclare("env", env)
	te.e.Predeclare("stdin", stdin)
	g := te.exec(shScript)
	te.run()
	return g["err"]
}

// envDict makes a Starlark dict of strings.
func envDict(t *testing.T, kv ...string) *starlark.Dict {
	d := starlark.NewDict(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		require.NoError(t, d.SetKey(starlark.String(kv[i]), starlark.String(kv[i+1])))
	}
	return d
}

// everything is every permission without a list, as -A grants.
var everything = Permissions{Net: []string{"*"}, Run: []string{"*"}, Read: []string{"*"}, Write: []string{"*"}, Env: []string{"*"}}

// TestSandboxChildLoaderVariables: LD_* and DYLD_* in env= are refused
// unless every permission is granted; confirmed by whether the child ran
// (it creates a marker file).
func TestSandboxChildLoaderVariables(t *testing.T) {
	dir := t.TempDir()
	run := Permissions{Run: []string{"/bin/sh"}}
	for i, name := range []string{"LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES"} {
		marker := filepath.Join(dir, name)
		err := runSh(t, run, "touch "+marker, envDict(t, name, dir+"/evil.so"), starlark.None)
		assert.Equal(t, starlark.String("PermissionError: run access with "+name+" in env denied: dynamic loader variables (LD_*, DYLD_*) let a child run any code; they need every permission: run with -A"), err)
		assert.NoFileExists(t, marker, "the child ran")
		if i == 1 {
			err = runSh(t, everything, "touch "+marker, envDict(t, name, dir), starlark.None)
			require.Equal(t, starlark.None, err)
			assert.FileExists(t, marker, "with every permission the child runs")
		}
	}
}

// TestSandboxChildEnvironment: without --allow-env a child started with
// env=None gets only PATH, the locale, TERM and TZ of starnet's
// environment; with --allow-env, all of it; an explicit env= is the whole
// environment. Confirmed by what the child wrote out with `env`.
func TestSandboxChildEnvironment(t *testing.T) {
	t.Setenv("STARNET_TEST_SECRET", "sk_live_123")
	t.Setenv("LC_TIME", "C")
	dir := t.TempDir()
	childEnv := func(perms Permissions, env starlark.Value) string {
		out := filepath.Join(dir, "env.txt")
		_ = os.Remove(out)
		require.Equal(t, starlark.None, runSh(t, perms, "env > "+out, env, starlark.None))
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		return string(b)
	}
	got := childEnv(Permissions{Run: []string{"/bin/sh"}}, starlark.None)
	assert.NotContains(t, got, "STARNET_TEST_SECRET")
	assert.Contains(t, got, "PATH="+os.Getenv("PATH")+"\n")
	assert.Contains(t, got, "LC_TIME=C\n")

	got = childEnv(Permissions{Run: []string{"/bin/sh"}, Env: []string{"*"}}, starlark.None)
	assert.Contains(t, got, "STARNET_TEST_SECRET=sk_live_123\n")

	// --allow-env=LIST: the kept variables and the listed ones.
	got = childEnv(Permissions{Run: []string{"/bin/sh"}, Env: []string{"STARNET_TEST_SECRET"}}, starlark.None)
	assert.Contains(t, got, "STARNET_TEST_SECRET=sk_live_123\n")
	assert.Contains(t, got, "PATH="+os.Getenv("PATH")+"\n")

	got = childEnv(Permissions{Run: []string{"/bin/sh"}}, envDict(t, "ONLY", "this"))
	assert.Contains(t, got, "ONLY=this\n")
	assert.NotContains(t, got, "STARNET_TEST_SECRET")
	assert.NotContains(t, got, "LC_TIME")
}

// TestSandboxChildDescriptors: a descriptor number other than 0, 1 and 2
// cannot be handed to a child (the script does not own it); confirmed by
// the child not running.
func TestSandboxChildDescriptors(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "host-secret")
	require.NoError(t, err)
	defer f.Close()
	marker := filepath.Join(t.TempDir(), "ran")
	err2 := runSh(t, Permissions{Run: []string{"/bin/sh"}}, "touch "+marker, starlark.None, starlark.MakeInt(int(f.Fd())))
	msg, _ := err2.(starlark.String)
	assert.True(t, strings.HasPrefix(string(msg), "ValueError: loop.subprocess_exec: for parameter stdin: descriptor "), "got %v", err2)
	assert.Contains(t, string(msg), "is not the script's to give; pass 0, 1 or 2, or the file or pipe value itself (os.open, os.pipe)")
	assert.NoFileExists(t, marker)

	require.Equal(t, starlark.None, runSh(t, Permissions{Run: []string{"/bin/sh"}}, "touch "+marker, starlark.None, starlark.MakeInt(0)))
	assert.FileExists(t, marker, "0, 1 and 2 stay allowed")
}
