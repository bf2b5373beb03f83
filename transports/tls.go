package transports

import (
	"crypto/tls"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/starnet-dev/starnet/loop"
)

// TLS is a layer, as in asyncio's sslproto.py: a TLS protocol sits on a
// plain stream transport (TCP, Unix, or another TLS transport) as its
// protocol, and hands the application a TLS transport with the whole
// Transport interface. CreateConnection, CreateServer, their Unix variants
// and ConnectAcceptedSocketTLS put the layer on a new connection; StartTLS
// puts it on a live one. See tls_layer.go for the state machine and
// tls_pipe.go for how crypto/tls is driven: each handshake runs on a helper
// goroutine (so a tls.Config's callbacks run there, never on the loop);
// after it, everything runs on the loop and no goroutine is left.
//
// The TLS transport's write buffer (GetWriteBufferSize, flow control) is
// the plaintext waiting while the plain transport has paused writing; the
// ciphertext handed to the plain transport is in that transport's own
// buffer, as asyncio counts. The watermarks default to 64 KiB and 16 KiB as
// for every transport here (asyncio's SSL transport uses 512 KiB).

// Default TLS timeouts, asyncio's constants.SSL_HANDSHAKE_TIMEOUT and
// SSL_SHUTDOWN_TIMEOUT.
const (
	DefaultSSLHandshakeTimeout = 60 * time.Second
	DefaultSSLShutdownTimeout  = 30 * time.Second
)

// StartTLSOptions are start_tls's keyword arguments, plus Pending.
type StartTLSOptions struct {
	// ServerSide makes this end the TLS server.
	ServerSide bool
	// ServerHostname is the name a client sends (SNI) and checks the
	// server's certificate against; "" uses the tls.Config's ServerName. A
	// client needs one of them unless the config has InsecureSkipVerify.
	// It is ignored on the server side.
	ServerHostname string
	// HandshakeTimeout aborts a handshake that takes longer (0: 60 s).
	HandshakeTimeout time.Duration
	// ShutdownTimeout aborts a closing connection whose peer does not
	// answer close_notify in time (0: 30 s).
	ShutdownTimeout time.Duration
	// Pending is ciphertext the caller already received on the plain
	// transport after the upgrade point, fed to TLS before anything the
	// transport receives later. It is copied.
	Pending []byte
}

// StartTLS upgrades a live stream transport to TLS, as asyncio's
// loop.start_tls, and resolves the Future with the new Transport once the
// handshake has completed. The plain transport's reading is paused, its
// protocol replaced by the TLS layer (GetProtocol shows it), and the
// handshake starts on the next loop iteration. p receives the decrypted
// data; it is already connected, so it gets no ConnectionMade for the TLS
// transport (the Future's result is the transport, and the Future's done
// callbacks run before the first DataReceived), but it gets exactly one
// ConnectionLost: when the TLS connection ends, or with the error if the
// handshake fails (which also fails the Future). Cancelling the Future
// during the handshake closes the plain transport (p then gets
// ConnectionLost(nil)). The config is copied (a client's with renegotiation
// refused); its callbacks (GetCertificate, VerifyPeerCertificate, ...) run
// on the handshake's helper goroutine, never on the loop.
//
// Bytes that arrived after the upgrade point are not lost. Everything the
// plain transport receives after StartTLS returns goes to TLS; what the old
// protocol received but did not consume must be passed as opts.Pending. A
// line protocol that got "STARTTLS\r\n" and the first bytes of a
// ClientHello in one DataReceived calls, from inside that DataReceived:
//
//	i := bytes.Index(data, []byte("\r\n")) + 2
//	fut := transports.StartTLS(l, t, p, cfg, transports.StartTLSOptions{
//		ServerSide: true,
//		Pending:    data[i:],
//	})
//
// A protocol that upgrades later (after writing "220 Ready", say) pauses
// reading first, keeps the unconsumed bytes, and passes them then.
//
// Argument errors fail the Future: a nil transport, protocol or config
// (TypeError), a server config without a certificate, a client without a
// server name, a negative timeout or a closing transport (ValueError or
// RuntimeError).
func StartTLS(l *loop.Loop, t Transport, p BaseProtocol, cfg *tls.Config, opts StartTLSOptions) *loop.Future {
	return startTLS(l, t, p, cfg, opts)
}

