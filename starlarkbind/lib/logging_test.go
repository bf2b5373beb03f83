package lib

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarktest"
	"go.starlark.net/syntax"
)

// TestLogging: records below the level are dropped (WARNING by default,
// as Python's), the others are formatted as the format says, one line
// each, with the clock's time.
func TestLogging(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	clock := time.Date(2026, 12, 7, 20, 1, 2, 345_000_000, time.Local)
	predeclared := Modules(Options{Stderr: &out, Loop: 3, Now: func() time.Time { return clock }})
	assert, err := starlarktest.LoadAssertModule()
	require.NoError(t, err)
	predeclared["assert"] = assert["assert"]
	thread := &starlark.Thread{}
	starlarktest.SetReporter(thread, t)
	src := `
logging.info("not shown")
logging.warning("disk %d%% full", 93)
logging.error("peer %s: %r", "10.0.0.1", b"x")
logging.critical("a %(k)s", {"k": "mapping"})
logging.basicConfig(level = logging.DEBUG, format = "%(levelname)s:%(name)s:%(message)s [%(loop)d] %(levelno)d")
logging.debug("two\nlines")
logging.log(25, 1234)
logging.basicConfig(level = "ERROR")
logging.warning("dropped")
logging.log("CRITICAL", "by name")
assert.eq(logging.getLevelName(logging.WARNING), "WARNING")
assert.eq(logging.getLevelName(5), "Level 5")
assert.eq(logging.WARN, logging.WARNING)
assert.fails(lambda: logging.warning(), "logging.warning: missing argument for msg")
assert.fails(lambda: logging.error("%d", "x"), "logging.error: .*%d format requires integer")
assert.fails(lambda: logging.basicConfig(level = "LOUD"), "ValueError: logging.basicConfig: for parameter level: Unknown level: 'LOUD'")
assert.fails(lambda: logging.basicConfig(level = 1.5), "for parameter level: got float, want an int or a level name")
assert.fails(lambda: logging.basicConfig(format = "%(thread)s"), "for parameter format: unknown field")
assert.fails(lambda: logging.basicConfig(10), "takes keyword arguments only")
assert.fails(lambda: logging.info("x", extra = 1), "unexpected keyword argument")
`
	_, err = starlark.ExecFileOptions(&syntax.FileOptions{}, thread, "logging.star", src, predeclared)
	require.NoError(t, err)
	ts := "2026-12-07 20:01:02,345"
	require.Equal(t, ts+" WARNING disk 93% full\n"+
		ts+" ERROR peer 10.0.0.1: b\"x\"\n"+
		ts+" CRITICAL a mapping\n"+
		"DEBUG:root:two\n    lines [3] 10\n"+
		"Level 25:root:1234 [3] 25\n"+
		"CRITICAL:root:by name [3] 50\n", out.String())
}
