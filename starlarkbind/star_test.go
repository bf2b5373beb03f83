package starlarkbind

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestStarlarkFiles runs testdata/*.star with the starlarktest assert
// module, then runs the loop until it is idle. A file may not leave reports
// on stderr unless it says "# stderr-ok".
func TestStarlarkFiles(t *testing.T) {
	t.Parallel()
	runStarFiles(t, "testdata/*.star", func(string) Permissions { return allowLocal }, false)
}

// runStarFiles runs each file matching glob as a parallel subtest: with the
// permissions perms gives for the subtest's temporary directory (predeclared
// as tmpdir), the loop run until idle, no reports on stderr unless the file
// says "# stderr-ok", and, if checkClosed, no transport left open.
func runStarFiles(t *testing.T, glob string, perms func(tmp string) Permissions, checkClosed bool) {
	t.Helper()
	files, err := filepath.Glob(glob)
	require.NoError(t, err)
	require.NotEmpty(t, files, "no %s", glob)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			require.NoError(t, err)
			tmp := t.TempDir()
			te := newTestEnv(t, Options{Permissions: perms(tmp), MaxSteps: 10_000_000})
			te.e.Predeclare("tmpdir", starlark.String(tmp))
			if _, err := te.e.Exec(file, src); err != nil {
				t.Fatalf("%s\nstderr:\n%s", backtrace(err), te.stderr)
			}
			te.run()
			if !strings.Contains(string(src), "# stderr-ok") {
				assert.Empty(t, te.stderr.String(), "unexpected reports on stderr")
			}
			if checkClosed {
				assert.Zero(t, te.e.OpenTransports(), "transports still open after the loop ran out of work")
			}
		})
	}
}
