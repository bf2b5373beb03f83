package tests

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// startEchoServer runs scripts/echo_server.star on a kernel-chosen port with
// net access to 127.0.0.1 only, and returns it with its port.
func startEchoServer(t *testing.T) (*process, int) {
	t.Helper()
	p := startScript(t, "run", "--allow-net=127.0.0.1", "scripts/echo_server.star", "0")
	return p, p.listenPort()
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

func TestEchoServerPythonSocket(t *testing.T) {
	server, port := startEchoServer(t)
	for _, size := range []int{0, 1, 100, 65535, 65536, 65537, 300_000, 1 << 20} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			out := runPython(t, pythonEchoOnce, strconv.Itoa(port), strconv.Itoa(size))
			if want := fmt.Sprintf("ok %d\n", size); out != want {
				t.Fatalf("python client printed %q, want %q", out, want)
			}
		})
	}
	if !server.running() {
		t.Fatalf("echo server exited: %s", server.stderr.String())
	}
	if out := server.stdout(); out != fmt.Sprintf("listening on 127.0.0.1:%d\n", port) {
		t.Errorf("echo server printed %q, want exactly the listening line", out)
	}
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

func TestEchoServerAsyncioConcurrentClients(t *testing.T) {
	_, port := startEchoServer(t)
	out := runPython(t, pythonAsyncioClients, strconv.Itoa(port), "50")
	if out != "ok 50\n" {
		t.Fatalf("python asyncio clients printed %q, want %q", out, "ok 50\n")
	}
}

func TestEchoServerSocat(t *testing.T) {
	_, port := startEchoServer(t)
	input := make([]byte, 256<<10)
	if _, err := rand.Read(input); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	// -t 30: after stdin's EOF, wait for the server's EOF (not socat's 0.5 s default).
	socat := exec.CommandContext(ctx, "socat", "-t", "30", "-", fmt.Sprintf("TCP:127.0.0.1:%d", port))
	socat.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	socat.Stderr = &stderr
	out, err := socat.Output()
	if err != nil {
		t.Fatalf("socat: %v\n%s", err, stderr.String())
	}
	if !bytes.Equal(out, input) {
		t.Fatalf("socat got %d bytes back for %d sent, or different bytes", len(out), len(input))
	}
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

func TestEchoClientAgainstAsyncioServer(t *testing.T) {
	server := startPython(t, pythonAsyncioEchoServer)
	port := strconv.Itoa(server.listenPort())

	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1:"+port,
		"scripts/echo_client.star", "127.0.0.1", port, "hello", "from", "starnet")
	if code != 0 {
		t.Fatalf("echo_client exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := "sent: hello from starnet\nreceived: hello from starnet\n"
	if stdout != want {
		t.Errorf("echo_client printed %q, want %q", stdout, want)
	}
	if got := server.waitLine("server got:"); got != "server got: hello from starnet" {
		t.Errorf("python server: %q", got)
	}
}

func TestEchoClientDefaultMessageAgainstEchoServer(t *testing.T) {
	_, port := startEchoServer(t)
	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1",
		"scripts/echo_client.star", "127.0.0.1", strconv.Itoa(port))
	if code != 0 {
		t.Fatalf("echo_client exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if want := "sent: Hello, starnet!\nreceived: Hello, starnet!\n"; stdout != want {
		t.Errorf("echo_client printed %q, want %q", stdout, want)
	}
}

// TestEchoServerNoDescriptorLeak makes 1,000 connections come and go, closed
// three ways (close, half-close then EOF, reset), and checks that the server
// ends with the descriptors it had before.
func TestEchoServerNoDescriptorLeak(t *testing.T) {
	server, port := startEchoServer(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	before := countFDs(t, server.pid())

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
		t.Error(err)
	}
	waitFDs(t, server.pid(), before)
	if !server.running() {
		t.Fatalf("echo server exited: %s", server.stderr.String())
	}
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

func TestCheckScripts(t *testing.T) {
	for _, script := range []string{"echo_server", "echo_client", "chat_server", "port_checker", "tcp_proxy"} {
		t.Run(script, func(t *testing.T) {
			code, stdout, stderr := runScript(t, "check", "scripts/"+script+".star")
			if code != 0 {
				t.Fatalf("starnet check exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if strings.Contains(stdout+stderr, "Traceback") {
				t.Errorf("check printed a traceback:\n%s%s", stdout, stderr)
			}
		})
	}
}