// ConnectAcceptedSocketTLS is ConnectAcceptedSocket with the server side of
// TLS (asyncio's connect_accepted_socket with ssl=): the Future is resolved
// with a *Connection once the handshake has completed and the protocol's
// ConnectionMade has run. Zero timeouts mean the defaults.
func ConnectAcceptedSocketTLS(l *loop.Loop, factory ProtocolFactory, f *os.File, cfg *tls.Config, handshakeTimeout, shutdownTimeout time.Duration) *loop.Future {
	params, err := serverTLSParams(cfg, handshakeTimeout, shutdownTimeout)
	if err != nil {
		return failedFuture(l, err)
	}
	return dialTLS(l, factory, params, func(wrapped ProtocolFactory) *loop.Future {
		return connectAcceptedSocket(l, wrapped, f)
	})
}

// tlsParams is how one TLS layer is set up.
type tlsParams struct {
	config           *tls.Config // what tls.Client or tls.Server gets
	userConfig       *tls.Config // what the caller gave: "sslcontext"
	serverSide       bool
	serverHostname   string
	handshakeTimeout time.Duration
	shutdownTimeout  time.Duration
	startTLS         bool   // the application protocol is connected already
	pending          []byte // ciphertext received before the layer
}

// usesTLS reports whether CreateConnection's options ask for TLS (any TLS
// option, so that a TLS option without TLS is reported).
func (o *DialOptions) usesTLS() bool {
	return o.TLS != nil || o.ServerHostname != "" || o.HandshakeTimeout != 0 || o.ShutdownTimeout != 0
}

// usesTLS reports whether CreateServer's options ask for TLS.
func (o *ListenOptions) usesTLS() bool {
	return o.TLS != nil || o.HandshakeTimeout != 0 || o.ShutdownTimeout != 0
}

// createTLSConnection is CreateConnection with TLS.
func createTLSConnection(l *loop.Loop, factory ProtocolFactory, host string, port int, opts DialOptions) *loop.Future {
	name := opts.ServerHostname
	if name == "" && opts.TLS != nil && opts.TLS.ServerName == "" {
		name = host
		if name == "" && !opts.TLS.InsecureSkipVerify {
			return failedFuture(l, NewError(KindValueError, "You must set server_hostname when using ssl without a host"))
		}
	}
	params, err := clientTLSParams(opts, name)
	if err != nil {
		return failedFuture(l, err)
	}
	plain := opts
	plain.TLS, plain.ServerHostname, plain.HandshakeTimeout, plain.ShutdownTimeout = nil, "", 0, 0
	return dialTLS(l, factory, params, func(wrapped ProtocolFactory) *loop.Future {
		return createConnection(l, wrapped, host, port, plain)
	})
}

// createTLSUnixConnection is CreateUnixConnection with TLS.
func createTLSUnixConnection(l *loop.Loop, factory ProtocolFactory, path string, opts DialOptions) *loop.Future {
	if opts.ServerHostname == "" && opts.TLS != nil && opts.TLS.ServerName == "" {
		return failedFuture(l, NewError(KindValueError, "you have to pass server_hostname when using ssl"))
	}
	params, err := clientTLSParams(opts, opts.ServerHostname)
	if err != nil {
		return failedFuture(l, err)
	}
	plain := opts
	plain.TLS, plain.ServerHostname, plain.HandshakeTimeout, plain.ShutdownTimeout = nil, "", 0, 0
	return dialTLS(l, factory, params, func(wrapped ProtocolFactory) *loop.Future {
		return createUnixConnection(l, wrapped, path, plain)
	})
}

