package tests

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startEchoServer runs scripts/echo_server.star on a kernel-chosen port with
// net access to 127.0.0.1 only, and returns it with its port.
func startEchoServer(t *testing.T) (*testkit.Process, int) {
	t.Helper()
	p := startScript(t, "run", "--allow-net=127.0.0.1", "scripts/echo_server.star", "0")
	return p, listenPort(t, p)
}

// pythonEchoOnce sends argv[2] random bytes on one connection from a sender
// thread, half-closes with shutdown(SHUT_WR), reads until EOF and checks
// that exactly the same bytes came back.
const pythonEchoOnce = `
import os, socket, sys, threading
port, size = int(sys.argv[1]), int(sys.argv[2])
data = os.urandom(size)
s = socket.create_connection(("127.0.0.1", port), timeout=30)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
sender = threading.Thread(target=send)
sender.start()
chunks = []
while True:
    b = s.recv(1 << 16)
    if not b:
        break
    chunks.append(b)
sender.join()
s.close()
got = b"".join(chunks)
if got != data:
    sys.exit("echo mismatch: sent %d bytes, got %d back" % (len(data), len(got)))
print("ok", len(got))
`

// TestEchoServerPythonSocket: scripts/echo_server.star echoes exactly what
// a python3 socket sends, for sizes around the read size, on connections
// at the same time, and prints nothing but its listening line.
func TestEchoServerPythonSocket(t *testing.T) {
	t.Parallel()
	server, port := startEchoServer(t)
	// The clients run at once; the group returns when all have finished.
	t.Run("sizes", func(t *testing.T) {
		for _, size := range []int{0, 1, 100, 65535, 65536, 65537, 300_000, 1 << 20} {
			t.Run(strconv.Itoa(size), func(t *testing.T) {
				t.Parallel()
				out := testkit.RunPython(t, pythonEchoOnce, strconv.Itoa(port), strconv.Itoa(size))
				require.Equal(t, fmt.Sprintf("ok %d\n", size), out, "what the python client printed")
			})
		}
	})
	require.True(t, server.Running(), "echo server exited")
	assert.Equal(t, fmt.Sprintf("listening on 127.0.0.1:%d\n", port), server.Stdout(), "the echo server must print exactly the listening line")
}

// pythonAsyncioClients opens argv[2] connections with asyncio streams, waits
// until all are open at once, then on each writes a different amount of
// random data in pieces, half-closes, and checks the echo.
const pythonAsyncioClients = `
import asyncio, os, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
async def one(i, all_open):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await all_open.wait()
    data = os.urandom(1000 + i * 4999)
    for k in range(0, len(data), 4096):
        writer.write(data[k:k + 4096])
        await writer.drain()
    writer.write_eof()
    got = await reader.read()
    writer.close()
    await writer.wait_closed()
    if got != data:
        raise AssertionError("connection %d: sent %d bytes, got %d back" % (i, len(data), len(got)))
async def main():
    all_open = asyncio.Barrier(n)
    await asyncio.wait_for(asyncio.gather(*(one(i, all_open) for i in range(n))), 60)
    print("ok", n)
asyncio.run(main())
`

// TestEchoServerAsyncioConcurrentClients: 50 asyncio stream clients open
// at once each get their own data back.
func TestEchoServerAsyncioConcurrentClients(t *testing.T) {
	t.Parallel()
	_, port := startEchoServer(t)
	out := testkit.RunPython(t, pythonAsyncioClients, strconv.Itoa(port), "50")
	require.Equal(t, "ok 50\n", out, "what the python asyncio clients printed")
}

// TestEchoServerSocat: 256 KiB of random bytes sent by socat come back
// unchanged, and the server's EOF follows socat's half-close.
func TestEchoServerSocat(t *testing.T) {
	t.Parallel()
	_, port := startEchoServer(t)
	input := randomBytes(t, 256<<10)
	// -t 30: after stdin's EOF, wait for the server's EOF (not socat's 0.5 s default).
	socat := testkit.StartTool(t, "socat", "-t", "30", "-", fmt.Sprintf("TCP:127.0.0.1:%d", port))
	writeAndClose(t, socat, input)
	out := socat.Wait(waitTimeout)
	require.True(t, out == string(input), "socat got %d bytes back for %d sent, or different bytes", len(out), len(input))
}

