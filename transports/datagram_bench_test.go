package transports

import (
	"net"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/require"
)

// dgramEcho answers every datagram to its sender: DatagramBase does the rest.
type dgramEcho struct{ DatagramBase }

func (e *dgramEcho) DatagramReceived(data []byte, addr net.Addr) {
	_ = e.Transport().SendTo(data, addr)
}

// dgramPinger sends 64 bytes each time the previous datagram comes back.
type dgramPinger struct {
	DatagramBase
	msg  []byte
	left int
	done *loop.Future
}

func (p *dgramPinger) ConnectionMade(t BaseTransport) {
	p.DatagramBase.ConnectionMade(t)
	_ = p.Transport().SendTo(p.msg, nil)
}

func (p *dgramPinger) DatagramReceived(data []byte, addr net.Addr) {
	p.left--
	if p.left == 0 {
		p.Transport().Close()
		_ = p.done.SetResult(nil)
		return
	}
	_ = p.Transport().SendTo(p.msg, nil)
}

// BenchmarkDatagramEchoSameLoop is a 64-byte UDP ping-pong between two
// endpoints on one loop (a connected client and an unconnected server).
func BenchmarkDatagramEchoSameLoop(b *testing.B) {
	l, err := loop.New(loop.Options{})
	require.NoError(b, err)
	defer l.Close()
	v, err := l.RunUntilComplete(CreateDatagramEndpoint(l, func() (BaseProtocol, error) { return &dgramEcho{}, nil }, DatagramOptions{LocalAddr: "127.0.0.1:0"}))
	require.NoError(b, err)
	srv := v.(*Connection).Transport
	defer srv.Close()
	p := &dgramPinger{msg: make([]byte, 64), left: b.N, done: l.NewFuture()}
	b.SetBytes(64)
	b.ReportAllocs()
	b.ResetTimer()
	remote := srv.GetExtraInfo("sockname").(*net.UDPAddr).String()
	CreateDatagramEndpoint(l, func() (BaseProtocol, error) { return p, nil }, DatagramOptions{RemoteAddr: remote})
	_, err = l.RunUntilComplete(p.done)
	require.NoError(b, err)
	b.StopTimer()
}