// clientTLSParams validates a client's options. serverName overrides the
// config's ServerName when not empty.
func clientTLSParams(opts DialOptions, serverName string) (tlsParams, error) {
	if opts.TLS == nil {
		switch {
		case opts.ServerHostname != "":
			return tlsParams{}, NewError(KindValueError, "server_hostname is only meaningful with ssl")
		case opts.HandshakeTimeout != 0:
			return tlsParams{}, NewError(KindValueError, "ssl_handshake_timeout is only meaningful with ssl")
		default:
			return tlsParams{}, NewError(KindValueError, "ssl_shutdown_timeout is only meaningful with ssl")
		}
	}
	hs, sd, err := tlsTimeouts(opts.HandshakeTimeout, opts.ShutdownTimeout)
	if err != nil {
		return tlsParams{}, err
	}
	cfg := clientTLSConfig(opts.TLS, serverName)
	return tlsParams{config: cfg, userConfig: opts.TLS, serverHostname: cfg.ServerName, handshakeTimeout: hs, shutdownTimeout: sd}, nil
}

// clientTLSConfig returns a copy of cfg for one client connection: with
// serverName (if not empty) and renegotiation refused.
func clientTLSConfig(cfg *tls.Config, serverName string) *tls.Config {
	c := cfg.Clone()
	if serverName != "" {
		c.ServerName = serverName
	}
	c.Renegotiation = tls.RenegotiateNever
	return c
}

// serverTLSParams validates a server's options.
func serverTLSParams(cfg *tls.Config, handshakeTimeout, shutdownTimeout time.Duration) (tlsParams, error) {
	if cfg == nil {
		switch {
		case handshakeTimeout != 0:
			return tlsParams{}, NewError(KindValueError, "ssl_handshake_timeout is only meaningful with ssl")
		case shutdownTimeout != 0:
			return tlsParams{}, NewError(KindValueError, "ssl_shutdown_timeout is only meaningful with ssl")
		}
		return tlsParams{}, NewError(KindValueError, "Server side SSL needs a valid SSLContext")
	}
	if len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil {
		return tlsParams{}, NewError(KindValueError, "Server side SSL needs a certificate: set tls.Config.Certificates or GetCertificate")
	}
	hs, sd, err := tlsTimeouts(handshakeTimeout, shutdownTimeout)
	if err != nil {
		return tlsParams{}, err
	}
	// A snapshot: the handshakes read it on helper goroutines, so later
	// changes to the caller's config must not reach them.
	return tlsParams{config: cfg.Clone(), userConfig: cfg, serverSide: true, handshakeTimeout: hs, shutdownTimeout: sd}, nil
}

// tlsTimeouts applies the defaults; a negative timeout is a ValueError.
func tlsTimeouts(handshake, shutdown time.Duration) (time.Duration, time.Duration, error) {
	if handshake < 0 {
		return 0, 0, NewError(KindValueError, "ssl_handshake_timeout should be a positive number, got "+pySeconds(handshake))
	}
	if shutdown < 0 {
		return 0, 0, NewError(KindValueError, "ssl_shutdown_timeout should be a positive number, got "+pySeconds(shutdown))
	}
	if handshake == 0 {
		handshake = DefaultSSLHandshakeTimeout
	}
	if shutdown == 0 {
		shutdown = DefaultSSLShutdownTimeout
	}
	return handshake, shutdown, nil
}

// pySeconds formats d as Python prints a float number of seconds: "60.0",
// "0.25".
func pySeconds(d time.Duration) string {
	s := strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
	for _, c := range s {
		if c == '.' {
			return s
		}
	}
	return s + ".0"
}

// wrapServerTLS returns the factory a TLS server accepts with: each
// connection's protocol is the TLS layer around the application's. Without
// TLS options it returns factory unchanged.
func wrapServerTLS(l *loop.Loop, factory ProtocolFactory, opts ListenOptions) (ProtocolFactory, error) {
	if !opts.usesTLS() {
		return factory, nil
	}
	params, err := serverTLSParams(opts.TLS, opts.HandshakeTimeout, opts.ShutdownTimeout)
	if err != nil {
		return nil, err
	}
	if factory == nil {
		return nil, nil // the server reports the nil factory
	}
	return func() (BaseProtocol, error) {
		p, err := callFactory(factory)
		if err != nil {
			return nil, err
		}
		return newTLSLayer(l, p, params, nil), nil
	}, nil
}

