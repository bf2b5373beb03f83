package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMaxChildren: with --max-children=3, a script starting 5 children at
// once gets 3; the other two calls fail with BlockingIOError naming the
// flag, and those two children never ran (their marker files do not
// exist). --max-children=0 lifts the cap.
func TestMaxChildren(t *testing.T) {
	t.Parallel()
	refused := "BlockingIOError: [Errno 11] too many child processes: 3 are running, the limit; raise it with --max-children (Config.MaxChildren)"
	for _, tc := range []struct {
		flag    string
		started int
	}{{"--max-children=3", 3}, {"--max-children=0", 5}} {
		t.Run(tc.flag, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			code, out, stderr := runScript(t, "run", "--allow-run=sh", tc.flag, "tests/testdata/children.star", "5", dir)
			require.Equal(t, 0, code, "exit status; stdout:\n%s\nstderr:\n%s", out, stderr)
			var want []string
			for i := 0; i < 5; i++ {
				if i < tc.started {
					want = append(want, fmt.Sprintf("started %d", i))
				} else {
					want = append(want, fmt.Sprintf("refused %d: %s", i, refused))
				}
			}
			assert.Equal(t, strings.Join(want, "\n")+"\n", out)
			for i := 0; i < 5; i++ {
				_, err := os.Stat(filepath.Join(dir, fmt.Sprintf("m.%d", i)))
				if i < tc.started {
					assert.NoError(t, err, "child %d ran", i)
				} else {
					assert.True(t, os.IsNotExist(err), "child %d must not have run: %v", i, err)
				}
			}
		})
	}
}

// TestMaxChildrenDefault: without the flag, 256 children may run at once
// and the 257th is refused.
func TestMaxChildrenDefault(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, stderr := runScript(t, "run", "--allow-run=sh", "tests/testdata/children.star", "257", dir)
	require.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
	assert.Equal(t, 256, strings.Count(out, "started "), "output:\n%s", out)
	assert.Contains(t, out, "refused 256: BlockingIOError: [Errno 11] too many child processes: 256 are running")
	_, err := os.Stat(filepath.Join(dir, "m.256"))
	assert.True(t, os.IsNotExist(err), "the 257th child must not have run: %v", err)
}
