package starlarkbind

import (
	"runtime/debug"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pyBulk sends argv[2] MiB (random bytes if argv[3] is "random", else a
// pattern) in 1 MiB writes without reading (so that the server's reads are
// large), half-closes, then reads everything back and checks it.
const pyBulk = `
import os, socket, sys, threading
port, mib = int(sys.argv[1]), int(sys.argv[2])
c = socket.create_connection(("127.0.0.1", port), timeout=30)
if sys.argv[3] == "random":
    data = os.urandom(mib << 20)
else:
    data = bytes((i * 31 + i // 4096) % 251 for i in range(mib << 20))
def send():
    for i in range(0, len(data), 1 << 20):
        c.sendall(data[i:i + (1 << 20)])
    c.shutdown(socket.SHUT_WR)
th = threading.Thread(target=send)
th.start()
got = bytearray()
while True:
    chunk = c.recv(1 << 20)
    if not chunk:
        break
    got += chunk
th.join()
assert len(got) == len(data), (len(got), len(data))
assert bytes(got) == data, "echo mismatch"
print("ok")
`

// keepAndEchoAtEOF is a script: a server whose protocol keeps every bytes
// value a stream delivers (through keep(data)) and writes them back (through
// echo(transport)) only at EOF, then closes the server.
const keepAndEchoAtEOF = `
def connection_made(self, transport):
    self.transport = transport
def data_received(self, data):
    keep(data)
def eof_received(self):
    echo(self.transport)
    srv.close()
Keep = protocol("Keep", connection_made = connection_made, data_received = data_received,
                eof_received = eof_received)
srv = loop.run_until_complete(loop.create_server(Keep, "127.0.0.1", 0))
`

// TestBulkReadsKeepEveryByte keeps every bytes value a stream delivers and
// writes them all back only at EOF: a value sharing memory with the read
// buffer would corrupt the echo.
func TestBulkReadsKeepEveryByte(t *testing.T) {
	t.Parallel()
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 10_000_000})
	g := te.exec(`
chunks = []
def keep(data):
    chunks.append(data)
def echo(t):
    for c in chunks:
        t.write(c)
` + keepAndEchoAtEOF)
	py := testkit.StartPython(t, pyBulk, itoa(te.serverPort(g, "srv")), "8", "pattern")
	te.run()
	require.Equal(t, "ok", waitPython(t, py), "client")
}

// TestKeptSlicesSurviveCollections keeps, of every value a stream
// delivers, its first byte and the rest as two slices (which share the
// value's memory), with collections made frequent, and past the arena's
// bound on live chunks; at EOF it writes the pieces back in order. (Not
// parallel: it changes the GC percentage.)
func TestKeptSlicesSurviveCollections(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	te := newTestEnv(t, Options{Permissions: allowLocal, MaxSteps: 100_000_000})
	g := te.exec(`
heads = []
tails = []
def keep(data):
    heads.append(data[:1])
    tails.append(data[1:])
def echo(t):
    for i in range(len(heads)):
        t.write(heads[i])
        t.write(tails[i])
` + keepAndEchoAtEOF)
	// 24 MiB: more than the receive arena's bound on live chunks.
	py := testkit.StartPython(t, pyBulk, itoa(te.serverPort(g, "srv")), "24", "random")
	te.run()
	require.Equal(t, "ok", waitPython(t, py), "client")
	assert.LessOrEqual(t, len(te.e.recvArena().chunks), recvMaxLiveChunks, "chunks the arena tracks")
}
