package tests

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The budgets of docs/API.md §1 ("What the sandbox promises"): what a
// script that schedules without end, or opens more than the process may
// hold, runs into. Each ends in a documented limit, never a crash.

// TestBudgetCallbackFlood: a callback that calls call_soon without end is
// cancelled by --max-memory with a message naming the flag.
func TestBudgetCallbackFlood(t *testing.T) {
	t.Parallel()
	code, _, stderr := runScript(t, "run", memoryFlag, "tests/testdata/flood.star", "callbacks")
	assert.Contains(t, stderr, "Exception in callback flood_callbacks() at tests/testdata/flood.star:13")
	assert.Contains(t, stderr, "Starlark computation cancelled: MemoryError: the heap passed --max-memory=64MiB")
	// The callbacks it scheduled before it was cancelled are a bounded
	// number; they run, the memory is given back (no status 3), and the run
	// ends with the status of a run whose callback failed.
	assert.Equal(t, 1, code, "exit status; stderr:\n%s", stderr)
}

// TestBudgetTimers: 10,000 timers at once all fire.
func TestBudgetTimers(t *testing.T) {
	t.Parallel()
	code, out, stderr := runScript(t, "run", "tests/testdata/flood.star", "timers", "10000")
	require.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
	assert.Equal(t, "fired 10000\n", out)
}

// holdServer accepts every connection and holds it until the client
// closes it; it prints its port.
const holdServer = `
import asyncio, resource
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
async def hold(reader, writer):
    await reader.read()
    writer.close()
async def main():
    server = await asyncio.start_server(hold, "127.0.0.1", 0, backlog=2048)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
`

// TestBudgetConnections: 1,000 connections at once under a descriptor limit
// of 256: the ones past the limit fail with "Too many open files" (EMFILE)
// and nothing else happens; the run ends normally.
func TestBudgetConnections(t *testing.T) {
	t.Parallel()
	const n = 1000
	server := testkit.StartPython(t, holdServer)
	port := server.ReadLine()
	cmd := exec.Command("sh", "-c", `ulimit -n 256 && exec "$0" "$@"`, starnetBin,
		"run", "--allow-net=127.0.0.1", "tests/testdata/flood.star", "connect", strconv.Itoa(n), port)
	cmd.Dir = ".."
	p := testkit.Start(t, "starnet under ulimit -n 256", cmd)
	code := p.WaitExit(waitTimeout)
	out, stderr := p.Stdout(), p.Stderr()
	require.Equal(t, 0, code, "exit status; stdout:\n%s\nstderr:\n%s", out, stderr)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.NotEmpty(t, lines)
	var made, failed int
	_, err := fmt.Sscanf(lines[0], "made %d", &made)
	require.NoError(t, err, "first line %q", lines[0])
	assert.Greater(t, made, 50, "some connections must be made")
	assert.Less(t, made, n, "the descriptor limit must be reached")
	for _, line := range lines[1:] {
		var k int
		var rest string
		_, err := fmt.Sscanf(line, "failed %d: %s", &k, &rest)
		require.NoError(t, err, "line %q", line)
		assert.Contains(t, line, "[Errno 24] Too many open files", "a failure other than EMFILE")
		failed += k
	}
	assert.Equal(t, n, made+failed, "every connection was made or failed; output:\n%s", out)
}
