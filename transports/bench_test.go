package transports

import (
	"io"
	"net"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/require"
)

// BenchmarkStreamEcho is a 64-byte ping-pong between a blocking client
// socket (another goroutine) and a Go echo protocol served on the loop.
func BenchmarkStreamEcho(b *testing.B) {
	addr := make(chan string, 1)
	stopped := make(chan error, 1)
	var l *loop.Loop
	go func() {
		var err error
		l, err = loop.New(loop.Options{})
		if err != nil {
			addr <- ""
			stopped <- err
			return
		}
		v, err := l.RunUntilComplete(CreateServer(l, echoFactory, "127.0.0.1", 0, ListenOptions{}))
		if err != nil {
			addr <- ""
			stopped <- err
			return
		}
		srv := v.(*Server)
		addr <- srv.Addrs()[0].String()
		err = l.RunForever()
		srv.Close()
		l.Close()
		stopped <- err
	}()
	a := <-addr
	if a == "" {
		require.FailNow(b, "the server did not start", "%v", <-stopped)
	}
	conn, err := net.Dial("tcp", a)
	require.NoError(b, err)
	msg := make([]byte, 64)
	buf := make([]byte, 64)
	b.SetBytes(64)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, err := conn.Write(msg)
		require.NoError(b, err)
		_, err = io.ReadFull(conn, buf)
		require.NoError(b, err)
	}
	b.StopTimer()
	conn.Close()
	l.Stop()
	require.NoError(b, <-stopped)
}

// pinger writes 64 bytes each time its previous 64 come back, n times.
type pinger struct {
	t    Transport
	msg  []byte
	got  int
	left int
	done *loop.Future
}

func (p *pinger) ConnectionMade(t BaseTransport) {
	p.t = t.(Transport)
	_ = p.t.Write(p.msg)
}

func (p *pinger) DataReceived(data []byte) {
	p.got += len(data)
	if p.got < len(p.msg) {
		return
	}
	p.got = 0
	p.left--
	if p.left == 0 {
		p.t.Close()
		_ = p.done.SetResult(nil)
		return
	}
	_ = p.t.Write(p.msg)
}

func (p *pinger) EOFReceived() bool    { return false }
func (p *pinger) ConnectionLost(error) {}
func (p *pinger) PauseWriting()        {}
func (p *pinger) ResumeWriting()       {}

// BenchmarkStreamEchoSameLoop is the same ping-pong with both ends as
// transports on one loop: every allocation counted is the transports' or
// the loop's.
func BenchmarkStreamEchoSameLoop(b *testing.B) {
	l, err := loop.New(loop.Options{})
	require.NoError(b, err)
	defer l.Close()
	v, err := l.RunUntilComplete(CreateServer(l, echoFactory, "127.0.0.1", 0, ListenOptions{}))
	require.NoError(b, err)
	srv := v.(*Server)
	defer srv.Close()
	p := &pinger{msg: make([]byte, 64), left: b.N, done: l.NewFuture()}
	b.SetBytes(64)
	b.ReportAllocs()
	b.ResetTimer()
	fut := CreateConnection(l, func() (BaseProtocol, error) { return p, nil }, "127.0.0.1", srv.Addrs()[0].(*net.TCPAddr).Port, DialOptions{})
	_, err = l.RunUntilComplete(p.done)
	require.NoError(b, err)
	b.StopTimer()
	require.NoError(b, fut.Exception())
}
