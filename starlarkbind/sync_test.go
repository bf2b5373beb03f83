package starlarkbind

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSyncWithTasks runs testdata/tasks/*.star, scripts that use tasks and
// the predeclared catch (which the test helper's catch would shadow), then
// runs the loop until it is idle; nothing may be reported on stderr.
func TestSyncWithTasks(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/tasks/*.star")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			src, err := os.ReadFile(file)
			require.NoError(t, err)
			te := newTaskEnv(t, Options{Permissions: allowLocal, MaxSteps: 10_000_000})
			if _, err := te.e.Exec(file, src); err != nil {
				t.Fatalf("%s\nstderr:\n%s", backtrace(err), te.stderr)
			}
			te.run()
			assert.Empty(t, te.stderr.String(), "unexpected reports on stderr")
		})
	}
}

// TestAsCompletedTimeoutNotReported: the turns of as_completed that time
// out without being waited for are not reported as never retrieved
// (asyncio would not have made them), but an error handed to a turn nobody
// read is.
func TestAsCompletedTimeoutNotReported(t *testing.T) {
	t.Parallel()
	te := newTaskEnv(t, Options{})
	te.exec(`
order = loop.as_completed([loop.create_future(), loop.create_future()], timeout = 0)
failed = loop.create_future()
failed.set_exception(error("ValueError", "unread"))
unread = loop.as_completed([failed])
`)
	te.run()
	assert.Equal(t, 1, te.l.ReportUnretrieved(), "reports: %s", te.stderr)
	assert.Contains(t, te.stderr.String(), "ValueError: unread")
	assert.NotContains(t, te.stderr.String(), "TimeoutError")
}
