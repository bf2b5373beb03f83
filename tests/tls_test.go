package tests

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// End-to-end TLS: scripts/tls_echo_server.star, starttls_server.star and
// starttls_client.star against openssl s_client and python3's ssl module
// (sockets and MemoryBIO), with certificates made by each test
// (http_get.star's HTTPS tests are in scripts_http_test.go).

// TestTLSEchoServerWithOpenSSL: openssl verifies the server's certificate
// and name, negotiates ALPN "echo", and gets its line back.
func TestTLSEchoServerWithOpenSSL(t *testing.T) {
	t.Parallel()
	testkit.RequireTool(t, "openssl")
	pki := newTestPKI(t, "openssl CA")
	cert, key := pki.issue("server", "localhost", "127.0.0.1")
	srv := startScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.Dir, "scripts/tls_echo_server.star", cert, key, "0")
	port := listenPort(t, srv)

	client := testkit.StartTool(t, "openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port),
		"-CAfile", pki.File, "-verify_return_error", "-verify_hostname", "localhost", "-alpn", "echo", "-brief")
	_, err := client.Stdin.Write([]byte("hello from openssl\n"))
	require.NoError(t, err)
	client.WaitLine("hello from openssl")
	require.NoError(t, client.Stdin.Close())
	// After the exit, its stderr is complete.
	require.Equal(t, 0, client.WaitExit(waitTimeout), "openssl s_client's exit status; stderr:\n%s", client.Stderr())
	stderr := client.Stderr()
	for _, want := range []string{"Protocol version: TLSv1.3", "Verification: OK", "Verified peername: localhost"} {
		assert.Contains(t, stderr, want, "what openssl s_client reported")
	}
	line := srv.WaitLine("client 127.0.0.1:")
	assert.True(t, strings.Contains(line, " TLSv1.3 ") && strings.HasSuffix(line, " alpn=echo"), "server line %q, want TLSv1.3 and alpn=echo", line)
}

// pyTLSClient connects with python3's ssl module, verifying the server,
// offers ALPN, sends a line and prints the echo and what was negotiated.
const pyTLSClient = `
import socket, ssl, sys
port, cafile, alpn = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
ctx.set_alpn_protocols(alpn.split(","))
with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(b"python line\n")
        got = b""
        while not got.endswith(b"\n"):
            chunk = s.recv(100)
            assert chunk, "closed early"
            got += chunk
        print(got.decode().strip(), "|", s.selected_alpn_protocol(), "|", s.version())
`

// TestTLSEchoServerWithPythonClient: python3's ssl client gets its line
// back, with the ALPN protocol the server knows, or none.
func TestTLSEchoServerWithPythonClient(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t, "python CA")
	cert, key := pki.issue("server", "localhost")
	srv := startScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+cert+","+key, "scripts/tls_echo_server.star", cert, key, "0")
	port := strconv.Itoa(listenPort(t, srv))
	out := strings.TrimSpace(testkit.RunPython(t, pyTLSClient, port, pki.File, "h2,echo"))
	assert.Equal(t, "python line | echo | TLSv1.3", out, "python client offering h2,echo")
	srv.WaitLine("client 127.0.0.1:")
	// A client offering nothing the server knows connects without ALPN, as
	// with OpenSSL (crypto/tls alone would refuse it).
	out = strings.TrimSpace(testkit.RunPython(t, pyTLSClient, port, pki.File, "h2"))
	assert.Equal(t, "python line | None | TLSv1.3", out, "python client offering h2")
	line := srv.WaitLine("client 127.0.0.1:")
	assert.True(t, strings.HasSuffix(line, " alpn=None"), "server line %q, want alpn=None", line)
}

// TestTLSEchoServerNeedsAllowRead: without --allow-read the certificate is
// not read, and the error names the flag.
func TestTLSEchoServerNeedsAllowRead(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t, "perm CA")
	cert, key := pki.issue("server", "localhost")
	code, stdout, stderr := runScript(t, "run", "--allow-net", "scripts/tls_echo_server.star", cert, key, "0")
	require.Equal(t, 1, code, "exit status\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stderr, fmt.Sprintf("PermissionError: read access to %q denied; run with --allow-read=%s", cert, cert))
	assert.NotContains(t, stdout, "listening", "the server listened anyway")
	// The key file is a file of its own.
	_, _, stderr = runScript(t, "run", "--allow-net", "--allow-read="+cert, "scripts/tls_echo_server.star", cert, key, "0")
	assert.Contains(t, stderr, fmt.Sprintf("PermissionError: read access to %q denied", key))
}

