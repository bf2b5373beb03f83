package transports

import (
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/require"
)

// BenchmarkSubprocessTrue starts /bin/true and waits for ConnectionLost,
// with the three pipes.
func BenchmarkSubprocessTrue(b *testing.B) {
	l, err := loop.New(loop.Options{})
	require.NoError(b, err)
	defer l.Close()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c := &byteCounter{lost: l.NewFuture()}
		SubprocessExec(l, func() (BaseProtocol, error) { return c, nil }, []string{"/bin/true"}, SubprocessOptions{})
		_, err := l.RunUntilComplete(c.lost)
		require.NoError(b, err)
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
	require.NoError(b, err)
	defer l.Close()
	const size = 64 << 20
	b.SetBytes(size)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c := &byteCounter{lost: l.NewFuture()}
		SubprocessExec(l, func() (BaseProtocol, error) { return c, nil }, []string{"head", "-c", "67108864", "/dev/zero"}, SubprocessOptions{Stdin: Stdio{Kind: StdioDevNull}})
		_, err := l.RunUntilComplete(c.lost)
		require.NoError(b, err)
		require.Equal(b, size, c.n, "read %d bytes", c.n)
	}
}
