package starlarkbind

import (
	"crypto/tls"
	"time"

	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
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
func (e *Env) clientTLSArgs(fnname string, sslV, hostnameV, handshakeV, shutdownV starlark.Value) (tlsArgs, error) {
	var a tlsArgs
	var err error
	if a.hostname, a.hasHostname, err = optionalString(fnname, "server_hostname", hostnameV); err != nil {
		return a, err
	}
	switch v := sslV.(type) {
	case nil, starlark.NoneType:
	case starlark.Bool:
		if v {
			a.ctx = newSSLContext(e, sslProtocolTLSClient)
			a.ctx.defaultCerts = true
			if a.hasHostname && a.hostname == "" {
				a.ctx.checkHostname = false
			}
		}
	case *sslContext:
		if v.isServer() {
			return a, failWith(newError(transports.KindSSLError, "Cannot create a client socket with a PROTOCOL_TLS_SERVER context"))
		}
		a.ctx = v
	default:
		return a, typeErrorf("%s: for parameter ssl: got %s, want an ssl.SSLContext, True or None", fnname, sslV.Type())
	}
	if a.ctx == nil && a.hasHostname {
		return a, valueErrorf("%s: server_hostname is only meaningful with ssl", fnname)
	}
	return a, a.readTimeouts(fnname, handshakeV, shutdownV)
}

// serverTLSArgs reads the TLS arguments of a server call. As asyncio, a
// server needs a context: ssl=True is a TypeError (create_server) or a
// ValueError (connect_accepted_socket, which is always the server side).
func (e *Env) serverTLSArgs(fnname string, accepted bool, sslV, handshakeV, shutdownV starlark.Value) (tlsArgs, error) {
	var a tlsArgs
	switch v := sslV.(type) {
	case nil, starlark.NoneType:
	case starlark.Bool:
		if accepted {
			if v {
				return a, valueErrorf("%s: Server side SSL needs a valid SSLContext", fnname)
			}
			break
		}
		return a, typeErrorf("%s: ssl argument must be an SSLContext or None", fnname)
	case *sslContext:
		if !v.isServer() {
			return a, failWith(newError(transports.KindSSLError, "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context"))
		}
		if len(v.certs) == 0 {
			return a, valueErrorf("%s: the SSLContext has no certificate: call its load_cert_chain(certfile, keyfile) first", fnname)
		}
		a.ctx = v
	default:
		return a, typeErrorf("%s: ssl argument must be an SSLContext or None, got %s", fnname, sslV.Type())
	}
	return a, a.readTimeouts(fnname, handshakeV, shutdownV)
}

// readTimeouts reads ssl_handshake_timeout and ssl_shutdown_timeout: only
// with ssl, and positive.
func (a *tlsArgs) readTimeouts(fnname string, handshakeV, shutdownV starlark.Value) error {
	var err error
	if a.handshake, err = tlsTimeout(fnname, "ssl_handshake_timeout", handshakeV, a.ctx != nil); err != nil {
		return err
	}
	a.shutdown, err = tlsTimeout(fnname, "ssl_shutdown_timeout", shutdownV, a.ctx != nil)
	return err
}

// tlsTimeout reads one TLS timeout (0: the default).
func tlsTimeout(fnname, param string, v starlark.Value, withTLS bool) (time.Duration, error) {
	if v == nil || v == starlark.None {
		return 0, nil
	}
	if !withTLS {
		return 0, valueErrorf("%s: %s is only meaningful with ssl", fnname, param)
	}
	d, err := toDuration(fnname, param, v)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, valueErrorf("%s: %s should be a positive number, got %s", fnname, param, v)
	}
	return d, nil
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
