package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/starnet-dev/starnet/tests/bench/internal/result"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testCert makes a self-signed ECDSA certificate for 127.0.0.1, and writes
// it as PEM to a file whose path it returns (the CA a client trusts).
func testCert(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "loadgen test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, path
}

// serveTLSEcho runs a TLS server on 127.0.0.1:0 whose connections run
// handle after their handshake, and returns its address and the path of
// the CA to trust. It stops with the test.
func serveTLSEcho(t *testing.T, handle func(c *tls.Conn)) (addr, caFile string) {
	t.Helper()
	cert, caFile := testCert(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				handle(c.(*tls.Conn))
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), caFile
}

// tlsEcho writes back what arrives and closes (with close_notify) on EOF.
func tlsEcho(c *tls.Conn) { _, _ = io.Copy(struct{ io.Writer }{c}, c) }

// tlsTestConfig is testConfig's -tls ping-pong, made through parseFlags,
// trusting caFile ("" for no verification).
func tlsTestConfig(t *testing.T, addr, caFile string) config {
	t.Helper()
	args := []string{"-addr", addr, "-tls", "-conns", "4", "-size", "1024",
		"-duration", "300ms", "-warmup", "50ms", "-timeout", testkit.WaitTimeout.String(), "-pid", "0", "-quiet"}
	if caFile != "" {
		args = append(args, "-tls-ca", caFile)
	}
	cfg, err := parseFlags(args, io.Discard)
	require.NoError(t, err)
	cfg.pid = os.Getpid()
	return cfg
}

// TestTLSPingPongAgainstEchoServer: -tls ping-pong, verifying the server or
// not, measures traffic and names the negotiated TLS 1.3 suite.
func TestTLSPingPongAgainstEchoServer(t *testing.T) {
	t.Parallel()
	for _, verify := range []bool{true, false} {
		addr, caFile := serveTLSEcho(t, tlsEcho)
		if !verify {
			caFile = ""
		}
		cfg := tlsTestConfig(t, addr, caFile)
		require.Equal(t, engineGoroutines, cfg.engine, "the engine -tls chose")
		res, err := run(cfg)
		require.NoError(t, err)
		require.Zero(t, res.Errors, "verify %v: errors, first: %s", verify, res.FirstError)
		require.True(t, res.Requests > 0 && res.ReqPerS > 0 && res.Latency != nil, "verify %v: no traffic measured: %+v", verify, res)
		require.Contains(t, []string{"TLSv1.3 TLS_AES_128_GCM_SHA256", "TLSv1.3 TLS_CHACHA20_POLY1305_SHA256"}, res.TLS,
			"verify %v: want TLSv1.3 with Go's preferred suite", verify)
	}
}

// TestTLSUntrustedCertificateFails: a certificate from another CA fails the
// handshake.
func TestTLSUntrustedCertificateFails(t *testing.T) {
	t.Parallel()
	addr, _ := serveTLSEcho(t, tlsEcho)
	_, otherCA := testCert(t)
	_, err := run(tlsTestConfig(t, addr, otherCA))
	require.ErrorContains(t, err, "tls handshake", "want a failed handshake")
	require.ErrorContains(t, err, "certificate", "want the error to name the certificate")
}

// TestTLSServerThatDoesNotCloseOnEOFFails: as
// TestServerThatDoesNotCloseOnEOFFails, over TLS.
func TestTLSServerThatDoesNotCloseOnEOFFails(t *testing.T) {
	t.Parallel()
	done := t.Context().Done()
	addr, caFile := serveTLSEcho(t, func(c *tls.Conn) {
		tlsEcho(c)
		<-done
	})
	cfg := tlsTestConfig(t, addr, caFile)
	cfg.timeout = eofTimeout
	res, err := run(cfg)
	require.NoError(t, err)
	require.Equal(t, cfg.conns, res.Errors, "'did not close after EOF' errors, first: %s", res.FirstError)
	require.Contains(t, res.FirstError, "did not close after EOF")
}

// TestTLSCorruptEchoFails: as TestCorruptEchoFails, over TLS.
func TestTLSCorruptEchoFails(t *testing.T) {
	t.Parallel()
	addr, caFile := serveTLSEcho(t, func(c *tls.Conn) {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			for i := range buf[:n] {
				buf[i]++
			}
			if _, werr := c.Write(buf[:n]); werr != nil || err != nil {
				return
			}
		}
	})
	res, err := run(tlsTestConfig(t, addr, caFile))
	require.NoError(t, err)
	require.Equal(t, 4, res.Errors, "'echo differs' errors, first: %s", res.FirstError)
	require.Contains(t, res.FirstError, "echo differs")
}

// TestTLSFlagValidation: -tls refuses the modes and engine it does not
// support, and -tls-ca needs -tls and a readable file.
func TestTLSFlagValidation(t *testing.T) {
	t.Parallel()
	bad := [][]string{
		{"-addr", "127.0.0.1:1", "-tls", "-mode", result.ModeStream},
		{"-addr", "127.0.0.1:1", "-tls", "-mode", result.ModeIdle},
		{"-addr", "127.0.0.1:1", "-tls", "-engine", engineEpoll},
		{"-addr", "127.0.0.1:1", "-tls-ca", "ca.pem"},
		{"-addr", "127.0.0.1:1", "-tls", "-tls-ca", filepath.Join(t.TempDir(), "missing.pem")},
	}
	for _, args := range bad {
		_, err := parseFlags(args, io.Discard)
		assert.Error(t, err, "parseFlags(%q) accepted", args)
	}
}
