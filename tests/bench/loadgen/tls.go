package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"time"
)

// clientTLSConfig is the load generator's TLS client configuration: it
// trusts the PEM certificates in caFile, or with caFile "" skips verifying
// the server's certificate (a benchmark's throw-away one). Session tickets
// are not used: every connection does a full handshake, before the window.
func clientTLSConfig(caFile string) (*tls.Config, error) {
	cfg := &tls.Config{
		MinVersion:             tls.VersionTLS12,
		SessionTicketsDisabled: true,
	}
	if caFile == "" {
		cfg.InsecureSkipVerify = true
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("-tls-ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("-tls-ca %s: no PEM certificate in it", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// dialAllTLS opens n TLS connections to addr one after the other and
// completes each handshake, so that none happens in the measured window.
// It returns the connections opened so far with the first error.
func dialAllTLS(addr string, n int, cfg *tls.Config, timeout time.Duration) ([]duplexConn, error) {
	conns := make([]duplexConn, 0, n)
	for i := range n {
		c, err := dialTLS(addr, cfg, timeout)
		if err != nil {
			return conns, fmt.Errorf("connection %d of %d: %w", i+1, n, err)
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// dialTLS connects to addr and completes the TLS handshake within timeout.
func dialTLS(addr string, cfg *tls.Config, timeout time.Duration) (*tls.Conn, error) {
	raw, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	c := tls.Client(raw, withServerName(cfg, addr))
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		raw.Close()
		return nil, fmt.Errorf("set deadline: %w", err)
	}
	if err := c.Handshake(); err != nil {
		raw.Close()
		return nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
	}
	if err := c.SetDeadline(time.Time{}); err != nil {
		c.Close()
		return nil, fmt.Errorf("clear deadline: %w", err)
	}
	return c, nil
}

// withServerName returns cfg, or a copy naming addr's host as the server
// when cfg verifies certificates and names none.
func withServerName(cfg *tls.Config, addr string) *tls.Config {
	if cfg.InsecureSkipVerify || cfg.ServerName != "" {
		return cfg
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return cfg
	}
	named := cfg.Clone()
	named.ServerName = host
	return named
}

// describeTLS names the protocol version and cipher suite that conns
// negotiated ("TLSv1.3 TLS_AES_128_GCM_SHA256"), or "" for plain TCP;
// connections that disagree are listed as "mixed: ...".
func describeTLS(conns []duplexConn) string {
	seen := map[string]bool{}
	var names []string
	for _, c := range conns {
		tc, ok := c.(*tls.Conn)
		if !ok {
			continue
		}
		st := tc.ConnectionState()
		name := tlsVersionName(st.Version) + " " + tls.CipherSuiteName(st.CipherSuite)
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	default:
		return fmt.Sprintf("mixed: %q", names)
	}
}

// tlsVersionName spells a TLS version as Python's SSLObject.version() does.
func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	default:
		return tls.VersionName(v)
	}
}
