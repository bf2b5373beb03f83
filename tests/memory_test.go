package tests

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The --max-memory tests run memory_server.star with a 64 MiB limit; its
// bombs grow in 1 MiB steps up to 2 GiB, so a watcher that failed to act
// shows as "survived" instead of exhausting the machine.
const memoryFlag = "--max-memory=64MiB"

// TestMaxMemoryCancelsTheCallback: a callback that allocates past
// --max-memory is cancelled with a MemoryError naming the flag and
// reported; its connection is closed, and the server and a bystander
// connection carry on.
func TestMaxMemoryCancelsTheCallback(t *testing.T) {
	t.Parallel()
	server := startScript(t, "run", "--allow-net=127.0.0.1", memoryFlag, "tests/testdata/memory_server.star")
	addr := listenAddr(t, server)
	bystander := dialEcho(t, addr)
	bystander.roundTrip("before\n")

	victim := dialEcho(t, addr)
	_, err := victim.conn.Write([]byte("bomb\n"))
	require.NoError(t, err)
	rest, _ := readAll(victim.conn)
	assert.Empty(t, string(rest), "what the bomb's connection got: the callback was not cancelled")
	assert.Equal(t, "connection_lost ScriptError", server.WaitLine("connection_lost "))

	bystander.roundTrip("after\n")
	dialEcho(t, addr).roundTrip("newcomer\n")
	require.True(t, server.Running(), "the server exited after the bomb was cancelled")
	stderr := stopAndStderr(t, server)
	assert.Contains(t, stderr, "Server.data_received() failed")
	assert.Contains(t, stderr, "Starlark computation cancelled: MemoryError: the heap passed --max-memory=64MiB")
	assert.NotContains(t, stderr, "stayed over")
}

// TestMaxMemoryHeldEndsTheRun: memory that a global still holds after the
// callback was cancelled ends the run: a message naming the flag and the
// figures, exit status 3.
func TestMaxMemoryHeldEndsTheRun(t *testing.T) {
	t.Parallel()
	server := startScript(t, "run", "--allow-net=127.0.0.1", memoryFlag, "tests/testdata/memory_server.star")
	addr := listenAddr(t, server)
	bystander := dialEcho(t, addr)
	bystander.roundTrip("before\n")

	holder := dialEcho(t, addr)
	_, err := holder.conn.Write([]byte("hold\n"))
	require.NoError(t, err)
	rest, _ := readAll(holder.conn)
	assert.Empty(t, string(rest), "what the holder's connection got: the callback was not cancelled")

	assert.Equal(t, 3, server.WaitExit(waitTimeout), "exit status")
	rest, _ = readAll(bystander.conn)
	assert.Empty(t, string(rest), "the bystander got data after the run ended")
	stderr := server.Stderr()
	assert.Contains(t, stderr, "Starlark computation cancelled: MemoryError: the heap passed --max-memory=64MiB")
	assert.Regexp(t, `starnet: MemoryError: the heap stayed over --max-memory=64MiB \([0-9.]+MiB in use after`, stderr)
}

// TestMaxMemoryUsageError: a bad --max-memory is a usage error (status 2)
// that names the flag.
func TestMaxMemoryUsageError(t *testing.T) {
	t.Parallel()
	code, _, stderr := runScript(t, "run", "--max-memory=lots", "tests/testdata/nothing.star")
	assert.Equal(t, 2, code, "exit status")
	assert.Contains(t, stderr, `starnet: run: --max-memory wants a size such as 512MiB, 2G or 1.5GiB (or 0 or none for no limit), got "lots"`)
}
