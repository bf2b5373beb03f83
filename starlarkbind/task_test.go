package starlarkbind

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// newTaskEnv is a test env whose catch is the predeclared catch (the
// test helper's catch would shadow it).
func newTaskEnv(t testing.TB, opts Options) *testEnv {
	te := newTestEnv(t, opts)
	te.e.Predeclare("catch", starlark.NewBuiltin("catch", te.e.catchBuiltin))
	return te
}

// then runs src with g's globals predeclared (a check after the run).
func (te *testEnv) then(g starlark.StringDict, src string) {
	te.t.Helper()
	for name, v := range g {
		te.e.Predeclare(name, v)
	}
	te.exec(src)
}

// TestTaskRunsUntilItWaits: a task's code between two waits runs without
// any callback or other task in between, and the loop serves the others
// while it waits, in asyncio's order.
func TestTaskRunsUntilItWaits(t *testing.T) {
	t.Parallel()
	te := newTaskEnv(t, Options{})
	g := te.exec(`
log = []
def worker(name, n):
    for i in range(n):
        log.append("%s%d" % (name, i))
        wait(loop.sleep(0))
    return name * n
a = loop.create_task(worker, "a", 3)
b = loop.create_task(worker, "b", 2, name = "bee")
loop.call_soon(lambda: log.append("cb"))
`)
	te.run()
	assert.Equal(t, `["a0", "b0", "cb", "a1", "b1", "a2"]`, g["log"].String())
	te.then(g, `
assert.eq(a.result(), "aaa")
assert.eq(b.result(), "bb")
assert.eq(b.get_name(), "bee")
assert.true(a.get_name().startswith("Task-"))
assert.eq(str(b), "<Task finished name=\"bee\">")
`)
}

// TestTaskWaitOutcomes: wait returns the result, fails with the error of
// the future (its class kept), and catch turns that into a value.
func TestTaskWaitOutcomes(t *testing.T) {
	t.Parallel()
	te := newTaskEnv(t, Options{})
	g2 := te.exec(`
out2 = []
def t1():
    slow = loop.create_future()
    r, err = catch(wait, loop.wait_for(slow, 0.001))
    out2.append((r, err.kind))
    assert.true(slow.cancelled())
    v = wait(loop.sleep(0, 42))
    out2.append(v)
task = loop.create_task(t1)
`)
	te.run()
	assert.Equal(t, `[(None, "TimeoutError"), 42]`, g2["out2"].String())
	te.then(g2, `assert.eq(task.result(), None)`)
}

// TestTaskErrorKeepsClass: a task that fails at a wait fails with that
// error's class, and its traceback names the script's line.
func TestTaskErrorKeepsClass(t *testing.T) {
	t.Parallel()
	te := newTaskEnv(t, Options{})
	te.exec(`
def t1():
    slow = loop.create_future()
    wait(loop.wait_for(slow, 0.001))
task = loop.create_task(t1)
def check():
    exc = task.exception()
    assert.eq(exc.kind, "TimeoutError")
task.add_done_callback(lambda t: check())
`)
	te.run()
	assert.Empty(t, te.stderr.String(), "the exception was retrieved: nothing reported")
}

// TestTaskFailureReported: a failed task whose exception nobody retrieves
// is reported, with the script's traceback.
func TestTaskFailureReported(t *testing.T) {
	t.Parallel()
	te := newTaskEnv(t, Options{})
	te.exec(`
def t1():
    wait(loop.sleep(0))
    x = 1 // 0
loop.create_task(t1)
`)
	te.run()
	assert.Equal(t, 1, te.l.ReportUnretrieved(), "one unretrieved task exception")
	assert.Contains(t, te.stderr.String(), "test.star:4")
	assert.Contains(t, te.stderr.String(), "division by zero")
}

