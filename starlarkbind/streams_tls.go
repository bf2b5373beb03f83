package starlarkbind

import (
	"crypto/tls"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
)

// writer.start_tls(sslcontext, server_hostname=None,
// ssl_handshake_timeout=None, ssl_shutdown_timeout=None) is asyncio's
// StreamWriter.start_tls: it waits for drain(), then upgrades the
// connection with loop.start_tls, handing the TLS layer every byte the
// reader holds and has not returned (CPython gh-142352: a ClientHello that
// came in the segment of the last plaintext line). This end is the TLS
// server when start_server accepted the connection. The Future completes
// with None once the handshake is done; the writer and the reader then use
// the TLS transport (writer.transport is the new one).
func (v *writerValue) startTLS(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var ctxV starlark.Value
	var hostname bind.OptionalString
	var handshake, shutdown bind.OptionalSeconds
	if err := unpack(fnname, args, kwargs, "sslcontext", &ctxV, "server_hostname?", &hostname,
		"ssl_handshake_timeout?", &handshake, "ssl_shutdown_timeout?", &shutdown); err != nil {
		return nil, err
	}
	e, w := v.e, v.w
	serverSide := w.ServerSide()
	a, err := e.loopValue.startTLSArgs(fnname, ctxV, serverSide, hostname, handshake, shutdown)
	if err != nil {
		return nil, err
	}
	var cfg *tls.Config
	if serverSide {
		cfg = e.serverConfig(a.ctx)
	} else {
		cfg = e.clientConfig(a, a.hostname)
	}
	plain := w.Transport()
	proto := plain.GetProtocol()
	fut := w.StartTLS(cfg, transports.StartTLSOptions{
		ServerSide:       serverSide,
		ServerHostname:   a.hostname,
		HandshakeTimeout: a.handshake,
		ShutdownTimeout:  a.shutdown,
	})
	// The first done callback: the env tracks the TLS transport before the
	// script resumes.
	fut.AddDoneCallback(func(f *loop.Future) {
		if f.Cancelled() || f.Exception() != nil || proto == nil {
			return
		}
		attachProtocol(proto, e.track(w.Transport()))
		e.untrack(plain)
	})
	return e.futureValue(fut), nil
}
