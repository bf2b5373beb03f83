package transports

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/loop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tlsServe starts a TLS server on 127.0.0.1:0.
func (tl *testLoop) tlsServe(factory ProtocolFactory, opts ListenOptions) (*Server, int) {
	tl.t.Helper()
	return tl.serve(factory, opts)
}

// Both ends are starnet TLS transports on one loop: the client's future is
// resolved after the handshake and its ConnectionMade, data flows both ways,
// EOFReceived false closes with close_notify, and each side gets made,
// data, eof?, lost exactly once with no error.
func TestTLSEchoBetweenOwnTransports(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	var srv *recorder
	serverCfg := pki.serverConfig()
	_, port := tl.tlsServe(func() (BaseProtocol, error) {
		srv = echoRecorder(tl)
		return srv, nil
	}, ListenOptions{TLS: serverCfg})

	cli := newRecorder(tl.Loop)
	cli.onMade = func(r *recorder) { _ = r.tr.Write([]byte("ping over tls")) }
	cli.onData = func(r *recorder, data []byte) {
		if r.data.Len() == len("ping over tls") {
			r.tr.Close()
		}
	}
	clientCfg := pki.clientConfig()
	fut := CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "localhost", port, DialOptions{TLS: clientCfg})
	fut.AddDoneCallback(func(*loop.Future) {
		assert.Equal(t, 1, cli.madeN, "the future was resolved before ConnectionMade")
	})
	conn := tl.mustAwait(fut).(*Connection)
	require.Same(t, cli, conn.Protocol, "Connection = %+v", conn)
	require.Same(t, cli.tr, conn.Transport, "Connection = %+v", conn)
	tr := conn.Transport.(Transport)
	checkTLSExtraInfo(t, tr, clientCfg, false)
	tl.mustAwait(cli.lost)
	tl.mustAwait(srv.lost)
	assert.Equal(t, "ping over tls", cli.data.String(), "client got %q", cli.data.String())
	// The server's close_notify answering the client's Close is an EOF
	// for the client too, as in asyncio.
	assert.Equal(t, "made,data,eof,lost", eventsString(cli.events), "client events")
	require.NoError(t, cli.lostErr, "client events")
	assert.Equal(t, "made,data,eof,lost", eventsString(srv.events), "server events")
	require.NoError(t, srv.lostErr, "server events")
	assert.Same(t, serverCfg, srv.tr.GetExtraInfo("sslcontext"), "server sslcontext is not the config given")
	assert.Nil(t, srv.tr.GetExtraInfo("peercert"), "server has a peercert without client certificates")
	assert.True(t, tr.IsClosing(), "after ConnectionLost: IsClosing %v, protocol %v", tr.IsClosing(), tr.GetProtocol())
	assert.Nil(t, tr.GetProtocol(), "after ConnectionLost: IsClosing %v, protocol %v", tr.IsClosing(), tr.GetProtocol())
	tl.expectNoReports()
}

// checkTLSExtraInfo checks the TLS keys of get_extra_info on a client.
func checkTLSExtraInfo(t *testing.T, tr Transport, cfg *tls.Config, tls12 bool) {
	t.Helper()
	assert.Same(t, cfg, tr.GetExtraInfo("sslcontext"), "sslcontext is not the config given")
	obj, ok := tr.GetExtraInfo("ssl_object").(*SSLObject)
	require.True(t, ok, "ssl_object is %T", tr.GetExtraInfo("ssl_object"))
	want := "TLSv1.3"
	if tls12 {
		want = "TLSv1.2"
	}
	assert.Equal(t, want, obj.Version(), "ssl_object: version %s server side %v hostname %q", obj.Version(), obj.ServerSide(), obj.ServerHostname())
	assert.False(t, obj.ServerSide(), "ssl_object: version %s server side %v hostname %q", obj.Version(), obj.ServerSide(), obj.ServerHostname())
	assert.Equal(t, "localhost", obj.ServerHostname(), "ssl_object: version %s server side %v hostname %q", obj.Version(), obj.ServerSide(), obj.ServerHostname())
	c, ok := tr.GetExtraInfo("cipher").(TLSCipher)
	require.True(t, ok, "cipher = %#v", tr.GetExtraInfo("cipher"))
	assert.NotEqual(t, "", c.Name, "cipher = %#v", tr.GetExtraInfo("cipher"))
	assert.GreaterOrEqual(t, c.Bits, 128, "cipher = %#v", tr.GetExtraInfo("cipher"))
	assert.NotEqual(t, tls12, tr.CanWriteEOF(), "CanWriteEOF = %v on %s", tr.CanWriteEOF(), want)
	cert, ok := tr.GetExtraInfo("peercert").(map[string]any)
	require.True(t, ok, "peercert = %v", tr.GetExtraInfo("peercert"))
	assert.Equal(t, "[[[countryName NZ]] [[organizationName starnet]] [[commonName localhost]]]", fmt.Sprint(cert["subject"]), "peercert = %v", tr.GetExtraInfo("peercert"))
	assert.Nil(t, tr.GetExtraInfo("compression"), "compression is not nil")
	_, ok = tr.GetExtraInfo("peername").(*net.TCPAddr)
	assert.True(t, ok, "peername = %v", tr.GetExtraInfo("peername"))
	_, ok = tr.GetExtraInfo("socket").(*Socket)
	assert.True(t, ok, "socket = %v", tr.GetExtraInfo("socket"))
}

