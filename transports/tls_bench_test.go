package transports

import (
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/require"
)

// serveTLSEchoOnLoop runs a TLS echo server on its own loop goroutine and
// returns its address and a function that stops it.
func serveTLSEchoOnLoop(b *testing.B, cfg *tls.Config) (addr string, stop func()) {
	b.Helper()
	addrc := make(chan string, 1)
	stopped := make(chan error, 1)
	var l *loop.Loop
	go func() {
		var err error
		l, err = loop.New(loop.Options{})
		if err != nil {
			addrc <- ""
			stopped <- err
			return
		}
		v, err := l.RunUntilComplete(CreateServer(l, echoFactory, "127.0.0.1", 0, ListenOptions{TLS: cfg}))
		if err != nil {
			addrc <- ""
			stopped <- err
			return
		}
		srv := v.(*Server)
		addrc <- srv.Addrs()[0].String()
		err = l.RunForever()
		srv.Close()
		l.Close()
		stopped <- err
	}()
	addr = <-addrc
	if addr == "" {
		require.FailNow(b, "the server did not start", "%v", <-stopped)
	}
	return addr, func() {
		l.Stop()
		require.NoError(b, <-stopped)
	}
}

// BenchmarkTLSEcho is a ping-pong between a blocking crypto/tls client
// (another goroutine) and a Go echo protocol behind starnet's TLS layer on
// the loop, with messages of 64 bytes and 16 KiB.
func BenchmarkTLSEcho(b *testing.B) {
	for _, size := range []int{64, 16 << 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			pki := newTestPKI(b)
			addr, stop := serveTLSEchoOnLoop(b, pki.serverConfig())
			defer stop()
			conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pki.Pool, ServerName: "localhost"})
			require.NoError(b, err)
			defer conn.Close()
			msg := make([]byte, size)
			buf := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, err := conn.Write(msg)
				require.NoError(b, err)
				_, err = io.ReadFull(conn, buf)
				require.NoError(b, err)
			}
			b.StopTimer()
		})
	}
}

// BenchmarkTLSEchoSameLoop is the 64-byte ping-pong with both ends
// starnet TLS transports on one loop: every allocation counted is the TLS
// layer's, crypto/tls's, the transports' or the loop's.
func BenchmarkTLSEchoSameLoop(b *testing.B) {
	l, err := loop.New(loop.Options{})
	require.NoError(b, err)
	defer l.Close()
	pki := newTestPKI(b)
	v, err := l.RunUntilComplete(CreateServer(l, echoFactory, "127.0.0.1", 0, ListenOptions{TLS: pki.serverConfig()}))
	require.NoError(b, err)
	srv := v.(*Server)
	defer srv.Close()
	p := &pinger{msg: make([]byte, 64), left: b.N, done: l.NewFuture()}
	port := srv.Addrs()[0].(*net.TCPAddr).Port
	b.SetBytes(64)
	b.ReportAllocs()
	fut := CreateConnection(l, func() (BaseProtocol, error) { return p, nil }, "127.0.0.1", port,
		DialOptions{TLS: pki.clientConfig(), ServerHostname: "localhost"})
	_, err = l.RunUntilComplete(fut)
	require.NoError(b, err)
	b.ResetTimer() // the handshake is not measured
	_, err = l.RunUntilComplete(p.done)
	require.NoError(b, err)
	b.StopTimer()
}
