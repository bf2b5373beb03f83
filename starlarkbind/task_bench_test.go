package starlarkbind

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// BenchmarkTaskSwitch measures one wait/resume round trip of a task: the
// task waits for a future that a call_soon callback completes, so each
// iteration is a switch from the task to the loop's goroutine and back,
// plus the future and the callback.
func BenchmarkTaskSwitch(b *testing.B) {
	te := newTaskEnv(b, Options{})
	g := te.exec(`
def ping(n):
    for i in range(n):
        f = loop.create_future()
        loop.call_soon(f.set_result, i)
        wait(f)
`)
	g["N"] = starlark.MakeInt(b.N)
	te.then(g, "task = loop.create_task(ping, N)")
	b.ReportAllocs()
	b.ResetTimer()
	require.NoError(b, te.l.Run())
	b.StopTimer()
	require.Zero(b, te.e.PendingTasks())
}
