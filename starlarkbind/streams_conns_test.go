package starlarkbind

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(ents)
}

// settles polls, until a deadline, for count() to come back to at most
// start, and returns the last count: goroutines and descriptors end a
// little after the loop is done with them (a goroutine returning, a
// test peer's pipes), not at a moment anything signals.
func settles(start int, count func() int) int {
	deadline := time.Now().Add(10 * time.Second)
	n := count()
	for n > start && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(time.Millisecond) // polling, not waiting for an event
		n = count()
	}
	return n
}

// TestStreamConnectionsLeaveNothing: 1,000 connections come and go
// through start_server, 50 at a time, each served by a handler task and
// opened by a client task of the same script; once the server is closed
// and the loop is idle, no goroutine (a task's) and no file descriptor is
// left. (Not parallel: it counts the process's goroutines and fds.)
func TestStreamConnectionsLeaveNothing(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("SKIP: no /proc/self/fd on this system")
	}
	te := newTaskEnv(t, Options{Permissions: allowLocal, MaxSteps: 100_000_000})
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)
	g := te.exec(`
N = 1000
served = []

def handle(reader, writer):
    line = wait(reader.readline())
    writer.write(b"> " + line)
    wait(writer.drain())
    served.append(1)
    writer.close()
    wait(writer.wait_closed())

srv = wait(loop.start_server(handle, "127.0.0.1", 0))
port = srv.sockets[0].getsockname()[1]
sem = loop.Semaphore(50)

def client(i):
    wait(sem.acquire())
    reader, writer = wait(loop.open_connection("127.0.0.1", port))
    writer.write(str(i) + "\n")
    got = wait(reader.readline())
    rest = wait(reader.read())
    writer.close()
    wait(writer.wait_closed())
    sem.release()
    return got == bytes("> %d\n" % i) and rest == b""

all_ok = all(wait(loop.gather(*[loop.create_task(client, i) for i in range(N)])))
srv.close()
wait(srv.wait_closed())
`)
	te.run()
	assert.Equal(t, 1000, g["served"].(*starlark.List).Len(), "handlers done")
	assert.Equal(t, starlark.True, g["all_ok"], "every client got its echo, then EOF")
	require.Equal(t, 0, te.e.PendingTasks(), "tasks left")
	assert.Zero(t, te.e.OpenTransports(), "transports left")
	assert.LessOrEqual(t, settles(goroutines, runtime.NumGoroutine), goroutines, "goroutines left")
	assert.LessOrEqual(t, settles(fds, func() int { return openFDs(t) }), fds, "file descriptors left")
	assert.Empty(t, te.stderr.String(), "reports")
}
