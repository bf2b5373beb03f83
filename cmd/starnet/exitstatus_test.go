package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestExitStatusAfterUnhandledFailures: a run in which a failure of the
// script's code reached the default exception handler ends with status 1
// where it would have ended with 0 (docs/API.md §1 "Exit status"); a
// script's own exception handler decides for itself; exit(n) with n != 0
// keeps n; --debug lists what was counted.
func TestExitStatusAfterUnhandledFailures(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, src string
		flags     []string
		code      int
		stdout    string
	}{
		{name: "no failure", src: "loop.call_soon(lambda: print(\"ok\"))\n", code: 0, stdout: "ok\n"},
		{name: "failed callback", src: "loop.call_soon(lambda: 1 // 0)\n", code: 1},
		{name: "failed callback, then exit(0)", src: "loop.call_soon(lambda: 1 // 0)\nloop.call_soon(lambda: exit(0))\n", code: 1},
		{name: "failed callback, then exit(3)", src: "loop.call_soon(lambda: 1 // 0)\nloop.call_soon(lambda: exit(3))\n", code: 3},
		{name: "failed callback, then loop.stop()", src: "loop.call_soon(lambda: 1 // 0)\nloop.call_soon(loop.stop)\n", code: 1},
		{name: "failed task nobody awaited", src: "def work():\n    fail(\"boom\")\nloop.create_task(work)\n", code: 1},
		{name: "own exception handler", code: 0, stdout: "handled ScriptError\n",
			src: "loop.set_exception_handler(lambda l, ctx: print(\"handled\", ctx[\"exception\"].kind))\nloop.call_soon(lambda: 1 // 0)\n"},
		{name: "own handler passing on to the default", code: 1,
			src: "loop.set_exception_handler(lambda l, ctx: l.default_exception_handler(ctx))\nloop.call_soon(lambda: 1 // 0)\n"},
		{name: "failing exception handler", code: 1,
			src: "loop.set_exception_handler(lambda l, ctx: 1 // 0)\nloop.call_soon(lambda: fail(\"x\"))\n"},
		{name: "handler removed again", code: 1,
			src: "loop.set_exception_handler(lambda l, ctx: None)\nloop.set_exception_handler(None)\nloop.call_soon(lambda: 1 // 0)\n"},
		{name: "unretrieved PermissionError: not a failure of code", code: 0,
			src: "loop.create_connection(protocol(\"P\"), \"127.0.0.1\", 9)\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := runStarnet(t, append(append([]string{"run"}, c.flags...), script(t, "x.star", c.src))...)
			assert.Equal(t, c.code, r.code, "exit status; stderr:\n%s", r.stderr)
			assert.Equal(t, c.stdout, r.stdout)
			assert.NotContains(t, r.stderr, "starnet: exit status 1", "the summary without --debug")
		})
	}
}

// TestDebugListsCountedFailures: with --debug the run ends with one line
// per failure that made the status 1.
func TestDebugListsCountedFailures(t *testing.T) {
	t.Parallel()
	path := script(t, "x.star", `
def work():
    fail("boom")
loop.create_task(work)
loop.call_soon(lambda: 1 // 0)
`)
	r := runStarnet(t, "run", "--debug", path)
	assert.Equal(t, 1, r.code, "exit status; stderr:\n%s", r.stderr)
	_, summary, found := strings.Cut(strings.ReplaceAll(r.stderr, path, "x.star"), "starnet: exit status 1")
	assert.True(t, found, "no summary in:\n%s", r.stderr)
	assert.Equal(t, `: 2 callback failures reached the default exception handler:
  Exception in callback lambda() at x.star:5: floored division by zero
  Future exception was never retrieved: fail: boom
`, summary)

	r = runStarnet(t, "run", "--debug", script(t, "ok.star", "print(1)\n"))
	assert.Equal(t, 0, r.code)
	assert.NotContains(t, r.stderr, "starnet: exit status")
}
