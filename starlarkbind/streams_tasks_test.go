package starlarkbind

import (
	"io"
	"strconv"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// TestStreamEOFMidLineInTask: a handler task reads lines from a python
// client that ends its last line without a newline and half-closes:
// readline returns the partial line, then b"", and readexactly fails with
// IncompleteReadError carrying partial and expected.
func TestStreamEOFMidLineInTask(t *testing.T) {
	t.Parallel()
	te := newTaskEnv(t, Options{Permissions: allowLocal})
	g := te.exec(`
events = []

def handle(reader, writer):
    for _ in range(3):
        events.append(wait(reader.readline()))
    events.append(reader.at_eof())
    _, err = catch(wait, reader.readexactly(2))
    events.append((err.kind, err.partial, err.expected))
    _, err = catch(wait, reader.readuntil(b"\r\n"))
    events.append((err.kind, err.partial, err.expected))
    writer.write(b"bye")
    writer.close()
    srv.close()

srv = wait(loop.start_server(handle, "127.0.0.1", 0))
`)
	py := testkit.StartPython(t, `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(b"one\ntw")
s.sendall(b"o")
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(100)
    if not d:
        break
    got += d
print(got.decode())
`, itoa(te.serverPort(g, "srv")))
	te.run()
	assert.Equal(t, "bye", waitPython(t, py))
	assert.Equal(t, `[b"one\n", b"two", b"", True, ("IncompleteReadError", b"", 2), ("IncompleteReadError", b"", None)]`, g["events"].String())
	assert.Empty(t, te.stderr.String(), "reports")
}

// pyReadWhenTold accepts one connection, reads nothing until a line comes
// on stdin, then reads to EOF and prints the byte count.
const pyReadWhenTold = `
import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
sys.stdin.readline()
n = 0
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    n += len(d)
print(n, flush=True)
`

// TestStreamDrainInTask: a task writes 16 MiB in 64 KiB chunks with
// wait(writer.drain()) after each to a peer that reads nothing until the
// task first waits in drain: the write buffer stays within the high-water
// mark and a chunk, and every byte arrives.
func TestStreamDrainInTask(t *testing.T) {
	t.Parallel()
	te := newTaskEnv(t, Options{Permissions: allowLocal, MaxSteps: 100_000_000})
	py := testkit.StartPython(t, pyReadWhenTold)
	port, err := strconv.Atoi(py.ReadLine())
	require.NoError(t, err)
	te.e.Predeclare("PORT", starlark.MakeInt(port))
	te.e.Predeclare("let_peer_read", starlark.NewBuiltin("let_peer_read", func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
		_, err := io.WriteString(py.Stdin, "read\n")
		return starlark.None, err
	}))
	g := te.exec(`
def send():
    reader, writer = wait(loop.open_connection("127.0.0.1", PORT))
    chunk = b"0123456789abcdef" * 4096
    waits, biggest = 0, 0
    for _ in range(256):
        writer.write(chunk)
        biggest = max(biggest, writer.transport.get_write_buffer_size())
        d = writer.drain()
        if not d.done():
            waits += 1
            if waits == 1:
                let_peer_read()
        wait(d)
    writer.close()
    wait(writer.wait_closed())
    return (len(chunk), waits > 0, biggest <= writer.transport.get_write_buffer_limits()[1] + len(chunk))

result = wait(loop.create_task(send))
`)
	te.run()
	assert.Equal(t, "(65536, True, True)", g["result"].String())
	assert.Equal(t, []string{itoa(port), itoa(16 << 20)}, lines(waitPython(t, py)))
	assert.Empty(t, te.stderr.String(), "reports")
}
