package starlarkbind

import (
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestRunawayCallbackStoppedByMaxSteps checks that a data_received that
// never returns is stopped by the step budget: its connection is lost with a
// ScriptError ("too many steps") and the server goes on.
func TestRunawayCallbackStoppedByMaxSteps(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 100_000})
	te.e.Predeclare("want", starlark.MakeInt(3))
	g := te.exec(echoServer)
	py := testkit.StartPython(t, pyFailing, itoa(te.serverPort(g, "srv")), "spin")
	te.run()
	require.Equal(t, "ok", waitPython(t, py), "client")
	checkCounts(t, g, 3)
	assert.Equal(t, `["ScriptError", None, None]`, g["errors"].String(), "connection_lost kinds")
	assert.Contains(t, g["messages"].String(), "too many steps", "ScriptError message")
}

// TestRunawayTimerIsReportedAndNextCallbackRuns checks that a callback
// stopped by the step budget is reported, and the callbacks after it run.
func TestRunawayTimerIsReportedAndNextCallbackRuns(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{MaxSteps: 100_000})
	g := te.exec(`
done = []
def spin():
    while True:
        pass
def count():
    n = 0
    for i in range(1000):
        n += i
    done.append(n)
loop.call_soon(spin)
loop.call_soon(count)
loop.call_later(0.001, count)
`)
	te.run()
	assert.Equal(t, "[499500, 499500]", g["done"].String(), "done")
	report := te.stderr.String()
	assert.Contains(t, report, "too many steps", "report")
	assert.Contains(t, report, "in spin", "report")
}

// TestTopLevelStepBudgetExcludesCallbacks: each callback takes fewer steps
// than the budget; all of them together, run from the top level's
// run_until_complete, take more. The top level is not charged for them.
func TestTopLevelStepBudgetExcludesCallbacks(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{MaxSteps: 20_000})
	g := te.exec(`
total = []
def work():
    n = 0
    for i in range(1000):
        n += 1
    total.append(n)
for i in range(50):
    loop.call_soon(work)
loop.run_until_complete(loop.sleep(0.001))
after = len(total)
`)
	assert.Equal(t, "50", g["after"].String(), "callbacks run\n%s", te.stderr)
}
