package starlarkbind

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"
	"go.starlark.net/starlark"
)

// BenchmarkDatagramReceived measures the adapter's cost per datagram: one
// datagram_received(data, addr) call into a protocol instance's method,
// with the bytes and the (host, port) tuple made for it.
func BenchmarkDatagramReceived(b *testing.B) {
	te := newTestEnv(b, Options{})
	g := te.exec(`
count = [0]
def received(self, data, addr):
    count[0] += 1
P = protocol("P", datagram_received = received)
p = P()
`)
	p, err := te.e.protocolOfKind(g["p"], kindDatagram)
	require.NoError(b, err)
	d := p.(*datagramAdapter)
	data := make([]byte, 512)
	addr := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.DatagramReceived(data, addr)
	}
	b.StopTimer()
	n, err := starlark.AsInt32(g["count"].(*starlark.List).Index(0))
	require.NoError(b, err)
	require.Equal(b, b.N, n, "calls")
}

// BenchmarkPipeDataReceived is the same for pipe_data_received(fd, data).
func BenchmarkPipeDataReceived(b *testing.B) {
	te := newTestEnv(b, Options{})
	g := te.exec(`
P = protocol("P", pipe_data_received = lambda self, fd, data: None)
p = P()
`)
	p, err := te.e.protocolOfKind(g["p"], kindSubprocess)
	require.NoError(b, err)
	s := p.(*subprocessAdapter)
	data := make([]byte, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.PipeDataReceived(1, data)
	}
}