// TestTaskCancel: cancel() makes the wait in progress fail with
// CancelledError and the task ends cancelled; a task cancelled before it
// starts never runs; catch does not catch the cancellation of its task.
func TestTaskCancel(t *testing.T) {
	t.Parallel()
	te := newTaskEnv(t, Options{})
	g := te.exec(`
log = []
def sleeper():
    log.append("start")
    r, err = catch(wait, loop.sleep(3600))
    log.append("not reached")
def never():
    log.append("never")
s = loop.create_task(sleeper)
n = loop.create_task(never)
n.cancel()
loop.call_later(0.001, lambda: log.append(s.cancel()))
`)
	te.run()
	assert.Equal(t, `["start", True]`, g["log"].String())
	te.then(g, `
assert.true(s.cancelled())
assert.true(n.cancelled())
assert.fails(lambda: s.result(), "CancelledError")
`)
	assert.Zero(t, te.e.PendingTasks())
}

// TestWaitOutsideTask: a plain callback cannot wait: it fails at once,
// naming the fix. At the top level (the loop not running), wait runs the
// loop until the future is done, as run_until_complete does.
func TestWaitOutsideTask(t *testing.T) {
	t.Parallel()
	te := newTaskEnv(t, Options{})
	g := te.exec(`
msgs = []
def cb():
    r, err = catch(wait, loop.sleep(0))
    msgs.append(err.message)
loop.call_soon(cb)
v = wait(loop.sleep(0, "top"))
`)
	assert.Equal(t, `"top"`, g["v"].String())
	te.run()
	require.Contains(t, g["msgs"].String(), "wait() called outside a task")
	assert.Contains(t, g["msgs"].String(), "loop.create_task")
}

// TestTaskSliceBudget: each slice of a task runs under the step budget:
// many short slices pass, one long slice fails the task.
func TestTaskSliceBudget(t *testing.T) {
	t.Parallel()
	te := newTaskEnv(t, Options{MaxSteps: 5000})
	g := te.exec(`
def short():
    for i in range(200):
        for j in range(10):
            pass
        wait(loop.sleep(0))
    return "ok"
def long():
    for i in range(100000):
        pass
ok = loop.create_task(short)
bad = loop.create_task(long)
`)
	te.run()
	te.then(g, `
assert.eq(ok.result(), "ok")
assert.true("too many steps" in bad.exception().message)
`)
}

// TestManyTasks: 10,000 tasks wait at once; when they are done no task
// goroutine is left.
func TestManyTasks(t *testing.T) {
	before := runtime.NumGoroutine()
	te := newTaskEnv(t, Options{})
	g := te.exec(`
ev = loop.create_future()
count = [0]
def waiter():
    wait(ev)
    count[0] += 1
tasks = [loop.create_task(waiter) for i in range(10000)]
def release():
    ev.set_result(None)
loop.call_later(0.01, release)
`)
	te.run()
	assert.Equal(t, "[10000]", g["count"].String())
	assert.Zero(t, te.e.PendingTasks())
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+2 },
		runTimeout, 10*time.Millisecond, "task goroutines ended")
}

// TestAbandonTasks: tasks left waiting when the loop will not run again
// unwind without running more script, and their goroutines end.
func TestAbandonTasks(t *testing.T) {
	before := runtime.NumGoroutine()
	te := newTaskEnv(t, Options{})
	g := te.exec(`
log = []
def stuck():
    wait(loop.create_future())
    log.append("not reached")
ts = [loop.create_task(stuck) for i in range(10)]
`)
	te.run()
	assert.Equal(t, 10, te.e.PendingTasks())
	te.e.AbandonTasks()
	assert.Equal(t, "[]", g["log"].String())
	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+2 },
		runTimeout, 10*time.Millisecond, "task goroutines ended")
}

// TestCurrentTask: loop.current_task() is the task running, None in a callback.
func TestCurrentTask(t *testing.T) {
	t.Parallel()
	te := newTaskEnv(t, Options{})
	g := te.exec(`
seen = []
def me():
    seen.append(loop.current_task() == task)
    wait(loop.sleep(0))
    seen.append(loop.current_task() == task)
task = loop.create_task(me)
loop.call_soon(lambda: seen.append(loop.current_task()))
`)
	te.run()
	assert.Equal(t, "[True, None, True]", g["seen"].String())
}
