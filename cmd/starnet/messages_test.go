package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites the .out files of TestMessages with what starnet prints
// (go test -run TestMessages -update ./cmd/starnet); review the diff.
var update = flag.Bool("update", false, "rewrite testdata/*/*.out")

// TestMessages: what a user sees for each mistake of
// docs/starlark-for-asyncio-users.md, through the CLI. Each
// testdata/messages/NAME.star (for `starnet run`) and
// testdata/check/NAME.star (for `starnet check`) starts with the command
// line that runs it, as a comment ("# starnet run --max-steps=1000
// NAME.star"), run in that folder; NAME.out holds the exact exit status
// ("exit 1") and stderr.
func TestMessages(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"testdata/messages", "testdata/check"} {
		scripts, err := filepath.Glob(filepath.Join(dir, "*.star"))
		require.NoError(t, err)
		require.NotEmpty(t, scripts, dir)
		for _, path := range scripts {
			name := strings.TrimSuffix(path, ".star")
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				got := runMessageScript(t, path)
				if *update {
					require.NoError(t, os.WriteFile(name+".out", []byte(got), 0o644))
					return
				}
				want, err := os.ReadFile(name + ".out")
				require.NoError(t, err, "no %s.out: run go test -run TestMessages -update", name)
				assert.Equal(t, string(want), got)
			})
		}
	}
}

// runMessageScript runs the command line on the first line of path in
// path's folder and returns "exit N\n" followed by its stderr.
func runMessageScript(t *testing.T, path string) string {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	first, _, _ := strings.Cut(string(src), "\n")
	cmdline, ok := strings.CutPrefix(first, "# starnet ")
	require.True(t, ok, "%s: the first line is not \"# starnet ...\"", path)
	cmd := exec.Command(starnetBin, strings.Fields(cmdline)...)
	cmd.Dir = filepath.Dir(path)
	p := testkit.Start(t, "starnet "+cmdline, cmd)
	code := p.WaitExit(testTimeout)
	return "exit " + strconv.Itoa(code) + "\n" + p.Stderr()
}
