package starlarkbind

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarktest"
)

// runTimeout bounds every loop run in these tests; a passing test never
// comes close.
const runTimeout = 30 * time.Second

// testEnv is a loop, its Env, and the Env's captured output.
type testEnv struct {
	t      testing.TB
	l      *loop.Loop
	e      *Env
	stdout *bytes.Buffer
	stderr *testkit.SyncBuffer
}

// newTestEnv makes a loop and an Env with opts (Loop, Stdout and Stderr are
// filled in), with the starlarktest assert module predeclared.
func newTestEnv(t testing.TB, opts Options) *testEnv {
	t.Helper()
	stderr := &testkit.SyncBuffer{}
	l, err := loop.New(loop.Options{Stderr: stderr})
	require.NoError(t, err, "loop.New")
	t.Cleanup(func() { _ = l.Close() })
	te := &testEnv{t: t, l: l, stdout: &bytes.Buffer{}, stderr: stderr}
	opts.Loop, opts.Stdout, opts.Stderr = l, te.stdout, stderr
	te.e = NewEnv(opts)
	assert, err := starlarktest.LoadAssertModule()
	require.NoError(t, err, "assert module")
	te.e.Predeclare("assert", assert["assert"])
	te.e.Predeclare("freeze", assert["freeze"])
	te.e.Predeclare("catch", starlark.NewBuiltin("catch", catchBuiltin))
	starlarktest.SetReporter(te.e.Thread(), t)
	return te
}

// allowLocal allows what the tests need: 127.0.0.1 and /tmp.
var allowLocal = Permissions{Net: []string{"127.0.0.1"}, Read: []string{os.TempDir()}, Write: []string{os.TempDir()}}

// exec runs src's top level and fails the test on error.
func (te *testEnv) exec(src string) starlark.StringDict {
	te.t.Helper()
	g, err := te.e.Exec("test.star", []byte(src))
	if err != nil {
		te.t.Fatalf("exec: %v\nstderr:\n%s", backtrace(err), te.stderr)
	}
	return g
}

// backtrace is err's Starlark backtrace, or its text.
func backtrace(err error) string {
	if ee, ok := err.(*starlark.EvalError); ok {
		return ee.Backtrace()
	}
	return err.Error()
}

// run runs the loop until it is idle or stopped, within runTimeout.
func (te *testEnv) run() {
	te.t.Helper()
	timedOut := false
	timer := time.AfterFunc(runTimeout, func() {
		_ = te.l.CallSoonThreadsafe(func() { timedOut = true; te.l.Stop() })
	})
	err := te.l.Run()
	timer.Stop()
	if err != nil {
		te.t.Fatalf("run: %v", err)
	}
	if timedOut {
		te.t.Fatalf("loop still busy after %v\nstdout:\n%s\nstderr:\n%s", runTimeout, te.stdout, te.stderr)
	}
}

// global reads a global as a Go value: int, string, list of strings.
func (te *testEnv) global(g starlark.StringDict, name string) starlark.Value {
	te.t.Helper()
	v, ok := g[name]
	if !ok {
		te.t.Fatalf("no global %s", name)
	}
	return v
}

// serverPort is the TCP port of the server value in global name.
func (te *testEnv) serverPort(g starlark.StringDict, name string) int {
	te.t.Helper()
	sv, ok := g[name].(*serverValue)
	if !ok {
		te.t.Fatalf("global %s is %v, not a server", name, g[name])
	}
	return sv.s.Addrs()[0].(*net.TCPAddr).Port
}

// waitPython waits for the python3 peer p (testkit.StartPython, running
// concurrently with the loop) to exit 0, and returns its stdout, trimmed.
func waitPython(t testing.TB, p *testkit.Process) string {
	t.Helper()
	return strings.TrimSpace(p.Wait(testkit.WaitTimeout))
}

// lines splits output into trimmed lines.
func lines(s string) []string {
	return strings.Split(strings.TrimSpace(s), "\n")
}

// itoa formats n in decimal.
func itoa(n int) string { return fmt.Sprint(n) }

// catchBuiltin is catch(f): f()'s error message, or None.
func catchBuiltin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var fn starlark.Callable
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "fn", &fn); err != nil {
		return nil, err
	}
	if _, err := starlark.Call(thread, fn, nil, nil); err != nil {
		if ee, ok := err.(*starlark.EvalError); ok {
			return starlark.String(ee.Msg), nil
		}
		return starlark.String(err.Error()), nil
	}
	return starlark.None, nil
}
