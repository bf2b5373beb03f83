package transports

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Peers run with the openssl command-line tool: s_client and s_server.

// sServerPort reads s_server's "ACCEPT 127.0.0.1:port" line.
func sServerPort(t *testing.T, p *peerProc) int {
	t.Helper()
	for {
		line := p.ReadLine()
		if rest, ok := strings.CutPrefix(line, "ACCEPT 127.0.0.1:"); ok {
			port, err := strconv.Atoi(rest)
			require.NoError(t, err, "s_server: %q", line)
			return port
		}
	}
}

// openssl s_client talks to our server: a line goes out and comes back,
// then our server closes and s_client exits.
func TestTLSOpenSSLClient(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	var srv *recorder
	_, port := tl.tlsServe(func() (BaseProtocol, error) {
		srv = newRecorder(tl.Loop)
		srv.onData = func(r *recorder, data []byte) {
			_ = r.tr.Write(data)
			if strings.HasSuffix(r.data.String(), "\n") {
				r.tr.Close()
			}
		}
		return srv, nil
	}, ListenOptions{TLS: pki.serverConfig()})
	peer := startOpenSSL(tl, "s_client", "-connect", "127.0.0.1:"+strconv.Itoa(port),
		"-CAfile", pki.File, "-servername", "localhost", "-verify_return_error", "-quiet")
	peer.Send("hello from s_client")
	out := tl.mustAwait(peer.Output(tl)).(string)
	assert.Equal(t, "hello from s_client\n", out, "s_client printed %q (stderr %s)", out, peer.Stderr())
	assert.Nil(t, tl.mustAwait(srv.lost), "ConnectionLost")
	tl.expectNoReports()
}

// Our client talks to openssl s_server -rev, which answers each line
// reversed.
func TestTLSOpenSSLServer(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	cert := pki.server()
	peer := startOpenSSL(tl, "s_server", "-accept", "127.0.0.1:0", "-cert", cert.CertFile, "-key", cert.KeyFile,
		"-rev", "-naccept", "1")
	port := sServerPort(t, peer)
	cli := newRecorder(tl.Loop)
	cli.onMade = func(r *recorder) { _ = r.tr.Write([]byte("hello s_server\n")) }
	cli.onData = func(r *recorder, _ []byte) {
		if strings.HasSuffix(r.data.String(), "\n") {
			r.tr.Close()
		}
	}
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "localhost", port, DialOptions{TLS: pki.clientConfig()}))
	assert.Nil(t, tl.mustAwait(cli.lost), "ConnectionLost")
	assert.Equal(t, "revres_s olleh\n", cli.data.String(), "client read %q", cli.data.String())
	tl.mustAwait(peer.Output(tl))
	tl.expectNoReports()
}

// s_server asks for a TLS 1.2 renegotiation: our client refuses it
// (RenegotiateNever) and the connection ends with an SSLError, cleanly.
func TestTLSRenegotiationRefusedByClient(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	cert := pki.server()
	peer := startOpenSSL(tl, "s_server", "-accept", "127.0.0.1:0", "-cert", cert.CertFile, "-key", cert.KeyFile,
		"-tls1_2", "-naccept", "1")
	port := sServerPort(t, peer)
	cli := newRecorder(tl.Loop)
	cli.onMade = func(r *recorder) { _ = r.tr.Write([]byte("hi\n")) }
	cli.onData = func(r *recorder, _ []byte) {}
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "localhost", port, DialOptions{TLS: pki.clientConfig()}))
	waitOutput(tl, peer, "hi") // s_server printed what we sent: the connection is up
	peer.Send("r")             // s_server's renegotiate command
	err, _ := tl.mustAwait(cli.lost).(error)
	expectError(t, err, KindSSLError, 0, "SSLError: [SSL] tls: no renegotiation")
	assert.Equal(t, 1, cli.lostN, "ConnectionLost called %d times", cli.lostN)
	_ = peer.Stdin.Close()
	tl.expectNoReports()
}

// s_client renegotiates with our TLS 1.2 server: the server refuses
// (crypto/tls servers never renegotiate) and the connection ends with an
// SSLError, cleanly; the server goes on serving.
func TestTLSRenegotiationRefusedByServer(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	var protos []*recorder
	_, port := tl.tlsServe(func() (BaseProtocol, error) {
		r := echoRecorder(tl)
		protos = append(protos, r)
		return r, nil
	}, ListenOptions{TLS: pki.serverConfig()})
	peer := startOpenSSL(tl, "s_client", "-connect", "127.0.0.1:"+strconv.Itoa(port), "-tls1_2",
		"-CAfile", pki.File, "-servername", "localhost")
	peer.Send("ping")
	waitOutput(tl, peer, "ping") // the echo: the connection is up
	peer.Send("R")               // s_client's renegotiate command
	err, _ := tl.mustAwait(protos[0].lost).(error)
	expectError(t, err, KindSSLError, 0, "")
	assert.True(t, strings.HasPrefix(err.Error(), "SSLError: [SSL] tls: "), "error %v", err)
	_ = peer.Stdin.Close()
	_, _ = tl.await(peer.Output(tl)) // s_client fails: it got an unexpected_message alert
	assert.Contains(t, peer.Stderr(), "alert unexpected message", "s_client: %s", peer.Stderr())
	// Still serving.
	done := tl.NewFuture()
	go func() {
		got, err := goTLSEcho(port, pki, []byte("after"))
		_ = tl.CallSoonThreadsafe(func() { _ = done.SetResult([]any{string(got), err}) })
	}()
	res := tl.mustAwait(done).([]any)
	require.Equal(t, "after", res[0], "next client: %v", res)
	assert.Nil(t, res[1], "next client: %v", res)
	tl.expectNoReports()
}

// waitOutput runs the loop until the peer prints a line equal to want
// (a carriage return aside), consuming the lines up to it.
func waitOutput(tl *testLoop, p *peerProc, want string) {
	tl.t.Helper()
	found := tl.NewFuture()
	tl.Ref()
	go func() {
		var err error
		for {
			var line string
			line, err = p.AwaitLine(want, testkit.WaitTimeout)
			if err != nil || strings.TrimRight(line, "\r") == want {
				break
			}
		}
		_ = tl.CallSoonThreadsafe(func() {
			tl.Unref()
			if err != nil {
				_ = found.SetException(fmt.Errorf("%s: %v (stderr: %s)", p.Name(), err, p.Stderr()))
			} else {
				_ = found.SetResult(nil)
			}
		})
	}()
	tl.mustAwait(found)
}
