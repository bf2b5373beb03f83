package runtime

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFailuresCountsWhatReachedTheDefaultHandler: Runtime.Failures lists
// the failures of code that reached a default exception handler — on every
// loop — and not those a script's own handler took, nor reports without a
// failure of code.
func TestFailuresCountsWhatReachedTheDefaultHandler(t *testing.T) {
	t.Parallel()
	rt, _, stderr := newTestRuntime(t, Config{Loops: 2})
	mustExec(t, rt, "f.star", `
def boom():
    1 // 0
loop.call_soon(boom)
if loop.index == 1:
    loop.set_exception_handler(lambda l, ctx: None)
    loop.call_soon(boom)
`)
	require.NoError(t, rt.Run(context.Background()))
	require.NoError(t, rt.Close())
	failures := rt.Failures()
	require.Len(t, failures, 1, "stderr:\n%s", stderr.String())
	assert.Equal(t, 0, failures[0].Loop)
	assert.Equal(t, "Exception in callback boom() at f.star:2: floored division by zero", failures[0].String())
}

// TestExecErrorsCarryHints: Exec's and CallMain's errors carry the hint
// that FormatError prints, the step budget named.
func TestExecErrorsCarryHints(t *testing.T) {
	t.Parallel()
	rt, _, _ := newTestRuntime(t, Config{MaxSteps: 500})
	_, err := rt.Exec("h.star", []byte("import os\n"))
	require.Error(t, err)
	assert.Equal(t, "h.star:1:1: got import, want primary expression\nhint: Starlark has no import: starnet's modules (json, re, os, time, ...) are predeclared, use them as they are; load(\"other.star\", \"name\") loads another script's names", FormatError(err))
	mod := mustExec(t, rt, "m.star", "def main(argv):\n    for i in range(10000):\n        pass\n")
	err = mod.CallMain(nil)
	require.Error(t, err)
	assert.Contains(t, FormatError(err), "\nhint: the code exceeded --max-steps=500 steps in one callback")
}