// TestStartTLSServerWithPythonMemoryBIOClient: the ClientHello that came
// in the same segment as the STARTTLS line is not lost.
func TestStartTLSServerWithPythonMemoryBIOClient(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t, "starttls CA")
	cert, key := pki.issue("server", "localhost")
	srv := startScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.Dir, "scripts/starttls_server.star", cert, key, "0")
	port := strconv.Itoa(listenPort(t, srv))
	for i := 0; i < 3; i++ {
		out := strings.TrimSpace(testkit.RunPython(t, testkit.PyMemoryBIOStartTLSClient, port, pki.File, "first", "second"))
		require.Equal(t, `b'first\r\nsecond\r\n' TLSv1.3`, out, "python client %d", i)
		line := srv.WaitLine("tls with ")
		assert.True(t, strings.HasSuffix(line, ": TLSv1.3"), "server line %q", line)
	}
	// Plain lines before STARTTLS are refused, then the upgrade still works.
	out := testkit.RunPython(t, `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(b"HELLO\r\n")
print(s.recv(100).decode().strip())
`, port)
	assert.Equal(t, "ERR send STARTTLS first", strings.TrimSpace(out), "the answer to a plain line")
}

// pySTARTTLSServer is a STARTTLS server written with python3's ssl: it
// reads the STARTTLS line byte by byte (so it takes nothing after it),
// answers OK, wraps the socket and echoes lines until the client closes.
const pySTARTTLSServer = `
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ls = socket.create_server(("127.0.0.1", 0))
print("port", ls.getsockname()[1], flush=True)
ls.settimeout(20)
conn, _ = ls.accept()
conn.settimeout(20)
line = b""
while not line.endswith(b"\r\n"):
    c = conn.recv(1)
    assert c, "closed before STARTTLS"
    line += c
assert line == b"STARTTLS\r\n", line
conn.sendall(b"OK\r\n")
s = ctx.wrap_socket(conn, server_side=True)
print("upgraded", s.version(), flush=True)
f = s.makefile("rb")
for l in f:
    s.sendall(l)
print("client closed", flush=True)
`

// TestStartTLSClientWithPythonServer: scripts/starttls_client.star
// upgrades its connection to python3's STARTTLS server and gets its lines
// back over TLS.
func TestStartTLSClientWithPythonServer(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t, "py starttls CA")
	cert, key := pki.issue("server", "127.0.0.1")
	py := testkit.StartPython(t, pySTARTTLSServer, cert, key)
	port := strings.TrimPrefix(py.WaitLine("port "), "port ")
	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.File,
		"scripts/starttls_client.star", "--cafile", pki.File, "127.0.0.1", port, "alpha", "beta gamma")
	require.Equal(t, 0, code, "exit status\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 3, "stdout lines")
	assert.True(t, strings.HasPrefix(lines[0], "tls: TLSv1.3 "), "line 0: %q", lines[0])
	assert.Equal(t, []string{"echo: alpha", "echo: beta gamma"}, lines[1:])
	assert.Equal(t, "upgraded TLSv1.3", py.WaitLine("upgraded"), "what the python server printed")
	py.WaitLine("client closed")
}

// TestStartTLSClientAndServerScripts runs the two scripts together, and
// the client against a certificate for another name.
func TestStartTLSClientAndServerScripts(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t, "scripts CA")
	cert, key := pki.issue("server", "localhost", "127.0.0.1")
	srv := startScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.Dir, "scripts/starttls_server.star", cert, key, "0")
	port := strconv.Itoa(listenPort(t, srv))
	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.File,
		"scripts/starttls_client.star", "--cafile", pki.File, "127.0.0.1", port, "one", "two")
	assert.Equal(t, 0, code, "exit status; stderr:\n%s", stderr)
	assert.Contains(t, stdout, "echo: one\necho: two\n")
	srv.WaitLine("tls with 127.0.0.1:")
	code, stdout, _ = runScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.File,
		"scripts/starttls_client.star", "--cafile", pki.File, "--server-hostname", "mail.example", "127.0.0.1", port)
	assert.Equal(t, 1, code, "wrong name: exit status")
	assert.Contains(t, stdout, "error: SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'mail.example'.", "wrong name: stdout")
	assert.Contains(t, srv.WaitLine("tls with 127.0.0.1:"), "failed: SSLError", "the server line of the failed handshake")
}