// Certificate verification failures fail the client's future with
// SSLCertVerificationError and OpenSSL's reason; the server's protocol is
// never connected; nothing is reported outside debug mode.
func TestTLSVerificationFailures(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	other := newTestPKI(t)
	expired := pki.Issue("expired", x509Template{
		cn: "localhost", dns: []string{"localhost"},
		notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour),
	}.certificate())
	future := pki.Issue("future", x509Template{
		cn: "localhost", dns: []string{"localhost"},
		notBefore: time.Now().Add(24 * time.Hour), notAfter: time.Now().Add(48 * time.Hour),
	}.certificate())
	selfSigned := selfSignedCert(t, "localhost")
	cases := []struct {
		name   string
		cert   tls.Certificate
		roots  *testPKI
		host   string
		reason string
	}{
		{"unknown CA", pki.server().TLS, other, "localhost", "unable to get local issuer certificate"},
		{"self-signed", selfSigned, pki, "localhost", "self-signed certificate"},
		{"wrong host", pki.server().TLS, pki, "wrong.example", "Hostname mismatch, certificate is not valid for 'wrong.example'."},
		{"wrong IP", pki.server().TLS, pki, "127.0.0.2", "IP address mismatch, certificate is not valid for '127.0.0.2'."},
		{"expired", expired.TLS, pki, "localhost", "certificate has expired"},
		{"not yet valid", future.TLS, pki, "localhost", "certificate is not yet valid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tl := newTestLoop(t)
			made := 0
			_, port := tl.tlsServe(func() (BaseProtocol, error) {
				r := newRecorder(tl.Loop)
				r.onMade = func(*recorder) { made++ }
				return r, nil
			}, ListenOptions{TLS: &tls.Config{Certificates: []tls.Certificate{c.cert}}})
			cli := newRecorder(tl.Loop)
			_, err := tl.await(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "127.0.0.1", port,
				DialOptions{TLS: c.roots.clientConfig(), ServerHostname: c.host}))
			expectError(t, err, KindSSLCertVerifyError, 0,
				"SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "+c.reason)
			assert.Equal(t, 0, cli.madeN, "client protocol: made %d, lost %d", cli.madeN, cli.lostN)
			assert.Equal(t, 0, cli.lostN, "client protocol: made %d, lost %d", cli.madeN, cli.lostN)
			tl.spin(10)
			assert.Equal(t, 0, made, "server protocol connected %d times", made)
			tl.expectNoReports()
		})
	}
}