// writeAndClose writes data to p's stdin and closes it. (p's stdout is
// drained meanwhile, so a peer that echoes cannot block the write.)
func writeAndClose(t *testing.T, p *testkit.Process, data []byte) {
	t.Helper()
	_, err := p.Stdin.Write(data)
	require.NoError(t, err, "%s: writing stdin", p.Name())
	require.NoError(t, p.Stdin.Close(), "%s: closing stdin", p.Name())
}

// pythonAsyncioEchoServer is an asyncio echo server that prints its port,
// and what each connection sent once that connection half-closes.
const pythonAsyncioEchoServer = `
import asyncio
class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.received = b""
    def data_received(self, data):
        self.received += data
        self.transport.write(data)
    def eof_received(self):
        print("server got:", self.received.decode(), flush=True)
async def main():
    server = await asyncio.get_running_loop().create_server(Echo, "127.0.0.1", 0)
    print("listening on 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
`

// TestEchoClientAgainstAsyncioServer: scripts/echo_client.star (streams)
// and echo_client_protocol.star (a protocol) against an asyncio echo
// server, allowed exactly that server's port: each sends its arguments,
// gets them back and half-closes.
func TestEchoClientAgainstAsyncioServer(t *testing.T) {
	t.Parallel()
	for _, script := range []string{"scripts/echo_client.star", "scripts/echo_client_protocol.star"} {
		t.Run(script, func(t *testing.T) {
			t.Parallel()
			server := testkit.StartPython(t, pythonAsyncioEchoServer)
			port := strconv.Itoa(listenPort(t, server))

			code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1:"+port,
				script, "127.0.0.1", port, "hello", "from", "starnet")
			require.Equal(t, 0, code, "echo_client's exit status\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
			assert.Equal(t, "sent: hello from starnet\nreceived: hello from starnet\n", stdout, "what echo_client printed")
			assert.Equal(t, "server got: hello from starnet", server.WaitLine("server got:"), "what the python server printed")
		})
	}
}

// TestEchoClientDefaultMessageAgainstEchoServer: without a message
// argument echo_client.star sends its default one.
func TestEchoClientDefaultMessageAgainstEchoServer(t *testing.T) {
	t.Parallel()
	_, port := startEchoServer(t)
	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1",
		"scripts/echo_client.star", "127.0.0.1", strconv.Itoa(port))
	require.Equal(t, 0, code, "echo_client's exit status\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Equal(t, "sent: Hello, starnet!\nreceived: Hello, starnet!\n", stdout, "what echo_client printed")
}

// TestEchoServerNoDescriptorLeak makes 1,000 connections come and go, closed
// three ways (close, half-close then EOF, reset), and checks that the server
// ends with the descriptors it had before. It counts descriptors: not
// parallel.
func TestEchoServerNoDescriptorLeak(t *testing.T) {
	server, port := startEchoServer(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	before := countFDs(t, server.Pid())

	const workers, perWorker = 20, 50
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				if err := echoOnceAndClose(addr, (w*perWorker+i)%3); err != nil {
					errs <- fmt.Errorf("worker %d connection %d: %w", w, i, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	waitFDs(t, server.Pid(), before)
	require.True(t, server.Running(), "echo server exited")
}

// echoOnceAndClose checks one echo on a new connection, then closes it:
// how 0 = close, 1 = half-close and wait for the server's EOF, 2 = reset.
func echoOnceAndClose(addr string, how int) error {
	c, err := net.DialTimeout("tcp", addr, waitTimeout)
	if err != nil {
		return err
	}
	conn := c.(*net.TCPConn)
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(waitTimeout)); err != nil {
		return err
	}
	msg := []byte("ping\n")
	if _, err := conn.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, got); err != nil {
		return fmt.Errorf("read echo: %w", err)
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("echo %q, want %q", got, msg)
	}
	switch how {
	case 1:
		if err := conn.CloseWrite(); err != nil {
			return err
		}
		rest, err := readAll(conn)
		if err != nil || len(rest) != 0 {
			return fmt.Errorf("after half-close: %q, %v; want EOF", rest, err)
		}
	case 2:
		if err := conn.SetLinger(0); err != nil {
			return err
		}
	}
	return nil
}

// readAll reads until EOF.
func readAll(c net.Conn) ([]byte, error) {
	var out bytes.Buffer
	_, err := out.ReadFrom(c)
	return out.Bytes(), err
}
