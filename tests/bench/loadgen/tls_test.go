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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starnet-dev/starnet/tests/bench/internal/result"
)

// testCert makes a self-signed ECDSA certificate for 127.0.0.1, and writes
// it as PEM to a file whose path it returns (the CA a client trusts).
func testCert(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
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
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, path
}

// serveTLSEcho runs a TLS server on 127.0.0.1:0 whose connections run
// handle after their handshake, and returns its address and the path of
// the CA to trust. It stops with the test.
func serveTLSEcho(t *testing.T, handle func(c *tls.Conn)) (addr, caFile string) {
	t.Helper()
	cert, caFile := testCert(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
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

func tlsTestConfig(t *testing.T, addr, caFile string) config {
	t.Helper()
	args := []string{"-addr", addr, "-tls", "-conns", "4", "-size", "1024",
		"-duration", "300ms", "-warmup", "50ms", "-timeout", "2s", "-pid", "0", "-quiet"}
	if caFile != "" {
		args = append(args, "-tls-ca", caFile)
	}
	cfg, err := parseFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.pid = os.Getpid()
	return cfg
}

func TestTLSPingPongAgainstEchoServer(t *testing.T) {
	for _, verify := range []bool{true, false} {
		addr, caFile := serveTLSEcho(t, tlsEcho)
		if !verify {
			caFile = ""
		}
		cfg := tlsTestConfig(t, addr, caFile)
		if cfg.engine != engineGoroutines {
			t.Fatalf("-tls chose engine %q, want goroutines", cfg.engine)
		}
		res, err := run(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Errors != 0 {
			t.Fatalf("verify %v: %d errors, first: %s", verify, res.Errors, res.FirstError)
		}
		if res.Requests == 0 || res.ReqPerS <= 0 || res.Latency == nil {
			t.Fatalf("verify %v: no traffic measured: %+v", verify, res)
		}
		if res.TLS != "TLSv1.3 TLS_AES_128_GCM_SHA256" && res.TLS != "TLSv1.3 TLS_CHACHA20_POLY1305_SHA256" {
			t.Fatalf("verify %v: negotiated %q, want TLSv1.3 with Go's preferred suite", verify, res.TLS)
		}
	}
}

func TestTLSUntrustedCertificateFails(t *testing.T) {
	addr, _ := serveTLSEcho(t, tlsEcho)
	_, otherCA := testCert(t)
	_, err := run(tlsTestConfig(t, addr, otherCA))
	if err == nil || !strings.Contains(err.Error(), "tls handshake") || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("want a failed handshake naming the certificate, got %v", err)
	}
}

func TestTLSServerThatDoesNotCloseOnEOFFails(t *testing.T) {
	done := t.Context().Done()
	addr, caFile := serveTLSEcho(t, func(c *tls.Conn) {
		tlsEcho(c)
		<-done
	})
	cfg := tlsTestConfig(t, addr, caFile)
	cfg.timeout = 300 * time.Millisecond
	res, err := run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != cfg.conns || !strings.Contains(res.FirstError, "did not close after EOF") {
		t.Fatalf("want %d 'did not close after EOF' errors, got %d: %s", cfg.conns, res.Errors, res.FirstError)
	}
}

func TestTLSCorruptEchoFails(t *testing.T) {
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
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 4 || !strings.Contains(res.FirstError, "echo differs") {
		t.Fatalf("want 4 'echo differs' errors, got %d: %s", res.Errors, res.FirstError)
	}
}

func TestTLSFlagValidation(t *testing.T) {
	bad := [][]string{
		{"-addr", "127.0.0.1:1", "-tls", "-mode", result.ModeStream},
		{"-addr", "127.0.0.1:1", "-tls", "-mode", result.ModeIdle},
		{"-addr", "127.0.0.1:1", "-tls", "-engine", engineEpoll},
		{"-addr", "127.0.0.1:1", "-tls-ca", "ca.pem"},
		{"-addr", "127.0.0.1:1", "-tls", "-tls-ca", filepath.Join(t.TempDir(), "missing.pem")},
	}
	for _, args := range bad {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}
