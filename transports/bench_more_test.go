package transports

import (
	"net"
	"testing"

	"github.com/starnet-dev/starnet/loop"
)

// dgramEcho answers every datagram to its sender.
type dgramEcho struct{ t DatagramTransport }

func (e *dgramEcho) ConnectionMade(t BaseTransport)              { e.t = t.(DatagramTransport) }
func (e *dgramEcho) DatagramReceived(data []byte, addr net.Addr) { _ = e.t.SendTo(data, addr) }
func (e *dgramEcho) ErrorReceived(error)                         {}
func (e *dgramEcho) ConnectionLost(error)                        {}
func (e *dgramEcho) PauseWriting()                               {}
func (e *dgramEcho) ResumeWriting()                              {}

// dgramPinger sends 64 bytes each time the previous datagram comes back.
type dgramPinger struct {
	dgramEcho
	msg  []byte
	left int
	done *loop.Future
}

func (p *dgramPinger) ConnectionMade(t BaseTransport) {
	p.t = t.(DatagramTransport)
	_ = p.t.SendTo(p.msg, nil)
}

func (p *dgramPinger) DatagramReceived(data []byte, addr net.Addr) {
	p.left--
	if p.left == 0 {
		p.t.Close()
		_ = p.done.SetResult(nil)
		return
	}
	_ = p.t.SendTo(p.msg, nil)
}

// BenchmarkDatagramEchoSameLoop is a 64-byte UDP ping-pong between two
// endpoints on one loop (a connected client and an unconnected server).
func BenchmarkDatagramEchoSameLoop(b *testing.B) {
	l, err := loop.New(loop.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	v, err := l.RunUntilComplete(CreateDatagramEndpoint(l, func() BaseProtocol { return &dgramEcho{} }, DatagramOptions{LocalAddr: "127.0.0.1:0"}))
	if err != nil {
		b.Fatal(err)
	}
	srv := v.(*Connection).Transport
	defer srv.Close()
	p := &dgramPinger{msg: make([]byte, 64), left: b.N, done: l.NewFuture()}
	b.SetBytes(64)
	b.ReportAllocs()
	b.ResetTimer()
	remote := srv.GetExtraInfo("sockname").(*net.UDPAddr).String()
	CreateDatagramEndpoint(l, func() BaseProtocol { return p }, DatagramOptions{RemoteAddr: remote})
	if _, err := l.RunUntilComplete(p.done); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
}

// BenchmarkSubprocessTrue starts /bin/true and waits for ConnectionLost,
// with the three pipes.
func BenchmarkSubprocessTrue(b *testing.B) {
	l, err := loop.New(loop.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c := &byteCounter{lost: l.NewFuture()}
		SubprocessExec(l, func() BaseProtocol { return c }, []string{"/bin/true"}, SubprocessOptions{})
		if _, err := l.RunUntilComplete(c.lost); err != nil {
			b.Fatal(err)
		}
	}
}

// byteCounter is a SubprocessProtocol that counts stdout bytes.
type byteCounter struct {
	n    int
	lost *loop.Future
}

func (c *byteCounter) ConnectionMade(BaseTransport)         {}
func (c *byteCounter) PipeDataReceived(fd int, data []byte) { c.n += len(data) }
func (c *byteCounter) PipeConnectionLost(fd int, err error) {}
func (c *byteCounter) ProcessExited()                       {}
func (c *byteCounter) ConnectionLost(error)                 { _ = c.lost.SetResult(nil) }
func (c *byteCounter) PauseWriting()                        {}
func (c *byteCounter) ResumeWriting()                       {}

// BenchmarkReadPipe reads 64 MiB that a child writes into its stdout pipe.
func BenchmarkReadPipe(b *testing.B) {
	l, err := loop.New(loop.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	const size = 64 << 20
	b.SetBytes(size)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c := &byteCounter{lost: l.NewFuture()}
		SubprocessExec(l, func() BaseProtocol { return c }, []string{"head", "-c", "67108864", "/dev/zero"}, SubprocessOptions{Stdin: Stdio{Kind: StdioDevNull}})
		if _, err := l.RunUntilComplete(c.lost); err != nil {
			b.Fatal(err)
		}
		if c.n != size {
			b.Fatalf("read %d bytes", c.n)
		}
	}
}
