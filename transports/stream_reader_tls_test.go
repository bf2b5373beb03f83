package transports

import (
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A STARTTLS server on streams whose client sends "STARTTLS\r\n" and its
// ClientHello in one segment: readline returns the line, the ClientHello
// stays in the reader's buffer, and StreamWriter.StartTLS hands it to TLS
// (gh-142352), so the handshake completes and the reader gets the
// decrypted data.
func TestStreamWriterStartTLSKeepsBufferedBytes(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	accepted := tl.NewFuture()
	_, port := tl.serve(func() (BaseProtocol, error) {
		p := NewStreamReaderProtocol(tl.Loop, DefaultStreamLimit)
		p.OnConnect = func(_ *StreamReader, w *StreamWriter) {
			w.Transport().PauseReading() // until the whole first flight is queued
			_ = accepted.SetResult(p)
		}
		return p, nil
	}, ListenOptions{})
	const msg = "secret after upgrade"
	peer := startPython(tl, pyStartTLSClient, strconv.Itoa(port), pki.File, msg)
	p := tl.mustAwait(accepted).(*StreamReaderProtocol)
	require.Equal(t, "sent", peer.ReadLine(), "peer")
	p.Writer.Transport().ResumeReading()

	line := tl.mustAwait(p.Reader.Readline())
	require.Equal(t, "STARTTLS\r\n", string(line.([]byte)))
	buffered := len(p.Reader.Buffered())
	require.NotZero(t, buffered, "the ClientHello came in the line's segment")
	plain := p.Writer.Transport()
	require.True(t, p.Writer.ServerSide())

	assert.Nil(t, tl.mustAwait(p.Writer.StartTLS(pki.serverConfig(), StartTLSOptions{})), "asyncio's None")
	tr := p.Writer.Transport()
	assert.NotSame(t, plain, tr)
	assert.NotNil(t, tr.GetExtraInfo("ssl_object"))
	assert.True(t, strings.HasPrefix(msg, string(p.Reader.Buffered())), "the reader holds decrypted data only, not %q", p.Reader.Buffered())

	got := tl.mustAwait(p.Reader.ReadExactly(len(msg)))
	assert.Equal(t, msg, string(got.([]byte)))
	require.NoError(t, p.Writer.Write(got.([]byte)))
	tl.mustAwait(p.Writer.Drain())
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, msg+" TLSv1.3", strings.TrimSpace(out))
	p.Writer.Close()
	tl.mustAwait(p.Writer.WaitClosed())
	tl.expectNoReports()
}

// The client side: "STARTTLS\r\n" to a Python server, "OK\r\n" back, then
// StreamWriter.StartTLS as the TLS client and a round trip over it.
func TestStreamWriterStartTLSClientSide(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	cert := pki.server()
	peer := startPython(tl, pyStartTLSServer, cert.CertFile, cert.KeyFile)
	port, err := strconv.Atoi(peer.ReadLine())
	require.NoError(t, err)
	conn := tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) {
		return NewStreamReaderProtocol(tl.Loop, DefaultStreamLimit), nil
	}, "127.0.0.1", port, DialOptions{})).(*Connection)
	p := conn.Protocol.(*StreamReaderProtocol)
	w, r := p.Writer, p.Reader
	require.False(t, w.ServerSide())
	require.NoError(t, w.Write([]byte("STARTTLS\r\n")))
	line := tl.mustAwait(r.Readline())
	require.Equal(t, "OK\r\n", string(line.([]byte)))

	tl.mustAwait(w.StartTLS(pki.clientConfig(), StartTLSOptions{ServerHostname: "localhost"}))
	assert.Equal(t, "TLSv1.3", sslVersion(t, w))
	require.NoError(t, w.Write([]byte("client secret")))
	got := tl.mustAwait(r.ReadExactly(len("client secret")))
	assert.Equal(t, "client secret", string(got.([]byte)))
	w.Close()
	tl.mustAwait(w.WaitClosed())
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "client secret", strings.TrimSpace(out))
	tl.expectNoReports()
}

// A failed handshake fails StartTLS's Future and the reader with the
// error, and loses the connection.
func TestStreamWriterStartTLSHandshakeFails(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	cert := pki.server()
	peer := startPython(tl, pyStartTLSServer, cert.CertFile, cert.KeyFile)
	port, err := strconv.Atoi(peer.ReadLine())
	require.NoError(t, err)
	conn := tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) {
		return NewStreamReaderProtocol(tl.Loop, DefaultStreamLimit), nil
	}, "127.0.0.1", port, DialOptions{})).(*Connection)
	p := conn.Protocol.(*StreamReaderProtocol)
	require.NoError(t, p.Writer.Write([]byte("STARTTLS\r\n")))
	tl.mustAwait(p.Reader.Readline())
	// The client does not trust the test CA.
	_, err = tl.await(p.Writer.StartTLS(newTestPKI(t).clientConfig(), StartTLSOptions{ServerHostname: "localhost"}))
	require.Error(t, err)
	var ex loop.Exception
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, KindSSLCertVerifyError, ex.ExceptionKind())
	_, err = tl.await(p.Writer.WaitClosed())
	assert.Error(t, err, "wait_closed fails with the connection's error")
	_, err = tl.await(p.Reader.Read(-1))
	assert.Error(t, err, "the reader fails with it")
}

// sslVersion reads the writer's TLS version as ssl_object.version()
// names it.
func sslVersion(t *testing.T, w *StreamWriter) string {
	t.Helper()
	info, ok := w.GetExtraInfo("ssl_object").(*SSLObject)
	require.True(t, ok, "ssl_object is %T", w.GetExtraInfo("ssl_object"))
	return info.Version()
}
