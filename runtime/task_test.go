package runtime

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestModuleStartTask: a host starts script functions as tasks, one before
// Run and one from another goroutine while Run runs; the first waits for
// what the second does.
func TestModuleStartTask(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{})
	mod := mustExec(t, rt, "tasks.star", `
gate = loop.create_future()
keep = loop.call_later(3600, lambda: None)
def waiter():
    print("waiter got", wait(gate))
def opener(v):
    wait(loop.sleep(0))
    gate.set_result(v)
    keep.cancel()
`)
	require.NoError(t, mod.StartTask("waiter"))
	started := make(chan error, 1)
	go func() { started <- mod.StartTask("opener", starlark.String("hello")) }()
	require.NoError(t, rt.Run(context.Background()))
	require.NoError(t, <-started)
	assert.Equal(t, "waiter got hello", strings.TrimSpace(stdout.String()))
	err := mod.StartTask("nope")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no global "nope"`)
	err = mod.StartTask("gate")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a function")
}

// TestMainWaitsWithoutCallbacks: a tool written top to bottom in main, with
// tasks and waits and no callback.
func TestMainWaitsWithoutCallbacks(t *testing.T) {
	t.Parallel()
	rt, stdout, _ := newTestRuntime(t, Config{})
	mod := mustExec(t, rt, "main.star", `
def square(x):
    wait(loop.sleep(0))
    return x * x
def main(argv):
    tasks = [loop.create_task(square, int(a)) for a in argv]
    print(wait(loop.gather(*tasks)))
`)
	require.NoError(t, mod.CallMain([]string{"2", "3", "4"}))
	require.NoError(t, rt.Run(context.Background()))
	assert.Equal(t, "[4, 9, 16]", strings.TrimSpace(stdout.String()))
}