// A peer that sends nothing: the client's future fails with asyncio's
// ConnectionAbortedError after HandshakeTimeout, its protocol is never
// connected, and the helper goroutine ends.
func TestTLSHandshakeTimeoutClient(t *testing.T) {
	tl := newTestLoop(t)
	before := runtime.NumGoroutine()
	accepted := 0
	_, port := tl.serve(func() (BaseProtocol, error) {
		accepted++
		return newRecorder(tl.Loop), nil // a plain server that never answers
	}, ListenOptions{})
	cli := newRecorder(tl.Loop)
	_, err := tl.await(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "127.0.0.1", port,
		DialOptions{TLS: &tls.Config{InsecureSkipVerify: true}, HandshakeTimeout: 150 * time.Millisecond}))
	expectError(t, err, KindConnectionAbortedError, 0,
		"ConnectionAbortedError: SSL handshake is taking longer than 0.15 seconds: aborting the connection")
	assert.Equal(t, 0, cli.madeN, "client made %d lost %d; server accepted %d", cli.madeN, cli.lostN, accepted)
	assert.Equal(t, 0, cli.lostN, "client made %d lost %d; server accepted %d", cli.madeN, cli.lostN, accepted)
	assert.Equal(t, 1, accepted, "client made %d lost %d; server accepted %d", cli.madeN, cli.lostN, accepted)
	tl.expectNoReports()
	waitGoroutines(t, before)
}

// A client that connects and sends nothing costs the server only its own
// connection: it is aborted after HandshakeTimeout, the protocol the
// factory made is never connected, and other clients are served meanwhile.
// The timeout is generous (the well-behaved client's handshake must finish
// within it on a loaded machine too).
func TestTLSHandshakeTimeoutServer(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	var protos []*recorder
	srv, port := tl.tlsServe(func() (BaseProtocol, error) {
		r := echoRecorder(tl)
		protos = append(protos, r)
		return r, nil
	}, ListenOptions{TLS: pki.serverConfig(), HandshakeTimeout: 3 * time.Second})
	silent, err := net.Dial("tcp", fmt.Sprint("127.0.0.1:", port))
	require.NoError(t, err)
	defer silent.Close()
	// A well-behaved client is served while the silent one waits.
	done := tl.NewFuture()
	go func() {
		got, err := goTLSEcho(port, pki, []byte("hello"))
		_ = tl.CallSoonThreadsafe(func() {
			if err != nil {
				_ = done.SetException(err)
			} else {
				_ = done.SetResult(string(got))
			}
		})
	}()
	got := tl.mustAwait(done)
	assert.Equal(t, "hello", got, "echo = %q", got)
	// The silent connection is closed by the server: its read ends.
	readDone := tl.NewFuture()
	go func() {
		_ = silent.SetReadDeadline(time.Now().Add(watchdog))
		_, err := silent.Read(make([]byte, 1))
		_ = tl.CallSoonThreadsafe(func() { _ = readDone.SetResult(err) })
	}()
	readErr, _ := tl.mustAwait(readDone).(error)
	require.Error(t, readErr, "the silent client read data")
	if ne, ok := readErr.(net.Error); ok {
		assert.False(t, ne.Timeout(), "the server did not abort the silent client")
	}
	srv.Close()
	tl.mustAwait(srv.WaitClosed())
	require.Len(t, protos, 2, "protocols: %d made, want 2 with one connected", len(protos))
	require.Equal(t, 1, protos[0].madeN+protos[1].madeN, "protocols: %d made, want 2 with one connected", len(protos))
	assert.Equal(t, 1, protos[0].lostN+protos[1].lostN, "protocols: %d made, want 2 with one connected", len(protos))
	tl.expectNoReports()
}

// goTLSEcho connects with crypto/tls, writes msg, half-closes with
// close_notify and reads the echo until EOF.
func goTLSEcho(port int, pki *testPKI, msg []byte) ([]byte, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: watchdog}, "tcp", fmt.Sprint("127.0.0.1:", port),
		&tls.Config{RootCAs: pki.Pool, ServerName: "localhost"})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(watchdog))
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Write(msg)
		if err == nil {
			err = conn.CloseWrite()
		}
		errc <- err
	}()
	got, err := io.ReadAll(conn)
	if werr := <-errc; werr != nil {
		return got, werr
	}
	return got, err
}

