package transports

import (
	"crypto/tls"
	"io"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// upgrader switches a TLS connection to a second, inner TLS session with
// StartTLS: TLS over TLS, as through an HTTPS proxy.
type upgrader struct {
	*recorder
	tl      *testLoop
	cfg     *tls.Config
	server  bool
	inner   *loop.Future
	started *loop.Future // resolved with inner once StartTLS was called
}

func (u *upgrader) DataReceived(data []byte) {
	u.recorder.DataReceived(data)
	if u.recorder.data.String() != "UPGRADE\n" || u.inner != nil {
		return
	}
	u.recorder.data.Reset()
	opts := StartTLSOptions{ServerSide: u.server, ServerHostname: "localhost"}
	u.inner = StartTLS(u.tl.Loop, u.tr, u, u.cfg, opts)
	if u.started != nil {
		_ = u.started.SetResult(u.inner)
	}
	u.inner.AddDoneCallback(func(f *loop.Future) {
		if v, err := f.Result(); err == nil {
			u.tr = v.(Transport)
		}
	})
}

// TLS inside TLS: both ends upgrade an established TLS connection, then
// 1 MiB is echoed through the inner session.
func TestStartTLSOverTLS(t *testing.T) {
	t.Parallel()
	const size = 1 << 20
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	var srv *upgrader
	_, port := tl.tlsServe(func() (BaseProtocol, error) {
		srv = &upgrader{recorder: newRecorder(tl.Loop), tl: tl, cfg: pki.serverConfig(), server: true}
		srv.onMade = func(r *recorder) { _ = r.tr.Write([]byte("UPGRADE\n")) }
		srv.onData = func(r *recorder, data []byte) {
			if srv.inner != nil && srv.inner.Done() {
				_ = srv.tr.Write(data)
			}
		}
		return srv, nil
	}, ListenOptions{TLS: pki.serverConfig()})
	cli := &upgrader{recorder: newRecorder(tl.Loop), tl: tl, cfg: pki.clientConfig(), started: tl.NewFuture()}
	cli.onMade = func(r *recorder) { _ = r.tr.Write([]byte("UPGRADE\n")) }
	cli.onData = func(r *recorder, _ []byte) {
		if r.data.Len() == size {
			cli.tr.Close()
		}
	}
	outer := tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "localhost", port, DialOptions{TLS: pki.clientConfig()})).(*Connection)
	inner := tl.mustAwait(tl.mustAwait(cli.started).(*loop.Future)).(Transport)
	require.NotSame(t, outer.Transport, inner, "StartTLS returned the outer transport")
	_ = inner.Write(patterned(size))
	assert.Nil(t, tl.mustAwait(cli.lost), "client ConnectionLost")
	assert.Nil(t, tl.mustAwait(srv.lost), "server ConnectionLost")
	sameBytes(t, "echo through the inner session", cli.data.Bytes(), patterned(size))
	assert.Equal(t, 1, cli.lostN, "ConnectionLost: client %d, server %d", cli.lostN, srv.lostN)
	assert.Equal(t, 1, srv.lostN, "ConnectionLost: client %d, server %d", cli.lostN, srv.lostN)
	assert.Equal(t, "TLSv1.3", inner.GetExtraInfo("ssl_object").(*SSLObject).Version(), "inner version")
	tl.expectNoReports()
}

// pyPlainThenGarbage answers "STARTTLS" with "OK" and then with text that
// is not TLS.
const pyPlainThenGarbage = `
import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
line = b""
while not line.endswith(b"\r\n"):
    line += c.recv(1)
c.sendall(b"OK\r\n")
c.recv(65536)
c.sendall(b"HTTP/1.0 400 not tls at all\r\n\r\n")
c.close()
`

