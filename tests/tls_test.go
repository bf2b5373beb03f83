package tests

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/starnet-dev/starnet/internal/testkit"
)

// End-to-end TLS: scripts/tls_echo_server.star, https_get.star,
// starttls_server.star and starttls_client.star against openssl s_client,
// python3's ssl module (sockets and MemoryBIO) and http.server, with
// certificates made by each test.

// TestTLSEchoServerWithOpenSSL: openssl verifies the server's certificate
// and name, negotiates ALPN "echo", and gets its line back.
func TestTLSEchoServerWithOpenSSL(t *testing.T) {
	pki := newTestPKI(t, "openssl CA")
	cert, key := pki.issue("server", "localhost", "127.0.0.1")
	srv := startScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.Dir, "scripts/tls_echo_server.star", cert, key, "0")
	port := srv.listenPort()

	cmd := exec.Command("openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port),
		"-CAfile", pki.File, "-verify_return_error", "-verify_hostname", "localhost", "-alpn", "echo", "-brief")
	client := start(t, "openssl s_client", cmd)
	if _, err := client.stdin.Write([]byte("hello from openssl\n")); err != nil {
		t.Fatal(err)
	}
	client.waitLine("hello from openssl")
	client.stdin.Close()
	if code := client.waitExit(waitTimeout); code != 0 {
		t.Fatalf("openssl s_client exited %d\n%s", code, client.stderr.String())
	}
	stderr := client.stderr.String()
	for _, want := range []string{"Protocol version: TLSv1.3", "Verification: OK", "Verified peername: localhost"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("openssl s_client did not report %q:\n%s", want, stderr)
		}
	}
	line := srv.waitLine("client 127.0.0.1:")
	if !strings.Contains(line, " TLSv1.3 ") || !strings.HasSuffix(line, " alpn=echo") {
		t.Errorf("server line %q, want TLSv1.3 and alpn=echo", line)
	}
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

func TestTLSEchoServerWithPythonClient(t *testing.T) {
	pki := newTestPKI(t, "python CA")
	cert, key := pki.issue("server", "localhost")
	srv := startScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+cert+","+key, "scripts/tls_echo_server.star", cert, key, "0")
	port := strconv.Itoa(srv.listenPort())
	if out := strings.TrimSpace(runPython(t, pyTLSClient, port, pki.File, "h2,echo")); out != "python line | echo | TLSv1.3" {
		t.Errorf("python client offering h2,echo: %q", out)
	}
	srv.waitLine("client 127.0.0.1:")
	// A client offering nothing the server knows connects without ALPN, as
	// with OpenSSL (crypto/tls alone would refuse it).
	if out := strings.TrimSpace(runPython(t, pyTLSClient, port, pki.File, "h2")); out != "python line | None | TLSv1.3" {
		t.Errorf("python client offering h2: %q", out)
	}
	if line := srv.waitLine("client 127.0.0.1:"); !strings.HasSuffix(line, " alpn=None") {
		t.Errorf("server line %q, want alpn=None", line)
	}
}

// TestTLSEchoServerNeedsAllowRead: without --allow-read the certificate is
// not read, and the error names the flag.
func TestTLSEchoServerNeedsAllowRead(t *testing.T) {
	pki := newTestPKI(t, "perm CA")
	cert, key := pki.issue("server", "localhost")
	code, stdout, stderr := runScript(t, "run", "--allow-net", "scripts/tls_echo_server.star", cert, key, "0")
	if code != 1 {
		t.Fatalf("exit code %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := fmt.Sprintf("PermissionError: read access to %q denied; run with --allow-read=%s", cert, cert)
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr)
	}
	if strings.Contains(stdout, "listening") {
		t.Errorf("the server listened anyway:\n%s", stdout)
	}
	// The key file is a file of its own.
	_, _, stderr = runScript(t, "run", "--allow-net", "--allow-read="+cert, "scripts/tls_echo_server.star", cert, key, "0")
	if want := fmt.Sprintf("PermissionError: read access to %q denied", key); !strings.Contains(stderr, want) {
		t.Errorf("stderr does not say %q:\n%s", want, stderr)
	}
}

