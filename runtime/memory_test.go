package runtime

import (
	"context"
	"errors"
	"io"
	"net"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of the memory watcher change process-wide state (the soft
// memory limit, the heap every test shares), so none of them is parallel.

// testMemoryLimit is low enough that the bombs pass it at once, and high
// enough above the test binary's own heap.
const testMemoryLimit = 64 << 20

// memoryScript is a server whose bombs grow in 1 MiB steps up to 2 GiB (and
// then say "survived"): "bomb" into a local list, "hold" into a global one
// that holds 96 MiB from its first step, so that it stays over the limit
// however far the bomb got when it was cancelled.
const memoryScript = `
held = []

def grow(into):
    for _ in range(2048):
        into.append("x" * (1 << 20))

def connection_made(self, transport):
    self.transport = transport

def data_received(self, data):
    if b"bomb" in data:
        grow([])
        self.transport.write(b"survived\n")
    elif b"hold" in data:
        held.extend(range(6 << 20))  # 96 MiB in one builtin call: nothing can cancel it half-way
        grow(held)
        self.transport.write(b"survived\n")
    else:
        self.transport.write(data)

Server = protocol("Server", connection_made = connection_made, data_received = data_received)
`

// keepSoftLimit checks, when the test ends, that the soft memory limit is
// back where it was.
func keepSoftLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		if now := debug.SetMemoryLimit(-1); now != before {
			t.Errorf("soft memory limit %d after the test, want %d as before", now, before)
			debug.SetMemoryLimit(before)
		}
	})
}

// memoryServer starts a runtime with a testMemoryLimit serving memoryScript
// on a loopback port, and returns it with the port's address.
func memoryServer(t *testing.T, loops int) (*Runtime, string, func() error, <-chan error, interface{ String() string }) {
	keepSoftLimit(t)
	rt, _, stderr := newTestRuntime(t, Config{MaxMemory: testMemoryLimit, Loops: loops})
	mod := mustExec(t, rt, "memory.star", memoryScript)
	factory, err := mod.ProtocolFactory("Server")
	require.NoError(t, err)
	ln, err := rt.Listen("tcp", "127.0.0.1:0", factory)
	require.NoError(t, err)
	stop, done := startRun(t, rt)
	return rt, ln.Addr().String(), stop, done, stderr
}

// dialLine connects to addr; lineTrip then sends a line and reads it back.
func dialLine(t *testing.T, addr string) net.Conn {
	conn, err := net.DialTimeout("tcp", addr, testTimeout)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(testTimeout)))
	return conn
}

func lineTrip(t *testing.T, conn net.Conn, msg string) {
	t.Helper()
	_, err := conn.Write([]byte(msg))
	require.NoError(t, err)
	require.Equal(t, msg, readPrefix(t, conn, len(msg)))
}

// TestMaxMemoryCancelsRunningCallback: a callback that allocates past
// MaxMemory is cancelled with a MemoryError naming the flag, reported, and
// its connection closed; the bystander connection and the run carry on.
func TestMaxMemoryCancelsRunningCallback(t *testing.T) {
	_, addr, stop, _, stderr := memoryServer(t, 1)
	bystander := dialLine(t, addr)
	lineTrip(t, bystander, "before\n")

	victim := dialLine(t, addr)
	_, err := victim.Write([]byte("bomb\n"))
	require.NoError(t, err)
	rest, err := io.ReadAll(victim)
	assert.NoError(t, err, "the bomb's connection should be closed")
	assert.Empty(t, string(rest), "the bomb was not cancelled")

	lineTrip(t, bystander, "after\n")
	lineTrip(t, dialLine(t, addr), "newcomer\n")
	require.NoError(t, stop(), "Run after the bomb")
	assert.Contains(t, stderr.String(), "Server.data_received() failed")
	assert.Contains(t, stderr.String(), "Starlark computation cancelled: MemoryError: the heap passed --max-memory=64MiB (")
}

// TestMaxMemoryHeldEndsRun: when the memory stays held by a global after
// the callback was cancelled, the runtime is closed and Run returns a
// *MemoryError with the figures; with two loops both end.
func TestMaxMemoryHeldEndsRun(t *testing.T) {
	rt, addr, _, done, stderr := memoryServer(t, 2)
	holder := dialLine(t, addr)
	_, err := holder.Write([]byte("hold\n"))
	require.NoError(t, err)
	err = waitRun(t, done)
	var mem *MemoryError
	require.True(t, errors.As(err, &mem), "Run returned %v, want a *MemoryError", err)
	assert.Equal(t, uint64(testMemoryLimit), mem.Limit)
	assert.Greater(t, mem.Heap, uint64(testMemoryLimit))
	assert.Contains(t, err.Error(), "MemoryError: the heap stayed over --max-memory=64MiB (")
	assert.Contains(t, stderr.String(), "Starlark computation cancelled: MemoryError: the heap passed --max-memory=64MiB")
	rest, _ := io.ReadAll(holder)
	assert.Empty(t, string(rest), "the holder was not cancelled")
	_, err = rt.Exec("after.star", []byte("x = 1"))
	assert.ErrorIs(t, err, ErrClosed, "Exec after the runtime ended for memory")
	assert.ErrorIs(t, rt.Run(context.Background()), ErrClosed)
}

// TestMaxMemoryTopLevel: a top level that allocates past MaxMemory fails
// with the MemoryError; the runtime stays usable.
func TestMaxMemoryTopLevel(t *testing.T) {
	keepSoftLimit(t)
	rt, _, _ := newTestRuntime(t, Config{MaxMemory: testMemoryLimit})
	_, err := rt.Exec("bomb.star", []byte(`
def bomb():
    local = []
    for _ in range(2048):
        local.append("x" * (1 << 20))
bomb()
`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Starlark computation cancelled: MemoryError: the heap passed --max-memory=64MiB")
	mod := mustExec(t, rt, "fine.star", "x = 1")
	assert.Equal(t, "1", mod.Globals()["x"].String())
}

// TestNoMemoryLimit: NoMemoryLimit starts no watcher and leaves the soft
// limit alone.
func TestNoMemoryLimit(t *testing.T) {
	keepSoftLimit(t)
	before := debug.SetMemoryLimit(-1)
	rt, _, _ := newTestRuntime(t, Config{MaxMemory: NoMemoryLimit})
	assert.Nil(t, rt.mem)
	rt2, _, _ := newTestRuntime(t, Config{MaxMemory: testMemoryLimit})
	rt2.mem.hold()
	assert.Equal(t, int64(testMemoryLimit), debug.SetMemoryLimit(-1), "soft limit while scripts run")
	rt2.mem.release()
	assert.Equal(t, before, debug.SetMemoryLimit(-1), "soft limit after")
}

// TestDefaultMaxMemory: 0 means half of the memory the machine (or its
// cgroup) gives the process; sizes format as --max-memory takes them.
func TestDefaultMaxMemory(t *testing.T) {
	t.Parallel()
	if total := availableMemory(); total > 0 {
		assert.Equal(t, total/2, DefaultMaxMemory())
	} else {
		assert.Equal(t, uint64(FallbackMaxMemory), DefaultMaxMemory())
	}
	assert.Equal(t, DefaultMaxMemory(), Config{}.memoryLimit())
	assert.Equal(t, uint64(0), Config{MaxMemory: NoMemoryLimit}.memoryLimit())
	for n, want := range map[uint64]string{1000: "1000B", 1 << 20: "1MiB", 64 << 20: "64MiB", 3 << 29: "1.5GiB", 1536: "1.5KiB"} {
		assert.Equal(t, want, FormatMemorySize(n))
	}
}
