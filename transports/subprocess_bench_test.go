package transports

import (
	"testing"

	"github.com/starnet-dev/starnet/loop"
)

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

func (c *byteCounter) ConnectionMade(BaseTransport) {}

func (c *byteCounter) PipeDataReceived(fd int, data []byte) { c.n += len(data) }

func (c *byteCounter) PipeConnectionLost(fd int, err error) {}

func (c *byteCounter) ProcessExited() {}

func (c *byteCounter) ConnectionLost(error) { _ = c.lost.SetResult(nil) }

func (c *byteCounter) PauseWriting() {}

func (c *byteCounter) ResumeWriting() {}

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