// pyHTTPSServer is python3's http.server wrapped with ssl, on 127.0.0.1:
// it prints "port N", then answers every GET with a small page and an
// X-Path header.
const pyHTTPSServer = `
import http.server, ssl, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello over https\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-Path", self.path)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print("port", server.server_address[1], flush=True)
server.serve_forever()
`

// startHTTPSServer runs pyHTTPSServer with a certificate for names and
// returns the CA file and the port.
func startHTTPSServer(t *testing.T, names ...string) (pki *testPKI, port string) {
	t.Helper()
	pki = newTestPKI(t, "https CA")
	cert, key := pki.issue("server", names...)
	py := startPython(t, pyHTTPSServer, cert, key)
	return pki, strings.TrimPrefix(py.waitLine("port "), "port ")
}

func TestHTTPSGet(t *testing.T) {
	pki, port := startHTTPSServer(t, "localhost", "127.0.0.1")
	url := "https://127.0.0.1:" + port + "/some/path?q=1"
	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.File,
		"scripts/https_get.star", "--cafile", pki.File, url)
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if lines[0] != "HTTP/1.0 200 OK" {
		t.Errorf("status line %q", lines[0])
	}
	for _, want := range []string{"Content-Type: text/plain", "X-Path: /some/path?q=1", "Content-Length: 17"} {
		if !strings.Contains(stdout, want+"\n") {
			t.Errorf("no header %q in:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "hello over https") {
		t.Errorf("the body was printed:\n%s", stdout)
	}
	// By name: localhost is in the certificate too.
	code, stdout, stderr = runScript(t, "run", "--allow-net=localhost", "--allow-read="+pki.File,
		"scripts/https_get.star", "--cafile", pki.File, "https://localhost:"+port+"/")
	if code != 0 || !strings.HasPrefix(stdout, "HTTP/1.0 200 OK\n") {
		t.Errorf("https://localhost: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestHTTPSGetVerificationFailures: an unknown CA, a certificate for
// another name, and the permission checks.
func TestHTTPSGetVerificationFailures(t *testing.T) {
	pki, port := startHTTPSServer(t, "other.example")
	url := "https://127.0.0.1:" + port + "/"
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"system roots only", []string{"--allow-net=127.0.0.1", "scripts/https_get.star", url}, 1,
			"error: SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate\n"},
		{"wrong name", []string{"--allow-net=127.0.0.1", "--allow-read=" + pki.File, "scripts/https_get.star", "--cafile", pki.File, url}, 1,
			"error: SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, certificate is not valid for '127.0.0.1'.\n"},
		{"wrong server_hostname", []string{"--allow-net=127.0.0.1", "--allow-read=" + pki.File, "scripts/https_get.star", "--cafile", pki.File, "--server-hostname", "www.example", url}, 1,
			"error: SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'www.example'.\n"},
		{"right server_hostname", []string{"--allow-net=127.0.0.1", "--allow-read=" + pki.File, "scripts/https_get.star", "--cafile", pki.File, "--server-hostname", "other.example", url}, 0,
			"HTTP/1.0 200 OK\n"},
		{"server_hostname empty: chain only", []string{"--allow-net=127.0.0.1", "--allow-read=" + pki.File, "scripts/https_get.star", "--cafile", pki.File, "--server-hostname", "", url}, 0,
			"HTTP/1.0 200 OK\n"},
		{"no --allow-net", []string{"--allow-read=" + pki.File, "scripts/https_get.star", "--cafile", pki.File, url}, 1,
			fmt.Sprintf("error: PermissionError: net access to \"127.0.0.1:%s\" denied; run with --allow-net=127.0.0.1:%s\n", port, port)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runScript(t, append([]string{"run"}, c.args...)...)
			if code != c.code || !strings.HasPrefix(stdout, c.want) {
				t.Errorf("exit %d, stdout:\n%s\nwant exit %d and stdout starting with:\n%s\nstderr:\n%s", code, stdout, c.code, c.want, stderr)
			}
		})
	}
	// --cafile without --allow-read: the script fails before connecting.
	code, _, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "scripts/https_get.star", "--cafile", pki.File, url)
	if want := fmt.Sprintf("PermissionError: read access to %q denied; run with --allow-read=%s", pki.File, pki.File); code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant 1 and %q", code, stderr, want)
	}
}

