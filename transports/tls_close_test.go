package transports

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Python echo server waits for "go" before reading: our client's write
// buffer fills, then Close flushes it all before close_notify.
func TestTLSCloseFlushesTheBuffer(t *testing.T) {
	t.Parallel()
	const size = 16 << 20 // more than the kernel's socket buffers hold
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	cert := pki.server()
	peer := startPython(tl, pyTLSEchoServer, cert.CertFile, cert.KeyFile)
	port, _ := strconv.Atoi(peer.ReadLine())
	cli := newRecorder(tl.Loop)
	cli.onMade = func(r *recorder) {
		_ = r.tr.Write(patterned(size))
		assert.NotEqual(t, 0, r.tr.GetWriteBufferSize(), "nothing buffered")
		r.tr.Close()
		assert.Nil(t, r.tr.Write([]byte("ignored")), "Write on a closing transport")
		assert.True(t, r.tr.IsClosing(), "Write on a closing transport")
		peer.Send("go")
	}
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "localhost", port, DialOptions{TLS: pki.clientConfig()}))
	assert.Nil(t, tl.mustAwait(cli.lost), "ConnectionLost")
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, fmt.Sprint(size, " None"), strings.TrimSpace(out), "peer printed %q", out)
	assert.Equal(t, 0, cli.data.Len(), "%d bytes delivered after Close", cli.data.Len())
	tl.expectNoReports()
}

// Abort sends no close_notify: the peer sees the plain EOF, which asyncio
// treats as an EOF too.
func TestTLSAbort(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	var srv *recorder
	_, port := tl.tlsServe(func() (BaseProtocol, error) {
		srv = newRecorder(tl.Loop)
		return srv, nil
	}, ListenOptions{TLS: pki.serverConfig()})
	cli := newRecorder(tl.Loop)
	cli.onMade = func(r *recorder) {
		_ = r.tr.Write([]byte("last words"))
		r.tr.Abort()
		assert.True(t, r.tr.IsClosing(), "not closing after Abort")
	}
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "localhost", port, DialOptions{TLS: pki.clientConfig()}))
	require.Nil(t, tl.mustAwait(cli.lost), "client ConnectionLost")
	assert.Equal(t, 1, cli.lostN, "client ConnectionLost x%d", cli.lostN)
	assert.Nil(t, tl.mustAwait(srv.lost), "server ConnectionLost")
	assert.Equal(t, "made,data,eof,lost", eventsString(srv.events), "server events")
	assert.Equal(t, "last words", srv.data.String(), "server events")
	tl.expectNoReports()
}
