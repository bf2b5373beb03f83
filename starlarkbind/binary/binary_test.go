package binary

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarktest"
	"go.starlark.net/syntax"
)

// scriptOptions is the dialect API.md "Running a script" gives scripts.
var scriptOptions = &syntax.FileOptions{
	Set: true, While: true, TopLevelControl: true, GlobalReassign: true, Recursion: true,
}

// predeclared returns the names a test script sees: binary, assert, freeze.
func predeclared(t *testing.T) starlark.StringDict {
	t.Helper()
	assertMod, err := starlarktest.LoadAssertModule()
	require.NoError(t, err, "load assert module")
	return starlark.StringDict{
		"binary": NewModule(),
		"assert": assertMod["assert"],
		"freeze": assertMod["freeze"],
	}
}

// execScript runs src and reports assert failures through t.
func execScript(t *testing.T, name string, src any) starlark.StringDict {
	t.Helper()
	thread := &starlark.Thread{Name: name}
	starlarktest.SetReporter(thread, t)
	globals, err := starlark.ExecFileOptions(scriptOptions, thread, name, src, predeclared(t))
	var evalErr *starlark.EvalError
	if errors.As(err, &evalErr) {
		require.Fail(t, "script failed", evalErr.Backtrace())
	}
	require.NoError(t, err)
	return globals
}

// TestScripts runs every testdata/*.star file; each uses assert.* to check
// the module from Starlark.
func TestScripts(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.star")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 3, "test scripts in testdata")
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".star"), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			require.NoError(t, err)
			execScript(t, file, src)
		})
	}
}

// evalExpr evaluates one Starlark expression with the binary module.
func evalExpr(t *testing.T, expr string) (starlark.Value, error) {
	t.Helper()
	thread := &starlark.Thread{Name: "expr"}
	return starlark.EvalOptions(scriptOptions, thread, "expr", expr, predeclared(t))
}

// TestErrorKinds checks that errors carry the Python exception class both in
// their text and as an *Error that errors.As finds through Starlark's
// EvalError.
func TestErrorKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expr, kind, msg string
	}{
		{`binary.pack(1)`, KindTypeError, "TypeError: binary.pack: for parameter fmt: got int, want string or bytes"},
		{`binary.pack()`, KindTypeError, "TypeError: binary.pack: missing argument for fmt"},
		{`binary.pack("<h", fmt="x")`, KindTypeError, "TypeError: binary.pack: unexpected keyword arguments"},
		{`binary.pack("<h", 70000)`, KindValueError, "ValueError: binary.pack: values[0]: 'h' format requires -32768 <= number <= 32767"},
		{`binary.pack("<f", 1e300)`, KindOverflowError, "OverflowError: binary.pack: values[0]: float too large to pack with f format"},
		{`binary.unpack("<q", b"abc")`, KindValueError, "ValueError: binary.unpack: unpack requires a buffer of 8 bytes (data has 3)"},
		{`binary.unpack("<q", "abcdefgh")`, KindTypeError, "TypeError: binary.unpack: for parameter data: got string, want bytes"},
		{`binary.calcsize("<z")`, KindValueError, "ValueError: binary.calcsize: bad char in struct format: 'z'"},
		{`binary.unhex("abc")`, KindValueError, "ValueError: binary.unhex: non-hexadecimal number found in argument at position 3"},
		{`binary.b64decode("Y")`, KindValueError, "ValueError: binary.b64decode: Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4"},
		{`binary.buffer(-1)`, KindValueError, "ValueError: binary.buffer: for parameter size: must be between 0 and 1073741824, got -1"},
		{`binary.buffer().take("x")`, KindTypeError, "TypeError: buffer.take: for parameter n: got string, want int"},
		{`binary.join(b",", [b"a", "b"])`, KindTypeError, "TypeError: binary.join: for parameter parts: element 1: got string, want bytes"},
	}
	for _, c := range cases {
		_, err := evalExpr(t, c.expr)
		if !assert.EqualError(t, err, c.msg, c.expr) {
			continue
		}
		var e *Error
		if assert.ErrorAsf(t, err, &e, "%s: error %T does not wrap *binary.Error", c.expr, err) {
			assert.Equal(t, c.kind, e.Kind, c.expr)
		}
	}
}

// TestNewModuleIsFresh checks that modules do not share state: freezing one
// leaves another usable.
func TestNewModuleIsFresh(t *testing.T) {
	t.Parallel()
	a, b := NewModule(), NewModule()
	require.NotSame(t, a, b, "NewModule returned the same module twice")
	require.Equal(t, "binary", a.Name, "module name")
	want := []string{"b64decode", "b64encode", "buffer", "calcsize", "find", "hex", "join", "pack", "split", "unhex", "unpack"}
	require.Equal(t, want, a.AttrNames(), "members")
	a.Freeze()
	b.Members["extra"] = starlark.None // b is a distinct, unfrozen module
	require.NotContains(t, a.Members, "extra", "modules share their members")
}
