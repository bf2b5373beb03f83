package starlarkbind

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"runtime"
	"slices"
	"sync"
	"weak"
)

// How a context becomes the tls.Config of one connection or server.
//
// A client connection gets a new config with the context's settings at
// that moment. With verify_mode CERT_NONE nothing is verified (Python's
// getpeercert() then gives {}). Otherwise the config verifies the server
// itself, in OpenSSL's order, so that errors read as Python's: first the
// chain (against the CA certificates loaded, or the system's roots), then,
// if check_hostname is on and there is a name to check, the name —
// server_hostname="" checks none. (crypto/tls alone checks the name first.)
//
// A server gets one config whose GetConfigForClient returns, for each
// handshake, the config the context published last (sslContext.changed),
// so that later settings apply to later connections.

// clientConfig returns the config of one client connection that expects
// the server to be serverName ("": no name to check).
func (c *sslContext) clientConfig(serverName string) *tls.Config {
	cfg := &tls.Config{
		Certificates:       c.certs,
		RootCAs:            c.pool,
		NextProtos:         c.alpn,
		MinVersion:         goVersion(c.minVersion),
		MaxVersion:         goVersion(c.maxVersion),
		InsecureSkipVerify: true, // VerifyConnection verifies, or CERT_NONE
	}
	if c.verifyMode == sslCertNone {
		return cfg
	}
	if !c.checkHostname {
		serverName = ""
	}
	cfg.VerifyConnection = verifyServer(c.pool, serverName)
	return cfg
}

// verifyServer returns a VerifyConnection that verifies the server's
// certificate chain against roots (nil: the system's), then its name
// unless name is "". It runs on the handshake's goroutine and reads only
// roots, which is never modified.
func verifyServer(roots *x509.CertPool, name string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return &tls.CertificateVerificationError{Err: errors.New("the server sent no certificate")}
		}
		leaf := cs.PeerCertificates[0]
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
		for _, cert := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(cert)
		}
		_, err := leaf.Verify(opts)
		if err == nil && name != "" {
			err = leaf.VerifyHostname(name)
		}
		if err != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
		}
		return nil
	}
}

// buildServerConfig returns the config a server's handshakes use with the
// current settings: verify_mode decides whether a client certificate is
// requested and verified.
func (c *sslContext) buildServerConfig() *tls.Config {
	cfg := &tls.Config{
		Certificates: c.certs,
		ClientCAs:    c.pool,
		NextProtos:   c.alpn,
		MinVersion:   goVersion(c.minVersion),
		MaxVersion:   goVersion(c.maxVersion),
	}
	switch c.verifyMode {
	case sslCertOptional:
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case sslCertRequired:
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg
}

// serverTLSConfig returns the config of one server (or one server side of
// start_tls / connect_accepted_socket): each handshake uses the settings
// the context published last.
func (c *sslContext) serverTLSConfig() *tls.Config {
	return &tls.Config{GetConfigForClient: c.configForClient}
}

// configForClient runs on a handshake's goroutine. As OpenSSL does for
// Python, a client whose ALPN protocols the server does not accept gets a
// handshake without ALPN (crypto/tls would refuse the connection).
func (c *sslContext) configForClient(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	cfg := c.serverConfig.Load()
	if len(cfg.NextProtos) == 0 || len(hello.SupportedProtos) == 0 {
		return cfg, nil
	}
	for _, p := range cfg.NextProtos {
		if slices.Contains(hello.SupportedProtos, p) {
			return cfg, nil
		}
	}
	noALPN := cfg.Clone()
	noALPN.NextProtos = nil
	return noALPN, nil
}

// contextRegistry remembers which context each connection's or server's
// tls.Config was made from, so that get_extra_info("sslcontext") returns
// the context value. Its keys are weak: an entry goes when its config is
// collected (cleanups run on another goroutine, hence the lock).
type contextRegistry struct {
	mu sync.Mutex
	m  map[weak.Pointer[tls.Config]]*sslContext
}

// add records that cfg was made from c.
func (r *contextRegistry) add(cfg *tls.Config, c *sslContext) {
	key := weak.Make(cfg)
	r.mu.Lock()
	if r.m == nil {
		r.m = make(map[weak.Pointer[tls.Config]]*sslContext)
	}
	r.m[key] = c
	r.mu.Unlock()
	runtime.AddCleanup(cfg, r.remove, key)
}

// lookup returns the context cfg was made from, or nil.
func (r *contextRegistry) lookup(cfg *tls.Config) *sslContext {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[weak.Make(cfg)]
}

func (r *contextRegistry) remove(key weak.Pointer[tls.Config]) {
	r.mu.Lock()
	delete(r.m, key)
	r.mu.Unlock()
}