// 200 crypto/tls clients at once, each echoing its own payload: every one
// is served, every server protocol gets exactly one ConnectionLost(nil),
// and no goroutine is left.
func TestTLSManyConcurrentClients(t *testing.T) {
	const clients = 200
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	before := runtime.NumGoroutine()
	var protos []*recorder
	srv, port := tl.tlsServe(func() (BaseProtocol, error) {
		r := echoRecorder(tl)
		protos = append(protos, r)
		return r, nil
	}, ListenOptions{TLS: pki.serverConfig(), Backlog: clients})
	all := tl.NewFuture()
	var mu sync.Mutex
	var failures []string
	left := clients
	for i := range clients {
		go func() {
			msg := patterned(1000 + i*97)
			got, err := goTLSEcho(port, pki, msg)
			mu.Lock()
			if err != nil {
				failures = append(failures, err.Error())
			} else if string(got) != string(msg) {
				failures = append(failures, fmt.Sprintf("client %d: %d bytes back, want %d", i, len(got), len(msg)))
			}
			mu.Unlock()
			_ = tl.CallSoonThreadsafe(func() {
				left--
				if left == 0 {
					_ = all.SetResult(nil)
				}
			})
		}()
	}
	tl.mustAwait(all)
	srv.Close()
	tl.mustAwait(srv.WaitClosed())
	require.Empty(t, failures, "clients failed")
	require.Len(t, protos, clients, "%d protocols made, want %d", len(protos), clients)
	for _, p := range protos {
		require.Equal(t, 1, p.madeN, "a server protocol: made %d lost %d (%v)", p.madeN, p.lostN, p.lostErr)
		require.Equal(t, 1, p.lostN, "a server protocol: made %d lost %d (%v)", p.madeN, p.lostN, p.lostErr)
		require.NoError(t, p.lostErr, "a server protocol: made %d lost %d (%v)", p.madeN, p.lostN, p.lostErr)
	}
	tl.expectNoReports()
	waitGoroutines(t, before)
}

// Option errors fail the future with asyncio's messages.
func TestTLSOptionErrors(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	cases := []struct {
		fut  *loop.Future
		kind string
		text string
	}{
		{CreateConnection(tl.Loop, echoFactory, "localhost", 1, DialOptions{ServerHostname: "x"}),
			KindValueError, "ValueError: server_hostname is only meaningful with ssl"},
		{CreateConnection(tl.Loop, echoFactory, "localhost", 1, DialOptions{HandshakeTimeout: time.Second}),
			KindValueError, "ValueError: ssl_handshake_timeout is only meaningful with ssl"},
		{CreateConnection(tl.Loop, echoFactory, "localhost", 1, DialOptions{TLS: pki.clientConfig(), HandshakeTimeout: -time.Second}),
			KindValueError, "ValueError: ssl_handshake_timeout should be a positive number, got -1.0"},
		{CreateConnection(tl.Loop, echoFactory, "", 1, DialOptions{TLS: pki.clientConfig()}),
			KindValueError, "ValueError: You must set server_hostname when using ssl without a host"},
		{CreateUnixConnection(tl.Loop, echoFactory, "/nonexistent", DialOptions{TLS: pki.clientConfig()}),
			KindValueError, "ValueError: you have to pass server_hostname when using ssl"},
		{CreateServer(tl.Loop, echoFactory, "127.0.0.1", 0, ListenOptions{ShutdownTimeout: time.Second}),
			KindValueError, "ValueError: ssl_shutdown_timeout is only meaningful with ssl"},
		{CreateServer(tl.Loop, echoFactory, "127.0.0.1", 0, ListenOptions{TLS: &tls.Config{}}),
			KindValueError, "ValueError: Server side SSL needs a certificate: set tls.Config.Certificates or GetCertificate"},
	}
	for _, c := range cases {
		_, err := tl.await(c.fut)
		expectError(t, err, c.kind, 0, c.text)
	}
}

// Cancelling the future during the handshake closes the connection; the
// protocol is never connected and the helper goroutine ends.
func TestTLSCancelDuringHandshake(t *testing.T) {
	tl := newTestLoop(t)
	before := runtime.NumGoroutine()
	var plain *recorder
	arrived := tl.NewFuture() // the server received the ClientHello
	_, port := tl.serve(func() (BaseProtocol, error) {
		plain = newRecorder(tl.Loop)
		plain.onData = func(*recorder, []byte) {
			if !arrived.Done() {
				_ = arrived.SetResult(nil)
			}
		}
		return plain, nil
	}, ListenOptions{})
	cli := newRecorder(tl.Loop)
	fut := CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "127.0.0.1", port,
		DialOptions{TLS: &tls.Config{InsecureSkipVerify: true}})
	tl.mustAwait(arrived)
	fut.Cancel()
	tl.mustAwait(plain.lost) // the server sees the client close
	assert.Equal(t, 0, cli.madeN, "client made %d lost %d", cli.madeN, cli.lostN)
	assert.Equal(t, 0, cli.lostN, "client made %d lost %d", cli.madeN, cli.lostN)
	tl.expectNoReports()
	waitGoroutines(t, before)
}