// TestStartTLSServerWithPythonMemoryBIOClient: the ClientHello that came
// in the same segment as the STARTTLS line is not lost.
func TestStartTLSServerWithPythonMemoryBIOClient(t *testing.T) {
	pki := newTestPKI(t, "starttls CA")
	cert, key := pki.issue("server", "localhost")
	srv := startScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.Dir, "scripts/starttls_server.star", cert, key, "0")
	port := strconv.Itoa(srv.listenPort())
	for i := 0; i < 3; i++ {
		out := strings.TrimSpace(runPython(t, testkit.PyMemoryBIOStartTLSClient, port, pki.File, "first", "second"))
		if out != `b'first\r\nsecond\r\n' TLSv1.3` {
			t.Fatalf("python client %d: %q", i, out)
		}
		if line := srv.waitLine("tls with "); !strings.HasSuffix(line, ": TLSv1.3") {
			t.Errorf("server line %q", line)
		}
	}
	// Plain lines before STARTTLS are refused, then the upgrade still works.
	out := runPython(t, `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(b"HELLO\r\n")
print(s.recv(100).decode().strip())
`, port)
	if strings.TrimSpace(out) != "ERR send STARTTLS first" {
		t.Errorf("plain line answered %q", out)
	}
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

func TestStartTLSClientWithPythonServer(t *testing.T) {
	pki := newTestPKI(t, "py starttls CA")
	cert, key := pki.issue("server", "127.0.0.1")
	py := startPython(t, pySTARTTLSServer, cert, key)
	port := strings.TrimPrefix(py.waitLine("port "), "port ")
	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.File,
		"scripts/starttls_client.star", "--cafile", pki.File, "127.0.0.1", port, "alpha", "beta gamma")
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "tls: TLSv1.3 ") || lines[1] != "echo: alpha" || lines[2] != "echo: beta gamma" {
		t.Errorf("stdout:\n%s", stdout)
	}
	if got := py.waitLine("upgraded"); got != "upgraded TLSv1.3" {
		t.Errorf("python server: %q", got)
	}
	py.waitLine("client closed")
}

// TestStartTLSClientAndServerScripts runs the two scripts together, and
// the client against a certificate for another name.
func TestStartTLSClientAndServerScripts(t *testing.T) {
	pki := newTestPKI(t, "scripts CA")
	cert, key := pki.issue("server", "localhost", "127.0.0.1")
	srv := startScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.Dir, "scripts/starttls_server.star", cert, key, "0")
	port := strconv.Itoa(srv.listenPort())
	code, stdout, stderr := runScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.File,
		"scripts/starttls_client.star", "--cafile", pki.File, "127.0.0.1", port, "one", "two")
	if code != 0 || !strings.Contains(stdout, "echo: one\necho: two\n") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	srv.waitLine("tls with 127.0.0.1:")
	code, stdout, _ = runScript(t, "run", "--allow-net=127.0.0.1", "--allow-read="+pki.File,
		"scripts/starttls_client.star", "--cafile", pki.File, "--server-hostname", "mail.example", "127.0.0.1", port)
	want := "error: SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'mail.example'."
	if code != 1 || !strings.Contains(stdout, want) {
		t.Errorf("wrong name: exit %d, stdout:\n%s\nwant 1 and %q", code, stdout, want)
	}
	if line := srv.waitLine("tls with 127.0.0.1:"); !strings.Contains(line, "failed: SSLError") {
		t.Errorf("server line %q, want a failed handshake", line)
	}
}

func TestCheckTLSScripts(t *testing.T) {
	for _, script := range []string{"tls_echo_server", "https_get", "starttls_server", "starttls_client"} {
		t.Run(script, func(t *testing.T) {
			code, stdout, stderr := runScript(t, "check", "scripts/"+script+".star")
			if code != 0 || strings.Contains(stdout+stderr, "Traceback") {
				t.Fatalf("starnet check exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
		})
	}
}
