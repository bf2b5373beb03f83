package starlarkbind

import (
	"crypto/tls"
	"time"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
)

// The TLS keyword arguments of create_connection, create_server,
// create_unix_connection, create_unix_server and connect_accepted_socket:
// ssl=, server_hostname=, ssl_handshake_timeout=, ssl_shutdown_timeout=.
// They are checked as asyncio checks them, and fail the call at once.

// tlsArgs are a call's TLS arguments, read.
type tlsArgs struct {
	ctx         *sslContext // nil: no TLS
	hostname    string      // server_hostname
	hasHostname bool        // server_hostname was given (even "")
	handshake   time.Duration
	shutdown    time.Duration
}

// clientTLSArgs reads the TLS arguments of a client call. ssl=True means a
// default client context (create_default_context()), whose host name check
// is off when server_hostname="" (as asyncio's _create_transport_context).
func (e *Env) clientTLSArgs(fnname string, ssl sslArg, hostname bind.OptionalString, handshake, shutdown bind.OptionalSeconds) (tlsArgs, error) {
	a := tlsArgs{hostname: hostname.S, hasHostname: hostname.Set}
	switch {
	case ssl.isBool:
		if ssl.b {
			a.ctx = newSSLContext(e, sslProtocolTLSClient)
			a.ctx.defaultCerts = true
			if a.hasHostname && a.hostname == "" {
				a.ctx.checkHostname = false
			}
		}
	case ssl.ctx != nil:
		if ssl.ctx.isServer() {
			return a, failWith(newError(transports.KindSSLError, "Cannot create a client socket with a PROTOCOL_TLS_SERVER context"))
		}
		a.ctx = ssl.ctx
	}
	if a.ctx == nil && a.hasHostname {
		return a, valueErrorf("%s: server_hostname is only meaningful with ssl", fnname)
	}
	return a, a.readTimeouts(fnname, handshake, shutdown)
}

// serverTLSArgs reads the TLS arguments of a server call. As asyncio, a
// server needs a context: ssl=True is a TypeError (create_server) or a
// ValueError (connect_accepted_socket, which is always the server side).
func (e *Env) serverTLSArgs(fnname string, accepted bool, ssl sslArg, handshake, shutdown bind.OptionalSeconds) (tlsArgs, error) {
	var a tlsArgs
	switch {
	case ssl.isBool && accepted:
		if ssl.b {
			return a, valueErrorf("%s: Server side SSL needs a valid SSLContext", fnname)
		}
	case ssl.isBool:
		return a, typeErrorf("%s: ssl argument must be an SSLContext or None", fnname)
	case ssl.ctx != nil:
		if !ssl.ctx.isServer() {
			return a, failWith(newError(transports.KindSSLError, "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context"))
		}
		if len(ssl.ctx.certs) == 0 {
			return a, valueErrorf("%s: the SSLContext has no certificate: call its load_cert_chain(certfile, keyfile) first", fnname)
		}
		a.ctx = ssl.ctx
	}
	return a, a.readTimeouts(fnname, handshake, shutdown)
}

// readTimeouts reads ssl_handshake_timeout and ssl_shutdown_timeout: only
// with ssl, and positive (none given: the default).
func (a *tlsArgs) readTimeouts(fnname string, handshake, shutdown bind.OptionalSeconds) error {
	var err error
	if a.handshake, err = tlsTimeout(fnname, "ssl_handshake_timeout", handshake, a.ctx != nil); err != nil {
		return err
	}
	a.shutdown, err = tlsTimeout(fnname, "ssl_shutdown_timeout", shutdown, a.ctx != nil)
	return err
}

// tlsTimeout checks one TLS timeout (0: the default).
func tlsTimeout(fnname, param string, t bind.OptionalSeconds, withTLS bool) (time.Duration, error) {
	if !t.Set {
		return 0, nil
	}
	if !withTLS {
		return 0, valueErrorf("%s: %s is only meaningful with ssl", fnname, param)
	}
	if t.Duration() <= 0 {
		return 0, valueErrorf("%s: %s should be a positive number, got %s", fnname, param, t.V)
	}
	return t.Duration(), nil
}

// serverName is the name a client checks the server against:
// server_hostname if given ("" checks none), else host (asyncio's default).
func (a tlsArgs) serverName(host string) string {
	if a.hasHostname {
		return a.hostname
	}
	return host
}

// clientConfig returns the tls.Config of one client connection to a server
// called serverName, recorded as made from the context.
func (e *Env) clientConfig(a tlsArgs, serverName string) *tls.Config {
	cfg := a.ctx.clientConfig(serverName)
	e.tlsContexts.add(cfg, a.ctx)
	return cfg
}

// serverConfig returns the tls.Config of one server, recorded as made from
// the context.
func (e *Env) serverConfig(ctx *sslContext) *tls.Config {
	cfg := ctx.serverTLSConfig()
	e.tlsContexts.add(cfg, ctx)
	return cfg
}

// applyDial sets the TLS fields of a client's DialOptions for a
// connection to host ("" for a Unix socket).
func (e *Env) applyDial(a tlsArgs, opts *transports.DialOptions, host string) {
	if a.ctx == nil {
		return
	}
	name := a.serverName(host)
	opts.TLS = e.clientConfig(a, name)
	opts.ServerHostname = name
	opts.HandshakeTimeout = a.handshake
	opts.ShutdownTimeout = a.shutdown
}

// applyListen sets the TLS fields of a server's ListenOptions.
func (e *Env) applyListen(a tlsArgs, opts *transports.ListenOptions) {
	if a.ctx == nil {
		return
	}
	opts.TLS = e.serverConfig(a.ctx)
	opts.HandshakeTimeout = a.handshake
	opts.ShutdownTimeout = a.shutdown
}