// When the StartTLS handshake fails, the Future fails with the SSLError
// and the protocol, which was connected, gets exactly one ConnectionLost
// with it.
func TestStartTLSHandshakeFailure(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	peer := startPython(tl, pyPlainThenGarbage)
	port, _ := strconv.Atoi(peer.ReadLine())
	rec := newRecorder(tl.Loop)
	var fut *loop.Future
	rec.onMade = func(r *recorder) { _ = r.tr.Write([]byte("STARTTLS\r\n")) }
	rec.onData = func(r *recorder, _ []byte) {
		if r.data.String() == "OK\r\n" && fut == nil {
			fut = StartTLS(tl.Loop, r.tr, r, &tls.Config{InsecureSkipVerify: true}, StartTLSOptions{})
		}
	}
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, "127.0.0.1", port, DialOptions{}))
	err, _ := tl.mustAwait(rec.lost).(error)
	expectError(t, err, KindSSLError, 0, "")
	_, ferr := tl.await(fut)
	assert.Equal(t, err, ferr, "future failed with %v, ConnectionLost got %v", ferr, err)
	assert.Equal(t, 1, rec.madeN, "made %d, lost %d", rec.madeN, rec.lostN)
	assert.Equal(t, 1, rec.lostN, "made %d, lost %d", rec.madeN, rec.lostN)
	tl.mustAwait(peer.Output(tl))
	tl.expectNoReports()
}

// StartTLS validates its arguments.
func TestStartTLSArgumentErrors(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	rec := newRecorder(tl.Loop)
	_, port := tl.serve(echoFactory, ListenOptions{})
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return rec, nil }, "127.0.0.1", port, DialOptions{}))
	cases := []struct {
		fut  *loop.Future
		text string
	}{
		{StartTLS(tl.Loop, rec.tr, rec, nil, StartTLSOptions{}), "TypeError: sslcontext is expected to be a *tls.Config, got nil"},
		{StartTLS(tl.Loop, rec.tr, rec, pki.clientConfig(), StartTLSOptions{}), "ValueError: check_hostname requires server_hostname"},
		{StartTLS(tl.Loop, rec.tr, rec, &tls.Config{}, StartTLSOptions{ServerSide: true}),
			"ValueError: Server side SSL needs a certificate: set tls.Config.Certificates or GetCertificate"},
		{StartTLS(tl.Loop, nil, rec, pki.clientConfig(), StartTLSOptions{}), "TypeError: start_tls: transport must not be nil"},
	}
	for _, c := range cases {
		_, err := tl.await(c.fut)
		assert.Error(t, err, "error %v, want %s", err, c.text)
		assert.Equal(t, c.text, err.Error(), "error %v, want %s", err, c.text)
	}
	assert.Same(t, rec, rec.tr.GetProtocol(), "a failed StartTLS replaced the protocol")
	rec.tr.Close()
	tl.mustAwait(rec.lost)
}

// ConnectAcceptedSocketTLS makes the server side of TLS on a socket
// accepted elsewhere (here one end of a socket pair; crypto/tls at the
// other).
func TestConnectAcceptedSocketTLS(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	fds, err := socketpair()
	require.NoError(t, err)
	ours := os.NewFile(uintptr(fds[0]), "ours")
	defer ours.Close()
	theirs := os.NewFile(uintptr(fds[1]), "theirs")
	raw, err := net.FileConn(theirs)
	theirs.Close()
	require.NoError(t, err)
	done := tl.NewFuture()
	tl.Ref()
	go func() {
		c := tls.Client(raw, &tls.Config{RootCAs: pki.Pool, ServerName: "localhost"})
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(watchdog))
		_, err := c.Write([]byte("accepted elsewhere"))
		if err == nil {
			err = c.CloseWrite()
		}
		got, rerr := io.ReadAll(c)
		if err == nil {
			err = rerr
		}
		_ = tl.CallSoonThreadsafe(func() {
			tl.Unref()
			_ = done.SetResult([]any{string(got), err})
		})
	}()
	srv := echoRecorder(tl)
	conn := tl.mustAwait(ConnectAcceptedSocketTLS(tl.Loop, func() (BaseProtocol, error) { return srv, nil }, ours, pki.serverConfig(), 0, 0)).(*Connection)
	assert.Same(t, srv, conn.Protocol, "Connection %+v, made %d", conn, srv.madeN)
	assert.Equal(t, 1, srv.madeN, "Connection %+v, made %d", conn, srv.madeN)
	res := tl.mustAwait(done).([]any)
	require.Equal(t, "accepted elsewhere", res[0], "client got %v", res)
	assert.Nil(t, res[1], "client got %v", res)
	assert.Nil(t, tl.mustAwait(srv.lost), "ConnectionLost")
	tl.expectNoReports()
}
