package starlarkbind

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/transports"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// pingClient is a Go protocol that sends a 64-byte message, waits for all
// of it to come back, and repeats n times; then it resolves done.
type pingClient struct {
	t    transports.Transport
	msg  []byte
	got  int
	left int
	done *loop.Future
}

func (c *pingClient) ConnectionMade(t transports.BaseTransport) { c.t = t.(transports.Transport) }
func (c *pingClient) ConnectionLost(error)                      {}
func (c *pingClient) PauseWriting()                             {}
func (c *pingClient) ResumeWriting()                            {}
func (c *pingClient) EOFReceived() bool                         { return false }

func (c *pingClient) DataReceived(d []byte) {
	c.got += len(d)
	if c.got < len(c.msg) {
		return
	}
	c.got = 0
	c.left--
	if c.left <= 0 {
		_ = c.done.SetResult(nil)
		return
	}
	_ = c.t.Write(c.msg)
}

const starlarkEcho = `
def connection_made(self, transport):
    self.transport = transport

def data_received(self, data):
    self.transport.write(data)

Echo = protocol("Echo", connection_made = connection_made, data_received = data_received)
srv = loop.run_until_complete(loop.create_server(Echo, "127.0.0.1", 0))
`

const goEchoServer = `
srv = loop.run_until_complete(loop.create_server(go_echo, "127.0.0.1", 0))
`

func benchEcho(b *testing.B, src string) {
	te := newTestEnv(b, Options{Permissions: allowLocal, MaxSteps: 100_000_000})
	te.e.Predeclare("go_echo", GoFactory(func() (transports.BaseProtocol, error) { return &goEcho{}, nil }))
	g := te.exec(src)
	client := &pingClient{msg: make([]byte, 64), left: b.N, done: te.l.NewFuture()}
	conn := transports.CreateConnection(te.l, func() (transports.BaseProtocol, error) { return client, nil }, "127.0.0.1", te.serverPort(g, "srv"), transports.DialOptions{})
	_, err := te.l.RunUntilComplete(conn)
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	user := userCPU()
	_ = client.t.Write(client.msg)
	_, err = te.l.RunUntilComplete(client.done)
	require.NoError(b, err)
	b.StopTimer()
	b.ReportMetric(float64(userCPU()-user)/float64(b.N), "user-ns/op")
	client.t.Close()
	te.e.Shutdown(false)
	te.run()
}

// userCPU returns the process's user CPU time in nanoseconds: the echo
// benchmarks report it per round trip (user-ns/op), the part of the cost
// that is starnet's own rather than the kernel's, and steadier than the
// elapsed time on a shared machine.
func userCPU() int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano()
}

// BenchmarkStarlarkEcho is one 64-byte round trip through a Starlark echo
// protocol (the client is a Go protocol on the same loop).
func BenchmarkStarlarkEcho(b *testing.B) { benchEcho(b, starlarkEcho) }

// BenchmarkGoEcho is the same with a Go echo protocol: the baseline.
func BenchmarkGoEcho(b *testing.B) { benchEcho(b, goEchoServer) }

// BenchmarkAdapterDataReceived is the adapter's own cost: one
// data_received(data) call into a protocol instance method (64 bytes), no
// socket.
func BenchmarkAdapterDataReceived(b *testing.B) { benchDataReceived(b, 64) }

// BenchmarkAdapterDataReceived4K is the same with 4 KiB reads.
func BenchmarkAdapterDataReceived4K(b *testing.B) { benchDataReceived(b, 4096) }

func benchDataReceived(b *testing.B, size int) {
	te := newTestEnv(b, Options{MaxSteps: 100_000_000})
	g := te.exec(`
def data_received(self, data):
    self.n += len(data)
Counter = protocol("Counter", data_received = data_received)
c = Counter(n = 0)
`)
	a := newAdapter(te.e, g["c"]).(*streamAdapter)
	data := make([]byte, size)
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.DataReceived(data)
	}
	b.StopTimer()
	n, _ := g["c"].(*ProtocolInstance).get("n")
	require.Equal(b, itoa(size*b.N), n.String(), "n")
}

// BenchmarkIdleConnHeap reports the Go heap one idle connection holds on
// the server side (a Starlark echo protocol instance, its adapter, the
// transport and its Starlark value, the loop's registration) after one
// 1-byte echo, as the harness's idle workload does: heap-B/conn over 2,000
// connections, measured after a GC. Each run measures once, whatever b.N.
func BenchmarkIdleConnHeap(b *testing.B) { benchIdleConnHeap(b, starlarkEcho) }

// BenchmarkIdleConnHeapGo is the same with a Go echo protocol: the baseline.
func BenchmarkIdleConnHeapGo(b *testing.B) { benchIdleConnHeap(b, goEchoServer) }

func benchIdleConnHeap(b *testing.B, src string) {
	const conns = 2000
	te := newTestEnv(b, Options{Permissions: allowLocal, MaxSteps: 100_000_000})
	te.e.Predeclare("go_echo", GoFactory(func() (transports.BaseProtocol, error) { return &goEcho{}, nil }))
	g := te.exec(src)
	port := te.serverPort(g, "srv")
	done := make(chan error, 1)
	go func() { done <- te.l.RunForever() }()
	fds := make([]int, 0, conns+1)
	defer func() {
		for _, fd := range fds {
			_ = unix.Close(fd)
		}
	}()
	dial := func() {
		fd, err := dialAndEcho(port)
		require.NoError(b, err)
		fds = append(fds, fd)
	}
	dial() // the loop's read buffer and other one-time costs
	before := heapAlloc()
	for len(fds) <= conns {
		dial()
	}
	after := heapAlloc()
	b.ReportMetric(float64(after-before)/conns, "heap-B/conn")
	_ = te.l.CallSoonThreadsafe(func() {
		te.e.Shutdown(true)
		te.l.Stop()
	})
	require.NoError(b, <-done)
	te.run()
}

// heapAlloc is the live heap after a collection.
func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// dialAndEcho connects a blocking socket to 127.0.0.1:port, sends one byte
// and waits (up to 10 s) for it to come back.
func dialAndEcho(port int) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	unix.CloseOnExec(fd)
	if err := connectAndEcho(fd, port); err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func connectAndEcho(fd, port int) error {
	tv := unix.Timeval{Sec: 10}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	sa := &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	err := unix.Connect(fd, sa)
	if err == unix.EINTR { // the connection goes on: wait until it is made
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		for err == unix.EINTR {
			_, err = unix.Poll(pfd, 10_000)
		}
	}
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	var n int
	for n, err = unix.Write(fd, []byte{'x'}); err == unix.EINTR; {
		n, err = unix.Write(fd, []byte{'x'})
	}
	if n != 1 {
		return fmt.Errorf("write: %v", err)
	}
	var one [1]byte
	for n, err = unix.Read(fd, one[:]); err == unix.EINTR; {
		n, err = unix.Read(fd, one[:])
	}
	if n != 1 || one[0] != 'x' {
		return fmt.Errorf("echo: read %d bytes, %v", n, err)
	}
	return nil
}
