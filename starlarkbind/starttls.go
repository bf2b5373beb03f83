package starlarkbind

import (
	"crypto/tls"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// loop.start_tls(transport, protocol, sslcontext, server_side=False,
// server_hostname=None, ssl_handshake_timeout=None,
// ssl_shutdown_timeout=None, pending=None) upgrades a live stream
// connection to TLS, as asyncio's start_tls, and returns a Future of the
// new TLS transport. protocol (usually the caller's self) receives the
// decrypted data; it gets no second connection_made, and one
// connection_lost: when the TLS connection ends, or with the error if the
// handshake fails (which also fails the Future).
//
// From the call on, the old transport delivers nothing more to its
// protocol: its reading is paused at once and everything it receives
// later goes to TLS. Bytes the script already received after the upgrade
// point are the script's to hand back, as pending= (starnet's addition):
// a line protocol that got "STARTTLS\r\n" and the start of the
// ClientHello in one data_received passes the rest of that data:
//
//	def data_received(self, data):
//	    line, sep, rest = data.partition(b"\r\n")   # (or a binary.buffer)
//	    if line == b"STARTTLS":
//	        self.transport.write(b"OK\r\n")
//	        fut = loop.start_tls(self.transport, self, ctx, server_side = True, pending = rest)
//	        fut.add_done_callback(self.upgraded)

func (lv *loopValue) startTLS(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var transportV, ctxV starlark.Value
	var protocolA protocolArg
	var hostname bind.OptionalString
	var handshake, shutdown bind.OptionalSeconds
	var pending optionalDataArg
	serverSide := false
	if err := unpack(fnname, args, kwargs,
		"transport", &transportV, "protocol", &protocolA, "sslcontext", &ctxV,
		"server_side?", &serverSide, "server_hostname?", &hostname,
		"ssl_handshake_timeout?", &handshake, "ssl_shutdown_timeout?", &shutdown,
		"pending?", &pending); err != nil {
		return nil, err
	}
	tv, plain, err := startTLSTransport(fnname, transportV)
	if err != nil {
		return nil, err
	}
	a, err := lv.startTLSArgs(fnname, ctxV, serverSide, hostname, handshake, shutdown)
	if err != nil {
		return nil, err
	}
	proto, err := lv.e.protocolFor(protocolA.v)
	if err != nil {
		return nil, err
	}
	e := lv.e
	opts := transports.StartTLSOptions{
		ServerSide:       serverSide,
		ServerHostname:   a.hostname,
		HandshakeTimeout: a.handshake,
		ShutdownTimeout:  a.shutdown,
		Pending:          pending.b,
	}
	var cfg *tls.Config
	if serverSide {
		cfg = e.serverConfig(a.ctx)
	} else {
		cfg = e.clientConfig(a, a.hostname)
	}
	// Until the handshake completes the protocol belongs to the plain
	// transport: a failed handshake ends it, and its connection_lost
	// forgets the plain transport.
	attachProtocol(proto, tv)
	fut := transports.StartTLS(e.loop, plain, proto, cfg, opts)
	fut.AddDoneCallback(func(f *loop.Future) { e.startTLSDone(f, proto, plain) })
	return e.futureValue(fut), nil
}

// startTLSTransport reads start_tls's transport: a stream transport.
func startTLSTransport(fnname string, v starlark.Value) (*transportValue, transports.Transport, error) {
	tv, ok := v.(*transportValue)
	if ok {
		if plain, ok := tv.t.(transports.Transport); ok {
			return tv, plain, nil
		}
	}
	return nil, nil, typeErrorf("%s: transport %s is not supported by start_tls()", fnname, v)
}

// startTLSArgs reads start_tls's context, server_hostname and timeouts.
func (lv *loopValue) startTLSArgs(fnname string, ctxV starlark.Value, serverSide bool, hostname bind.OptionalString, handshake, shutdown bind.OptionalSeconds) (tlsArgs, error) {
	a := tlsArgs{hostname: hostname.S, hasHostname: hostname.Set}
	ctx, ok := ctxV.(*sslContext)
	if !ok {
		return a, typeErrorf("%s: sslcontext is expected to be an instance of ssl.SSLContext, got %s", fnname, ctxV.Type())
	}
	a.ctx = ctx
	switch {
	case serverSide && !ctx.isServer():
		return a, failWith(newError(transports.KindSSLError, "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context"))
	case serverSide && len(ctx.certs) == 0:
		return a, valueErrorf("%s: the SSLContext has no certificate: call its load_cert_chain(certfile, keyfile) first", fnname)
	case serverSide:
		a.hostname, a.hasHostname = "", false // asyncio ignores it on the server side
	case ctx.isServer():
		return a, failWith(newError(transports.KindSSLError, "Cannot create a client socket with a PROTOCOL_TLS_SERVER context"))
	case !a.hasHostname && ctx.checkHostname && ctx.verifyMode != sslCertNone:
		return a, valueErrorf("%s: check_hostname requires server_hostname", fnname)
	}
	return a, a.readTimeouts(fnname, handshake, shutdown)
}

// startTLSDone moves the protocol and the env's bookkeeping to the TLS
// transport once the handshake has completed. It is the Future's first
// done callback, so the script's callbacks see the TLS transport tracked.
func (e *Env) startTLSDone(f *loop.Future, proto transports.BaseProtocol, plain transports.Transport) {
	v, err := f.Result()
	if err != nil {
		return
	}
	t, ok := v.(transports.Transport)
	if !ok {
		return
	}
	attachProtocol(proto, e.track(t))
	e.untrack(plain)
}

// attachProtocol tells a protocol that is not connected through
// ConnectionMade which transport it belongs to.
func attachProtocol(proto transports.BaseProtocol, tv *transportValue) {
	switch q := proto.(type) {
	case starlarkProtocol:
		q.base().tv = tv
	case interface {
		attach(transports.BaseTransport)
	}:
		q.attach(tv.t)
	}
}