// Over a Unix socket the server name must be given; then it is like TCP.
func TestTLSUnixSocket(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	path := filepath.Join(t.TempDir(), "tls.sock")
	srv := tl.mustAwait(CreateUnixServer(tl.Loop, func() (BaseProtocol, error) { return echoRecorder(tl), nil }, path,
		ListenOptions{TLS: pki.serverConfig()})).(*Server)
	defer srv.Close()
	cli := newRecorder(tl.Loop)
	cli.onMade = func(r *recorder) { _ = r.tr.Write([]byte("over unix")) }
	cli.onData = func(r *recorder, _ []byte) {
		if r.data.Len() == len("over unix") {
			r.tr.Close()
		}
	}
	tl.mustAwait(CreateUnixConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, path,
		DialOptions{TLS: pki.clientConfig(), ServerHostname: "localhost"}))
	require.Nil(t, tl.mustAwait(cli.lost))
	assert.Equal(t, "over unix", cli.data.String(), "got %q", cli.data.String())
	tl.expectNoReports()
}

// A panic in DataReceived is a fatal error: reported, and the transport is
// aborted with it.
func TestTLSDataReceivedPanic(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	var srv *recorder
	_, port := tl.tlsServe(func() (BaseProtocol, error) {
		srv = newRecorder(tl.Loop)
		srv.onData = func(*recorder, []byte) { panic("boom") }
		return srv, nil
	}, ListenOptions{TLS: pki.serverConfig()})
	cli := newRecorder(tl.Loop)
	cli.onMade = func(r *recorder) { _ = r.tr.Write([]byte("x")) }
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "localhost", port, DialOptions{TLS: pki.clientConfig()}))
	err, _ := tl.mustAwait(srv.lost).(error)
	expectError(t, err, KindRuntimeError, 0, "")
	assert.Contains(t, err.Error(), "panic in protocol.data_received(): boom", "error %v", err)
	tl.mustAwait(cli.lost)
	require.Len(t, tl.reportMessages(), 1, "reports")
	assert.Equal(t, "Fatal error: protocol.data_received() call failed.", tl.reportMessages()[0], "reports")
}

// MapError turns TLS alerts and crypto/tls errors into asyncio's SSLError
// texts, and other errors into OSError.
func TestMapTLSErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  error
		kind string
		text string
	}{
		{&net.OpError{Op: "remote error", Err: tls.AlertError(48)}, KindSSLError, "SSLError: [SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca"},
		{&net.OpError{Op: "remote error", Err: tls.AlertError(116)}, KindSSLError, "SSLError: [SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required"},
		{&net.OpError{Op: "local error", Err: tls.AlertError(20)}, KindSSLError, "SSLError: [SSL] tls: bad record MAC"},
		{errors.New("tls: first record does not look like a TLS handshake"), KindSSLError, "SSLError: [SSL] tls: first record does not look like a TLS handshake"},
		{errors.New("not tls"), KindOSError, "OSError: not tls"},
	}
	for _, c := range cases {
		expectError(t, MapError(c.err), c.kind, 0, c.text)
	}
	assert.True(t, IsOSError(NewError(KindSSLError, "x")), "SSLError is not an OSError")
}