// dialTLS runs dial with a factory that puts a TLS layer around each
// protocol, and returns a Future resolved once the handshake completed (a
// dial error or a handshake failure fails it). Cancelling it cancels the
// dial or aborts the handshake.
func dialTLS(l *loop.Loop, factory ProtocolFactory, params tlsParams, dial func(ProtocolFactory) *loop.Future) *loop.Future {
	outer := l.NewFuture()
	var layer *tlsLayer
	var wrapped ProtocolFactory
	if factory != nil {
		wrapped = func() (BaseProtocol, error) {
			p, err := callFactory(factory)
			if err != nil {
				return nil, err
			}
			layer = newTLSLayer(l, p, params, outer)
			return layer, nil
		}
	}
	inner := dial(wrapped)
	inner.AddDoneCallback(func(f *loop.Future) {
		if err := f.Exception(); err != nil && !outer.Done() {
			_ = outer.SetException(err)
		}
	})
	outer.AddDoneCallback(func(f *loop.Future) {
		if !f.Cancelled() {
			return
		}
		if !inner.Done() {
			inner.Cancel()
		}
		if layer != nil {
			layer.waiterCancelled()
		}
	})
	return outer
}

// startTLS is StartTLS.
func startTLS(l *loop.Loop, t Transport, p BaseProtocol, cfg *tls.Config, opts StartTLSOptions) *loop.Future {
	params, err := startTLSParams(t, p, cfg, opts)
	if err != nil {
		return failedFuture(l, err)
	}
	f := l.NewFuture()
	e := newTLSLayer(l, p, params, f)
	e.plain = t
	// Pause first, so the layer receives nothing before its ConnectionMade.
	t.PauseReading()
	t.SetProtocol(e)
	l.CallSoon(func() { e.ConnectionMade(t) })
	l.CallSoon(t.ResumeReading)
	f.AddDoneCallback(func(f *loop.Future) {
		if f.Cancelled() {
			e.waiterCancelled()
		}
	})
	return f
}

// startTLSParams validates StartTLS's arguments.
func startTLSParams(t Transport, p BaseProtocol, cfg *tls.Config, opts StartTLSOptions) (tlsParams, error) {
	switch {
	case t == nil:
		return tlsParams{}, NewError(KindTypeError, "start_tls: transport must not be nil")
	case p == nil:
		return tlsParams{}, NewError(KindTypeError, "start_tls: protocol must not be nil")
	case cfg == nil:
		return tlsParams{}, NewError(KindTypeError, "sslcontext is expected to be a *tls.Config, got nil")
	case t.IsClosing():
		return tlsParams{}, NewError(KindRuntimeError, "start_tls: the transport is closing")
	}
	var params tlsParams
	var err error
	if opts.ServerSide {
		params, err = serverTLSParams(cfg, opts.HandshakeTimeout, opts.ShutdownTimeout)
	} else {
		if opts.ServerHostname == "" && cfg.ServerName == "" && !cfg.InsecureSkipVerify {
			return tlsParams{}, NewError(KindValueError, "check_hostname requires server_hostname")
		}
		params, err = clientTLSParams(DialOptions{TLS: cfg, HandshakeTimeout: opts.HandshakeTimeout, ShutdownTimeout: opts.ShutdownTimeout}, opts.ServerHostname)
	}
	if err != nil {
		return tlsParams{}, err
	}
	params.startTLS = true
	if len(opts.Pending) > 0 {
		params.pending = append([]byte(nil), opts.Pending...)
	}
	return params, nil
}

// failedFuture returns a Future failed with err.
func failedFuture(l *loop.Loop, err error) *loop.Future {
	f := l.NewFuture()
	_ = f.SetException(err)
	return f
}

// handshakeTimeoutError is asyncio's error for a handshake that took too
// long.
func handshakeTimeoutError(timeout time.Duration) error {
	return NewError(KindConnectionAbortedError,
		fmt.Sprintf("SSL handshake is taking longer than %s seconds: aborting the connection", pySeconds(timeout)))
}
