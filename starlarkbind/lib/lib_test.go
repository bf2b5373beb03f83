package lib

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/starlarktest"
	"go.starlark.net/syntax"
)

// TestStarlarkFiles runs testdata/*.star, each with the library's modules
// and go.starlark.net's assert module predeclared.
func TestStarlarkFiles(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.star")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			runStarFile(t, file)
		})
	}
}

func runStarFile(t *testing.T, file string) {
	src, err := os.ReadFile(file)
	require.NoError(t, err)
	predeclared := Modules(Options{})
	assert, err := starlarktest.LoadAssertModule()
	require.NoError(t, err)
	predeclared["assert"] = assert["assert"]
	predeclared["freeze"] = assert["freeze"]
	predeclared["struct"] = starlark.NewBuiltin("struct", starlarkstruct.Make)
	thread := &starlark.Thread{Name: file}
	starlarktest.SetReporter(thread, t)
	opts := &syntax.FileOptions{While: true, Set: true, TopLevelControl: true, GlobalReassign: true, Recursion: true}
	if _, err := starlark.ExecFileOptions(opts, thread, file, src, predeclared); err != nil {
		if ee, ok := err.(*starlark.EvalError); ok {
			t.Fatal(ee.Backtrace())
		}
		t.Fatal(err)
	}
}

// moduleOf makes a module of members, for tests.
func moduleOf(name string, members starlark.StringDict) *starlarkstruct.Module {
	return &starlarkstruct.Module{Name: name, Members: members}
}