// Client certificates: a server that requires one sees the client's as
// "peercert"; a client without one is refused. Over TLS 1.3 the client's
// handshake has completed by then, so its connection ends with the
// server's alert as an SSLError named as OpenSSL names it.
func TestTLSClientCertificates(t *testing.T) {
	t.Parallel()
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	serverCfg := pki.serverConfig()
	serverCfg.ClientAuth = tls.RequireAndVerifyClientCert
	serverCfg.ClientCAs = pki.Pool
	var protos []*recorder
	_, port := tl.tlsServe(func() (BaseProtocol, error) {
		r := echoRecorder(tl)
		protos = append(protos, r)
		return r, nil
	}, ListenOptions{TLS: serverCfg})

	clientCert := pki.Issue("client", x509Template{cn: "client one"}.certificate())
	withCert := pki.clientConfig()
	withCert.Certificates = []tls.Certificate{clientCert.TLS}
	cli := newRecorder(tl.Loop)
	cli.onMade = func(r *recorder) { _ = r.tr.Write([]byte("authenticated")) }
	cli.onData = func(r *recorder, _ []byte) { r.tr.Close() }
	tl.mustAwait(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return cli, nil }, "localhost", port, DialOptions{TLS: withCert}))
	require.Nil(t, tl.mustAwait(cli.lost), "client with a certificate")
	assert.Equal(t, "authenticated", cli.data.String(), "client with a certificate: %q", cli.data.String())
	cert, _ := protos[0].tr.GetExtraInfo("peercert").(map[string]any)
	assert.Equal(t, "[[[commonName client one]]]", fmt.Sprint(cert["subject"]), "server's peercert %v", cert)

	anon := newRecorder(tl.Loop)
	anon.onData = func(*recorder, []byte) {}
	_, err := tl.await(CreateConnection(tl.Loop, func() (BaseProtocol, error) { return anon, nil }, "localhost", port, DialOptions{TLS: pki.clientConfig()}))
	if err == nil {
		err, _ = tl.mustAwait(anon.lost).(error)
	}
	expectError(t, err, KindSSLError, 0, "SSLError: [SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required")
	tl.spin(10)
	require.Len(t, protos, 2, "the refused client's server protocol was connected")
	assert.Equal(t, 0, protos[1].madeN, "the refused client's server protocol was connected")
	tl.expectNoReports()
}

// crypto/tls clients (safe for a concurrent Read and Write) echo 8 MiB
// through our server while writing, over TLS 1.3 and 1.2, four at a time:
// a corrupted or reordered record would fail the peer's MAC check.
func TestTLSLargeConcurrentEchoWithGoClients(t *testing.T) {
	t.Parallel()
	const size, clients = 8 << 20, 4
	tl := newTestLoop(t)
	pki := newTestPKI(t)
	_, port := tl.tlsServe(func() (BaseProtocol, error) { return echoRecorder(tl), nil }, ListenOptions{TLS: pki.serverConfig()})
	payload := patterned(size)
	done := tl.NewFuture()
	var mu sync.Mutex
	var failures []string
	left := clients
	for i := range clients {
		go func() {
			cfg := &tls.Config{RootCAs: pki.Pool, ServerName: "localhost"}
			if i%2 == 1 {
				cfg.MaxVersion = tls.VersionTLS12
			}
			got, err := echoWhileWriting(port, cfg, payload)
			mu.Lock()
			if err != nil {
				failures = append(failures, err.Error())
			} else if string(got) != string(payload) {
				failures = append(failures, fmt.Sprintf("client %d: %d bytes back, corrupted", i, len(got)))
			}
			mu.Unlock()
			_ = tl.CallSoonThreadsafe(func() {
				if left--; left == 0 {
					_ = done.SetResult(nil)
				}
			})
		}()
	}
	tl.mustAwait(done)
	require.Empty(t, failures, "clients failed")
	tl.expectNoReports()
}

// echoWhileWriting writes payload from one goroutine while reading the echo
// on another, then half-closes and reads to EOF.
func echoWhileWriting(port int, cfg *tls.Config, payload []byte) ([]byte, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: watchdog}, "tcp", fmt.Sprint("127.0.0.1:", port), cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(watchdog))
	errc := make(chan error, 1)
	go func() {
		for off := 0; off < len(payload); off += 100000 {
			if _, err := conn.Write(payload[off:min(off+100000, len(payload))]); err != nil {
				errc <- err
				return
			}
		}
		errc <- conn.CloseWrite()
	}()
	got, rerr := io.ReadAll(conn)
	if err := <-errc; err != nil {
		return got, err
	}
	return got, rerr
}
