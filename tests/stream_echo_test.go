package tests

import (
	"strconv"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/require"
)

// pythonLineEchoCheck sends lines in pieces from several connections at once
// (a line split across writes, several lines in one write, a last line with
// no newline) and checks that each comes back whole and in order.
const pythonLineEchoCheck = `
import socket, sys
port = int(sys.argv[1])
socks = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(10)]
for i, s in enumerate(socks):
    s.sendall(b"hel")
    s.sendall(b"lo %d\nsecond\nthi" % i)
    s.sendall(b"rd" + b"x" * 60000 + b"\nlast")
    s.shutdown(socket.SHUT_WR)
for i, s in enumerate(socks):
    want = b"hello %d\nsecond\nthird" % i + b"x" * 60000 + b"\nlast"
    got = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    assert got == want, (len(got), got[:40])
print("ok")
`

// TestStreamEchoServerPython: scripts/stream_echo_server.star echoes every
// line, whole and in order, to a Python client, then closes at EOF.
func TestStreamEchoServerPython(t *testing.T) {
	t.Parallel()
	p := startScript(t, "run", "--allow-net=127.0.0.1", "scripts/stream_echo_server.star", "0")
	port := listenPort(t, p)
	require.Equal(t, "ok\n", testkit.RunPython(t, pythonLineEchoCheck, strconv.Itoa(port)), "what the python client printed")
	require.True(t, p.Running(), "server exited")
}
